"""HTTP for member identity: /auth/* (sign-up, sign-in, tokens, emailed links), /terms, and the
/me/* operations from `app.auth.me_router` (R-ID-1…R-ID-10, R-ID-13).

Routers are HTTP only: paths, status codes, declared problems, auth aliases. Decisions live in
the services (`app.auth.service.*`) and the pure `app.auth.rules`. This module's `router` is
what `app.api` mounts; it includes the /me router, so `app.api` needs no change.

Choices the spec left open, made here and documented in the operations:

- Registration answers 201 with the account and a first token pair (the app is signed in at
  once); `Location` is /api/v1/me.
- Login and refresh answer 200 with the token pair (as OAuth 2 token endpoints do) rather than
  201: a client never fetches the "created" login session by URL.
- Logout takes the bearer, a refresh token, or both; ending an ended session succeeds.
- Rejoining (seed 002 総則第9条第1項) answers 200 with the registration's shape (account + a
  first token pair): the account already existed, nothing new is created.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials

from app.auth.authenticator import Authenticator, Subject, bearer_scheme
from app.auth.errors import (
    AccountNotActive,
    AccountSuspended,
    AccountWithdrawn,
    CustomerAlreadyRegistered,
    EmailAlreadyRegistered,
    EmailChangeTokenInvalid,
    InvalidAccessToken,
    InvalidCredentials,
    InvalidRefreshToken,
    LoginRateLimited,
    LoginTemporarilyLocked,
    NotAuthenticated,
    PasswordPolicyViolated,
    RefreshTokenReused,
    RejoinRequired,
    RejoinTokenInvalid,
    ResetTokenInvalid,
    StudentRegistrationThrottled,
    StudentVerificationFailed,
    TermsNotPublished,
    TermsVersionOutdated,
    VerificationTokenInvalid,
)
from app.auth.me_router import AppSettings
from app.auth.me_router import router as me_router
from app.auth.schemas import (
    CurrentTerms,
    LoginRequest,
    LogoutRequest,
    MemberRegistration,
    PasswordResetConfirmation,
    PasswordResetRequest,
    ProfileOut,
    RefreshRequest,
    RegistrationOut,
    RejoinConfirmation,
    RejoinRequest,
    RejoinRequested,
    ResetRequested,
    StudentRegistration,
    TermsDocumentOut,
    TokenConfirmation,
    TokenPair,
)
from app.auth.service import email_change, me, passwords, registration, rejoin, sessions, terms
from app.db import DbSession
from app.kit.clock import Now
from app.kit.i18n import negotiate_language
from app.kit.problems import problem_responses
from app.kit.request_context import Client
from app.models.terms import TermsKind

auth_router = APIRouter(prefix="/auth", tags=["auth"])
terms_router = APIRouter(tags=["auth"])

REGISTRATION_PROBLEMS = (
    PasswordPolicyViolated,
    EmailAlreadyRegistered,
    RejoinRequired,
    TermsVersionOutdated,
    TermsNotPublished,
)


async def _registered(
    result: registration.Registration,
    request: Request,
    response: Response,
    session: DbSession,
    now: Now,
) -> RegistrationOut:
    response.headers["Location"] = request.url_for("auth_get_profile").path
    profile = await me.profile_of(session, result.user, now=now)
    return RegistrationOut(
        account=ProfileOut.model_validate(profile), tokens=TokenPair.model_validate(result.tokens)
    )


@auth_router.post(
    "/register",
    operation_id="auth_register_member",
    status_code=status.HTTP_201_CREATED,
    summary="Register as a member",
    description="Name, email, password and the current terms/privacy versions (R-ID-1, R-ID-4). "
    "The email is normalized (R-ID-13); one account per address (`email-already-registered`); "
    "the address of a withdrawn account answers `rejoin-required`: use POST /auth/rejoin, which "
    "gives the same account back (R-ID-9, R-SUB-11). "
    "Sends the 会員登録完了 email with an email-verification link, and answers with the account "
    "and a first token pair. The language of emails follows `Accept-Language`.",
    responses=problem_responses(*REGISTRATION_PROBLEMS),
)
async def register_member(
    body: MemberRegistration,
    request: Request,
    response: Response,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> RegistrationOut:
    result = await registration.register_member(
        session,
        name=body.name,
        email=body.email,
        password=body.password,
        terms_version=body.terms_version,
        privacy_version=body.privacy_version,
        locale=negotiate_language(request.headers.get("accept-language")),
        now=now,
        client=client,
        settings=settings,
    )
    return await _registered(result, request, response, session, now)


@auth_router.post(
    "/register/student",
    operation_id="auth_register_student",
    status_code=status.HTTP_201_CREATED,
    summary="Register as a correspondence student (student support)",
    description="Customer number and the latest phone number on file must match the registry "
    "(R-ID-2); any mismatch is the same `student-verification-failed`, and repeated failures "
    "from one address are throttled (429). One account per customer number. The name comes "
    "from the registry; the customer number becomes a login ID (R-ID-3, R-ID-13). A customer "
    "number or email of a withdrawn account answers `rejoin-required` (R-SUB-11).",
    responses=problem_responses(
        *REGISTRATION_PROBLEMS,
        StudentVerificationFailed,
        CustomerAlreadyRegistered,
        StudentRegistrationThrottled,
    ),
)
async def register_student(
    body: StudentRegistration,
    request: Request,
    response: Response,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> RegistrationOut:
    result = await registration.register_student(
        session,
        customer_number=body.customer_number,
        phone=body.phone,
        email=body.email,
        password=body.password,
        terms_version=body.terms_version,
        privacy_version=body.privacy_version,
        locale=negotiate_language(request.headers.get("accept-language")),
        now=now,
        client=client,
        settings=settings,
    )
    return await _registered(result, request, response, session, now)


@auth_router.post(
    "/email-verification/confirm",
    operation_id="auth_confirm_email_verification",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Confirm your email address with the emailed link",
    description="Single use; expires after `email_verification_ttl_hours` (R-ID-1).",
    responses=problem_responses(VerificationTokenInvalid),
)
async def confirm_email_verification(body: TokenConfirmation, session: DbSession, now: Now) -> None:
    await registration.confirm_email_verification(session, token=body.token, now=now)


@auth_router.post(
    "/login",
    operation_id="auth_create_session",
    summary="Log in with your email or customer number",
    description="Login ID (email or customer number, normalized, R-ID-3/R-ID-13) and password. "
    "Wrong password and unknown login ID answer alike (`invalid-credentials`). After "
    "5 failures within 15 minutes the account answers 429 `login-temporarily-locked` with "
    "`Retry-After` for 15 minutes, even with the right password; failures per client address "
    "are limited too (`login-rate-limited`) (R-ID-8). A suspended or withdrawn account is told so "
    "only after the right password. Answers a short-lived access token and a single-use refresh "
    "token (R-ID-7).",
    responses=problem_responses(
        InvalidCredentials,
        LoginTemporarilyLocked,
        LoginRateLimited,
        AccountSuspended,
        AccountWithdrawn,
    ),
)
async def create_session(
    body: LoginRequest, session: DbSession, now: Now, client: Client, settings: AppSettings
) -> TokenPair:
    tokens = await sessions.log_in(
        session,
        login_id=body.login_id,
        password=body.password,
        now=now,
        client=client,
        settings=settings,
    )
    return TokenPair.model_validate(tokens)


@auth_router.post(
    "/refresh",
    operation_id="auth_refresh_tokens",
    summary="Trade a refresh token for a new token pair",
    description="Rotation: the presented refresh token is used up and a new one is issued in "
    "the same session. Presenting a used token again ends that whole session "
    "(`refresh-token-reused`) (R-ID-7).",
    responses=problem_responses(
        InvalidRefreshToken, RefreshTokenReused, AccountSuspended, AccountWithdrawn
    ),
)
async def refresh_tokens(
    body: RefreshRequest, session: DbSession, now: Now, client: Client, settings: AppSettings
) -> TokenPair:
    tokens = await sessions.refresh(
        session, refresh_token=body.refresh_token, now=now, client=client, settings=settings
    )
    return TokenPair.model_validate(tokens)


async def _optional_subject(
    request: Request,
    session: DbSession,
    now: Now,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Subject | None:
    if bearer is None:
        return None
    return await Authenticator()(request, session, now, bearer, None)


@auth_router.post(
    "/logout",
    operation_id="auth_end_session",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Log out",
    description="Ends the session of the bearer token and/or of `refresh_token`: its access "
    "token stops working at once and its refresh token is revoked (R-ID-7). Logging out twice "
    "succeeds.",
    responses=problem_responses(
        NotAuthenticated, InvalidAccessToken, AccountNotActive, InvalidRefreshToken
    ),
)
async def end_session(
    session: DbSession,
    now: Now,
    subject: Annotated[Subject | None, Depends(_optional_subject)],
    body: LogoutRequest | None = None,
) -> None:
    await sessions.log_out(
        session,
        subject=subject,
        refresh_token=body.refresh_token if body else None,
        now=now,
    )


@auth_router.post(
    "/password-reset",
    operation_id="auth_request_password_reset",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for a password reset link",
    description="Always the same 202 answer, whether or not the address has an account "
    "(R-ID-5). An active account gets a single-use link valid for "
    "`password_reset_ttl_minutes` (default 60); older links stop working.",
    responses=problem_responses(),
)
async def request_password_reset(
    body: PasswordResetRequest, session: DbSession, now: Now, client: Client, settings: AppSettings
) -> ResetRequested:
    await passwords.request_password_reset(
        session, email=body.email, now=now, client=client, settings=settings
    )
    return ResetRequested(status="accepted")


@auth_router.post(
    "/password-reset/confirm",
    operation_id="auth_confirm_password_reset",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Set a new password with the emailed link",
    description="The token is single-use and expires (R-ID-5). Every session of the account "
    "ends; the member is told by email. A password that breaks the policy (R-ID-4) leaves the "
    "link usable.",
    responses=problem_responses(ResetTokenInvalid, PasswordPolicyViolated),
)
async def confirm_password_reset(
    body: PasswordResetConfirmation,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> None:
    await passwords.confirm_password_reset(
        session,
        token=body.token,
        new_password=body.new_password,
        now=now,
        client=client,
        settings=settings,
    )


@auth_router.post(
    "/rejoin",
    operation_id="auth_request_rejoin",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask to rejoin with a withdrawn account (再入会)",
    description="Always the same 202 answer, whether or not the address has an account, and "
    "whatever its state (no account enumeration, like R-ID-5). A withdrawn individual member "
    "gets a single-use link valid for `password_reset_ttl_minutes` (default 60); older links stop "
    "working; at most 3 links per 15 minutes. Active, suspended, organization and staff accounts "
    "get nothing (seed 002 総則第9条第1項; R-ID-9, R-SUB-11).",
    responses=problem_responses(),
)
async def request_rejoin(
    body: RejoinRequest, session: DbSession, now: Now, client: Client, settings: AppSettings
) -> RejoinRequested:
    await rejoin.request_rejoin(
        session, email=body.email, now=now, client=client, settings=settings
    )
    return RejoinRequested(status="accepted")


@auth_router.post(
    "/rejoin/confirm",
    operation_id="auth_confirm_rejoin",
    summary="Rejoin with the emailed link: agree to the terms, set a new password",
    description="The token is single-use and expires (like R-ID-5). The current terms and privacy "
    "versions must be accepted again (R-ID-1) and the new password must pass the policy (R-ID-4); "
    "such a refusal leaves the link usable. The SAME account becomes active again, its history "
    "with it (R-SUB-11); the address counts as verified. Answers like registration: the account "
    "and a first token pair.",
    responses=problem_responses(
        RejoinTokenInvalid, PasswordPolicyViolated, TermsVersionOutdated, TermsNotPublished
    ),
)
async def confirm_rejoin(
    body: RejoinConfirmation,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> RegistrationOut:
    result = await rejoin.confirm_rejoin(
        session,
        token=body.token,
        new_password=body.new_password,
        terms_version=body.terms_version,
        privacy_version=body.privacy_version,
        now=now,
        client=client,
        settings=settings,
    )
    profile = await me.profile_of(session, result.user, now=now)
    return RegistrationOut(
        account=ProfileOut.model_validate(profile), tokens=TokenPair.model_validate(result.tokens)
    )


@auth_router.post(
    "/email-change/confirm",
    operation_id="auth_confirm_email_change",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Confirm a new email address with the link sent to it",
    description="The new address becomes the login email (verified); the old address is told "
    "(R-ID-6). Refused if the address was registered by someone else meanwhile.",
    responses=problem_responses(EmailChangeTokenInvalid, EmailAlreadyRegistered),
)
async def confirm_email_change(
    body: TokenConfirmation, session: DbSession, now: Now, client: Client
) -> None:
    await email_change.confirm_email_change(session, token=body.token, now=now, client=client)


@terms_router.get(
    "/terms",
    operation_id="auth_get_terms",
    summary="The current terms of service and privacy policy",
    description="Per kind, the latest version in effect today (JST), with its text (R-ID-10). "
    "Registration must name these versions (R-ID-1). Public.",
    responses=problem_responses(),
)
async def get_terms(session: DbSession, now: Now) -> CurrentTerms:
    current = await terms.current_documents(session, now=now)

    def out(kind: TermsKind) -> TermsDocumentOut | None:
        document = current.get(kind)
        return TermsDocumentOut.model_validate(document) if document else None

    return CurrentTerms(terms=out(TermsKind.terms), privacy=out(TermsKind.privacy))


router = APIRouter()
router.include_router(auth_router)
router.include_router(terms_router)
router.include_router(me_router)
