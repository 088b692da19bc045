"""HTTP for the signed-in member's own identity: /me, /me/* (R-ID-1, -4, -6, -7, -9, -10).

Every operation acts on the caller (`CurrentUser`): no path or body names another member, and a
session id that is not the caller's answers 404. Mounted through `app.auth.router`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from app.auth.auth import CurrentUser
from app.auth.errors import (
    AccountNotActive,
    AccountStatusConflict,
    CurrentPasswordIncorrect,
    EmailAlreadyRegistered,
    EmailUnchanged,
    InvalidAccessToken,
    LoginTemporarilyLocked,
    NameManagedByRegistry,
    NotAuthenticated,
    PasswordPolicyViolated,
    RoleNotAllowed,
    SessionNotFound,
    TermsNotPublished,
    TermsVersionOutdated,
    WithdrawalNotAllowed,
)
from app.auth.schemas import (
    AccessTokenOut,
    EmailChangeRequest,
    EmailChangeRequested,
    PasswordChange,
    ProfileOut,
    ProfileUpdate,
    SessionOut,
    TermsAcceptanceOut,
    TermsAcceptances,
    TermsStatusOut,
    TermsVersions,
    VerificationResent,
    Withdrawal,
)
from app.auth.service import email_change, me, passwords, registration, sessions, terms
from app.config import Settings
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor
from app.kit.pagination import Page, PageQuery
from app.kit.problems import problem_responses
from app.kit.request_context import Client


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]

SIGNED_IN = (NotAuthenticated, InvalidAccessToken, AccountNotActive, RoleNotAllowed)
PASSWORD_CHECK = (CurrentPasswordIncorrect, LoginTemporarilyLocked)

router = APIRouter(prefix="/me", tags=["auth"])


async def _profile_out(session: DbSession, subject: CurrentUser, now: Now) -> ProfileOut:
    profile = await me.profile_of(session, subject.require_user(), now=now)
    return ProfileOut.model_validate(profile)


@router.get(
    "",
    operation_id="auth_get_profile",
    name="auth_get_profile",
    summary="Read your own account",
    description="Your profile and whether a newer terms or privacy version awaits your "
    "acceptance (`terms.needs_terms_acceptance`, R-ID-10). Never contains a password.",
    responses=problem_responses(*SIGNED_IN),
)
async def get_profile(session: DbSession, subject: CurrentUser, now: Now) -> ProfileOut:
    return await _profile_out(session, subject, now)


@router.patch(
    "",
    operation_id="auth_update_profile",
    summary="Change your name or language",
    description="Only `name` and `locale`. Students registered with a customer number keep "
    "the name on file (seed 002 総則第8条; R-ID-2).",
    responses=problem_responses(*SIGNED_IN, NameManagedByRegistry),
)
async def update_profile(
    body: ProfileUpdate, session: DbSession, subject: CurrentUser, now: Now
) -> ProfileOut:
    await me.update_profile(session, subject.require_user(), name=body.name, locale=body.locale)
    return await _profile_out(session, subject, now)


@router.post(
    "/email-verification",
    operation_id="auth_resend_email_verification",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a new email-verification link",
    description="Retires earlier links. Does nothing when the address is already verified "
    "(R-ID-1).",
    responses=problem_responses(*SIGNED_IN),
)
async def resend_email_verification(
    session: DbSession, subject: CurrentUser, now: Now, settings: AppSettings
) -> VerificationResent:
    sent = await registration.resend_verification(
        session, subject.require_user(), now=now, settings=settings
    )
    return VerificationResent(status="sent" if sent else "already_verified")


@router.post(
    "/email-change",
    operation_id="auth_request_email_change",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask to change your email address",
    description="Needs your current password (wrong guesses count toward the login lockout, "
    "R-ID-8). A confirmation link goes to the new address and a notice to the current one; the "
    "change happens when the link is used (R-ID-6).",
    responses=problem_responses(
        *SIGNED_IN, *PASSWORD_CHECK, EmailAlreadyRegistered, EmailUnchanged
    ),
)
async def request_email_change(
    body: EmailChangeRequest,
    session: DbSession,
    subject: CurrentUser,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> EmailChangeRequested:
    expires_at = await email_change.request_email_change(
        session,
        user=subject.require_user(),
        new_email=body.new_email,
        current_password=body.current_password,
        now=now,
        client=client,
        settings=settings,
    )
    return EmailChangeRequested(status="confirmation_sent", expires_at=expires_at)


@router.post(
    "/password",
    operation_id="auth_change_password",
    summary="Change your password",
    description="Needs the current password (R-ID-8 lockout applies). Every other session ends; "
    "this one stays signed in: use the access token in the response (the old one stops "
    "working), the refresh token stays valid (R-ID-4, R-ID-7).",
    responses=problem_responses(*SIGNED_IN, *PASSWORD_CHECK, PasswordPolicyViolated),
)
async def change_password(
    body: PasswordChange,
    session: DbSession,
    subject: CurrentUser,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> AccessTokenOut:
    assert subject.session_id is not None
    token = await passwords.change_password(
        session,
        user=subject.require_user(),
        session_id=subject.session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        now=now,
        client=client,
        settings=settings,
    )
    return AccessTokenOut.model_validate(token)


@router.post(
    "/withdrawal",
    operation_id="auth_withdraw_account",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Close your account (退会)",
    description="Needs the current password. The account becomes `withdrawn`, every session "
    "and emailed link ends and a confirmation email is sent; your data is kept, not deleted, "
    "and comes back when you rejoin (POST /auth/rejoin; R-ID-9, R-SUB-11). Accounts of an "
    "organization and staff accounts are closed by an administrator.",
    responses=problem_responses(
        *SIGNED_IN, *PASSWORD_CHECK, WithdrawalNotAllowed, AccountStatusConflict
    ),
)
async def withdraw_account(
    body: Withdrawal,
    session: DbSession,
    subject: CurrentUser,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> None:
    await me.withdraw(
        session,
        user=subject.require_user(),
        current_password=body.current_password,
        reason=body.reason or None,
        now=now,
        client=client,
        settings=settings,
    )


@router.get(
    "/sessions",
    operation_id="auth_list_sessions",
    summary="List your signed-in sessions",
    description="Your live login sessions, newest first; `current` marks this one (R-ID-7).",
    responses=problem_responses(*SIGNED_IN, InvalidCursor),
)
async def list_sessions(
    session: DbSession, subject: CurrentUser, now: Now, page: PageQuery
) -> Page[SessionOut]:
    items, next_cursor = await sessions.list_sessions(
        session, subject.require_user(), now=now, page=page
    )
    return Page[SessionOut](
        items=[
            SessionOut(
                id=item.id,
                created_at=item.created_at,
                last_used_at=item.last_used_at,
                expires_at=item.expires_at,
                user_agent=item.user_agent,
                ip_address=item.ip_address,
                current=item.id == subject.session_id,
            )
            for item in items
        ],
        next_cursor=next_cursor,
    )


@router.delete(
    "/sessions/{session_id}",
    operation_id="auth_revoke_session",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Sign out one of your sessions",
    description="Its access and refresh tokens stop working at once (R-ID-7). Ending an ended "
    "session succeeds; an id that is not one of yours is 404.",
    responses=problem_responses(*SIGNED_IN, SessionNotFound),
)
async def revoke_session(
    session_id: uuid.UUID, session: DbSession, subject: CurrentUser, now: Now
) -> None:
    await sessions.end_own_session(session, subject.require_user(), session_id, now=now)


async def _acceptances(session: DbSession, subject: CurrentUser, now: Now) -> TermsAcceptances:
    user = subject.require_user()
    accepted = await terms.accepted_documents(session, user.id)
    status_ = await terms.status_for(session, user.id, now=now)
    return TermsAcceptances(
        items=[TermsAcceptanceOut.model_validate(item) for item in accepted],
        status=TermsStatusOut.model_validate(status_),
    )


@router.get(
    "/terms-acceptances",
    operation_id="auth_list_terms_acceptances",
    name="auth_list_terms_acceptances",
    summary="The terms versions you accepted",
    description="Every terms / privacy version you accepted and when, newest first, with "
    "whether a newer current version awaits your acceptance (R-ID-10).",
    responses=problem_responses(*SIGNED_IN),
)
async def list_terms_acceptances(
    session: DbSession, subject: CurrentUser, now: Now
) -> TermsAcceptances:
    return await _acceptances(session, subject, now)


@router.post(
    "/terms-acceptances",
    operation_id="auth_accept_terms",
    status_code=status.HTTP_201_CREATED,
    summary="Accept the current terms and privacy policy",
    description="Both versions must be the current ones (`terms-version-outdated` otherwise, "
    "R-ID-10). 201 when something new was accepted, 200 when both were already accepted.",
    responses={
        200: {"model": TermsAcceptances, "description": "Already accepted; nothing changed."},
        **problem_responses(*SIGNED_IN, TermsVersionOutdated, TermsNotPublished),
    },
)
async def accept_terms(
    body: TermsVersions,
    request: Request,
    response: Response,
    session: DbSession,
    subject: CurrentUser,
    now: Now,
) -> TermsAcceptances:
    created = await terms.accept_current(
        session,
        subject.require_user().id,
        terms_version=body.terms_version,
        privacy_version=body.privacy_version,
        now=now,
    )
    if created:
        response.headers["Location"] = request.url_for("auth_list_terms_acceptances").path
    else:
        response.status_code = status.HTTP_200_OK
    return await _acceptances(session, subject, now)
