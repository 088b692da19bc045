"""The password guard: brute-force protection around every password check (R-ID-8).

Used by login (`app.auth.service.sessions.log_in`) and by the current-password checks of /me
operations (email change, password change, withdrawal): a stolen access token cannot be used to
guess the password either. Checks run in this order, before the password is verified:

1. the client address (login only): `login_max_failures_per_address` failures within
   `login_window_minutes` block the address for `login_lockout_minutes` (`login-rate-limited`).
   This count is not serialized (that would make every login from one office wait for the
   others); concurrency can overshoot it by the number of requests in flight.
2. the account: `login_max_failures` failures within `login_window_minutes` lock it until
   `login_lockout_minutes` after the failure that completed the count
   (`login-temporarily-locked`, even with the right password). Attempts refused while locked
   are not failures, so hammering a locked account does not extend the lock. A successful
   login starts the count afresh: only failures at or after `last_login_at` count. The check
   and the failure record of one account run under a transaction-scoped advisory lock, so
   concurrent wrong guesses cannot overshoot the limit; the account row is re-read under it.

Unknown login IDs are counted and locked exactly like accounts, under a pseudo account id
derived from the login ID with an HMAC (`pseudo_account_id`; a version-5 UUID never equals a
real, version-4 account id): otherwise "locks after 5 tries" would tell which login IDs exist.
A failure writes its `LoginFailure` row and `auth.login_failed` audit event (and
`auth.login_locked` when it completes the count) and is then refused with a `keeps_writes`
error, so the refusal keeps them.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth import repository, rules
from app.auth.errors import CurrentPasswordIncorrect, LoginRateLimited, LoginTemporarilyLocked
from app.config import Settings
from app.kit import security
from app.kit.request_context import ClientInfo
from app.models.user import User


def pseudo_account_id(normalized_login_id: str, *, secret: str) -> uuid.UUID:
    """A stable stand-in account id for a login ID that names no account."""
    digest = hmac.new(
        secret.encode(), b"manabi/unknown-login-id/v1\x00" + normalized_login_id.encode(), "sha256"
    ).digest()
    return uuid.UUID(bytes=digest[:16], version=5)


def _window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.login_window_minutes)


def _lockout(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.login_lockout_minutes)


def _account_blocked_until(
    failures: list[datetime], *, now: datetime, settings: Settings
) -> datetime | None:
    return rules.blocked_until(
        failures,
        now=now,
        limit=settings.login_max_failures,
        window=_window(settings),
        block=_lockout(settings),
    )


async def check_address(
    session: AsyncSession, client: ClientInfo, *, now: datetime, settings: Settings
) -> None:
    failures = await repository.login_failures_for_address(
        session, client.ip_address, since=now - _window(settings) - _lockout(settings)
    )
    until = rules.blocked_until(
        failures,
        now=now,
        limit=settings.login_max_failures_per_address,
        window=_window(settings),
        block=_lockout(settings),
    )
    if until is not None:
        raise LoginRateLimited(retry_after_seconds=rules.retry_after_seconds(until, now))


async def lock_account(session: AsyncSession, subject_id: uuid.UUID) -> None:
    """Serialize password checks of one account (held until the transaction ends)."""
    await repository.advisory_lock(session, repository.LockSpace.login_account, str(subject_id))


async def check_account(
    session: AsyncSession,
    subject_id: uuid.UUID,
    *,
    counted_after: datetime | None,
    now: datetime,
    settings: Settings,
) -> list[datetime]:
    """Refuse while the account is locked; otherwise its failures that still count."""
    since = now - _window(settings) - _lockout(settings)
    if counted_after is not None and counted_after > since:
        since = counted_after
    failures = await repository.login_failures_for_account(session, subject_id, since=since)
    until = _account_blocked_until(failures, now=now, settings=settings)
    if until is not None:
        raise LoginTemporarilyLocked(retry_after_seconds=rules.retry_after_seconds(until, now))
    return failures


async def record_failure(
    session: AsyncSession,
    *,
    subject_id: uuid.UUID,
    user: User | None,
    earlier_failures: list[datetime],
    now: datetime,
    client: ClientInfo,
    settings: Settings,
    data: dict[str, str],
) -> None:
    await repository.add_login_failure(
        session, subject_id=subject_id, ip_address=client.ip_address, at=now
    )
    await record_audit_event(
        session,
        action=AuditAction.login_failed,
        now=now,
        target_type="user" if user else None,
        target_id=user.id if user else None,
        client=client,
        data=data,
    )
    if user is not None:
        until = _account_blocked_until([*earlier_failures, now], now=now, settings=settings)
        if until is not None:
            await record_audit_event(
                session,
                action=AuditAction.login_locked,
                now=now,
                target_type="user",
                target_id=user.id,
                client=client,
                data={"locked_until": until.isoformat()},
            )


async def verify_current_password(
    session: AsyncSession,
    user: User,
    password: str,
    *,
    purpose: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> None:
    """The signed-in member's password check before a sensitive change (R-ID-6, R-ID-9).

    Raises `LoginTemporarilyLocked` while the account is locked and `CurrentPasswordIncorrect`
    (keeping the failure record) on a wrong password. Call it before writing anything else.
    """
    await lock_account(session, user.id)
    await session.refresh(user)  # the hash as of now, under the lock
    failures = await check_account(
        session, user.id, counted_after=user.last_login_at, now=now, settings=settings
    )
    if await security.verify_password(password, user.password_hash):
        return
    await record_failure(
        session,
        subject_id=user.id,
        user=user,
        earlier_failures=failures,
        now=now,
        client=client,
        settings=settings,
        data={"reason": "wrong_password", "context": purpose},
    )
    raise CurrentPasswordIncorrect()
