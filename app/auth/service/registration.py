"""Registration and email verification (R-ID-1, R-ID-2, R-ID-4, R-ID-13).

Two ways in, one account shape:

- `register_member` (R-ID-1): name, email, password and the current terms/privacy versions.
- `register_student` (R-ID-2, seed 002 総則第4条・第5条): a correspondence student proves who
  they are with their customer number and the latest phone number on file; the name comes from
  the registry and the customer number becomes a login ID. Every mismatch (no such customer,
  wrong phone) is the same `student-verification-failed`, and failures are throttled per client
  address (`STUDENT_MAX_FAILURES` within `STUDENT_WINDOW`), serialized per address so parallel
  guesses cannot overshoot. Only a verified caller learns that the customer number is already
  registered.

Registration completes by sending the 会員登録完了 email (seed 002 総則第4条第3項), which also
carries the email-verification link; the account is usable at once (email_verified is false
until the link is used) and the response carries tokens for a first session, so the app does
not make the member type the password twice.

One account per email (the unique index, whatever the account's state) and per customer number:
concurrent registrations of one address yield one account; the others get the 409 problem the
pre-check would have given. An address (or customer number) held by a withdrawn account that may
come back answers `rejoin-required` instead of `email-already-registered` (or
`customer-already-registered`): its holder rejoins and gets the same account back
(`app.auth.service.rejoin`; seed 002 総則第9条第1項, R-SUB-11).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth import repository, rules
from app.auth.errors import (
    CustomerAlreadyRegistered,
    EmailAlreadyRegistered,
    PasswordPolicyViolated,
    RejoinRequired,
    StudentRegistrationThrottled,
    StudentVerificationFailed,
    VerificationTokenInvalid,
)
from app.auth.service import account_status, links, terms
from app.auth.service.sessions import IssuedTokens, start_session
from app.config import Settings
from app.kit import security
from app.kit.normalize import normalize_phone
from app.kit.request_context import ClientInfo
from app.models.account_token import AccountTokenPurpose
from app.models.terms import TermsDocument
from app.models.user import AccountStatus, Role, User
from app.notifications.formatting import format_email_datetime
from app.notifications.service import notify_user

STUDENT_MAX_FAILURES = 10
STUDENT_WINDOW = timedelta(minutes=15)
# The failures live in `rate_limit_window` rows (one per failure instant, bucket
# "student-registration:<address>"), which the daily housekeeping (app/ops/housekeeping.py)
# deletes once older than RATE_LIMIT_RETENTION (1 hour). A failure matters for at most
# STUDENT_WINDOW (it counts toward a block) plus STUDENT_WINDOW (the block it completes lasts
# that long) = 30 minutes, which is also how far back `register_student` reads: the purge never
# removes a failure that still counts. Keep 2 * STUDENT_WINDOW <= RATE_LIMIT_RETENTION
# (tests/auth/test_registration.py checks it).
STUDENT_FAILURE_LOOKBACK = 2 * STUDENT_WINDOW


@dataclass(frozen=True)
class Registration:
    user: User
    tokens: IssuedTokens


def check_password_policy(
    password: str, *, login_ids: Sequence[str | None], field: str = "password"
) -> None:
    """R-ID-4; raises `password-policy-violated` naming each violation (stable codes such as
    `same_as_login_id`) under the request field `field`."""
    violations = [str(v) for v in rules.password_violations(password, login_ids=login_ids)]
    if violations:
        raise PasswordPolicyViolated(
            errors={f"body.{field}": violations}, extensions={"violations": violations}
        )


async def register_member(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    password: str,
    terms_version: str,
    privacy_version: str,
    locale: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> Registration:
    documents = await terms.require_current_versions(
        session, terms_version=terms_version, privacy_version=privacy_version, now=now
    )
    check_password_policy(password, login_ids=[email])
    await _check_email_is_free(session, email)
    return await _create_account(
        session,
        name=name,
        email=email,
        password=password,
        customer_number=None,
        locale=locale,
        documents=documents,
        now=now,
        client=client,
        settings=settings,
    )


async def register_student(
    session: AsyncSession,
    *,
    customer_number: str,
    phone: str,
    email: str,
    password: str,
    terms_version: str,
    privacy_version: str,
    locale: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> Registration:
    documents = await terms.require_current_versions(
        session, terms_version=terms_version, privacy_version=privacy_version, now=now
    )
    check_password_policy(password, login_ids=[email, customer_number])
    bucket = f"student-registration:{client.ip_address}"
    await repository.advisory_lock(
        session, repository.LockSpace.student_registration_address, client.ip_address
    )
    failures = await repository.throttle_events(
        session, bucket, since=now - STUDENT_FAILURE_LOOKBACK
    )
    until = rules.blocked_until(
        failures, now=now, limit=STUDENT_MAX_FAILURES, window=STUDENT_WINDOW, block=STUDENT_WINDOW
    )
    if until is not None:
        raise StudentRegistrationThrottled(
            retry_after_seconds=rules.retry_after_seconds(until, now)
        )
    record = await repository.get_customer_record(session, customer_number)
    # Compare in constant time, and the same way whether or not the customer exists.
    on_file = normalize_phone(record.phone) if record else "-"
    if not security.constant_time_equals(on_file, phone) or record is None:
        await repository.add_throttle_event(session, bucket, at=now)
        await record_audit_event(
            session, action=AuditAction.student_verification_failed, now=now, client=client
        )
        raise StudentVerificationFailed()
    holder = await repository.find_user_by_customer_number(session, record.customer_number)
    if holder is not None:
        await _refuse_taken(session, holder, CustomerAlreadyRegistered())
    await _check_email_is_free(session, email)
    return await _create_account(
        session,
        name=record.name,
        email=email,
        password=password,
        customer_number=record.customer_number,
        locale=locale,
        documents=documents,
        now=now,
        client=client,
        settings=settings,
    )


async def _check_email_is_free(session: AsyncSession, email: str) -> None:
    holder = await repository.find_user_by_email(session, email)
    if holder is not None:
        await _refuse_taken(session, holder, EmailAlreadyRegistered())


async def _refuse_taken(
    session: AsyncSession,
    holder: User,
    taken: EmailAlreadyRegistered | CustomerAlreadyRegistered,
) -> NoReturn:
    """The address or customer number has an account: `rejoin-required` when it is a withdrawn
    account its holder may reopen online, otherwise `taken`."""
    if (
        holder.status is AccountStatus.withdrawn
        and await account_status.rejoin_refusal_for(session, holder) is None
    ):
        raise RejoinRequired()
    raise taken


async def _create_account(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    password: str,
    customer_number: str | None,
    locale: str,
    documents: Sequence[TermsDocument],
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> Registration:
    user = User(
        id=uuid.uuid4(),
        email=email,
        email_verified_at=None,
        password_hash=await security.hash_password(password),
        name=name,
        role=Role.member,
        status=AccountStatus.active,
        customer_number=customer_number,
        locale=locale,
        session_epoch=0,
        created_at=now,  # the sign-up instant on the app's clock (R-SUB-2 counts from it)
    )
    try:
        # A savepoint: a concurrent registration may take the address (or customer number)
        # between the pre-check and here; the unique index decides.
        async with session.begin_nested():
            session.add(user)
    except IntegrityError as error:
        if repository.violated_constraint(error) == repository.CUSTOMER_NUMBER_UNIQUE_INDEX:
            raise CustomerAlreadyRegistered() from error
        raise EmailAlreadyRegistered() from error
    await terms.record_acceptance(session, user.id, documents, now=now)
    await send_verification_email(
        session, user, template="registration_complete", now=now, settings=settings
    )
    tokens = await start_session(session, user, now=now, client=client, settings=settings)
    await record_audit_event(
        session,
        action=AuditAction.student_registered if customer_number else AuditAction.registered,
        now=now,
        actor_user_id=user.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={"terms_versions": {str(document.kind): document.version for document in documents}},
    )
    return Registration(user=user, tokens=tokens)


# --- Email verification -------------------------------------------------------------------------


async def send_verification_email(
    session: AsyncSession, user: User, *, template: str, now: datetime, settings: Settings
) -> None:
    """Issue a fresh verification link (older ones stop working) and email it."""
    expires_at = now + timedelta(hours=settings.email_verification_ttl_hours)
    raw = await links.issue(
        session, user.id, AccountTokenPurpose.verify_email, now=now, expires_at=expires_at
    )
    await notify_user(
        session,
        user,
        template=template,
        context={
            "verify_url": rules.frontend_link(settings.frontend_base_url, "/verify-email", raw),
            "expires_at": format_email_datetime(expires_at, user.locale),
        },
        now=now,
    )


async def resend_verification(
    session: AsyncSession, user: User, *, now: datetime, settings: Settings
) -> bool:
    """Send a new verification link unless the address is already verified (then: no-op)."""
    if user.email_verified_at is not None:
        return False
    await send_verification_email(
        session, user, template="email_verification", now=now, settings=settings
    )
    return True


async def confirm_email_verification(session: AsyncSession, *, token: str, now: datetime) -> None:
    row = await links.find_usable(session, token, AccountTokenPurpose.verify_email, now=now)
    if row is None:
        raise VerificationTokenInvalid()
    user = await repository.get_user(session, row.user_id)
    if user is None or user.status is not AccountStatus.active:
        raise VerificationTokenInvalid()
    if not await repository.use_account_token(session, row.id, now=now):
        raise VerificationTokenInvalid()
    if user.email_verified_at is None:
        user.email_verified_at = now
