"""Password reset and password change (R-ID-4, R-ID-5).

Reset request: always the same 202 answer, whoever asks about whichever address (no account
enumeration). An email goes out only to an active account: a suspended or withdrawn account
could not log in with a new password anyway, so nothing is sent to it (the request is audited
with its outcome for the support office). At most `links.EMAILS_PER_WINDOW` reset emails per
account per `links.EMAIL_WINDOW`, so the endpoint cannot be used to flood someone's inbox;
further requests answer the same and send nothing. A new reset link retires older unused ones.

Reset confirm: the token is single-use and valid for `password_reset_ttl_minutes` (until, not
at, its expiry). Using it sets the password, ends every session of the account, marks the address
verified (the link proved it), and tells the member by email (`password_reset_completed`: every
device was signed out). A new password that breaks the policy is refused without consuming the
token.

Change (signed in): needs the current password (guarded like a login, R-ID-8). Other sessions
end; the calling session stays signed in: its refresh token keeps working and the response
carries a new access token, because the bumped epoch retires the one used for this call. The
email (`password_changed`) says so: this device stays signed in, the others were signed out.

Both take the account's login lock, so a login verifying the old password at the same moment
either finishes before (and its session is revoked) or sees the new hash.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth import repository, rules
from app.auth.errors import ResetTokenInvalid
from app.auth.service import links
from app.auth.service.guard import lock_account, verify_current_password
from app.auth.service.registration import check_password_policy
from app.auth.service.sessions import AccessToken, end_all_sessions, issue_access_token
from app.config import Settings
from app.kit import security
from app.kit.request_context import ClientInfo
from app.models.account_token import AccountTokenPurpose
from app.models.user import AccountStatus, User
from app.notifications.formatting import format_email_datetime
from app.notifications.service import notify_user


async def request_password_reset(
    session: AsyncSession, *, email: str, now: datetime, client: ClientInfo, settings: Settings
) -> None:
    user = await repository.find_user_by_email(session, email)
    outcome = await _send_reset_link(session, user, now=now, settings=settings)
    await record_audit_event(
        session,
        action=AuditAction.password_reset_requested,
        now=now,
        target_type="user" if user else None,
        target_id=user.id if user else None,
        client=client,
        data={"outcome": outcome},
    )


async def _send_reset_link(
    session: AsyncSession, user: User | None, *, now: datetime, settings: Settings
) -> str:
    if user is None:
        return "unknown_email"
    if user.status is not AccountStatus.active:
        return f"not_sent_{user.status.value}"
    if await links.emails_throttled(session, user.id, AccountTokenPurpose.reset_password, now=now):
        return "not_sent_throttled"
    expires_at = now + timedelta(minutes=settings.password_reset_ttl_minutes)
    raw = await links.issue(
        session, user.id, AccountTokenPurpose.reset_password, now=now, expires_at=expires_at
    )
    await notify_user(
        session,
        user,
        template="password_reset",
        context={
            "reset_url": rules.frontend_link(settings.frontend_base_url, "/reset-password", raw),
            "expires_at": format_email_datetime(expires_at, user.locale),
        },
        now=now,
    )
    return "sent"


async def confirm_password_reset(
    session: AsyncSession,
    *,
    token: str,
    new_password: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> None:
    row = await links.find_usable(session, token, AccountTokenPurpose.reset_password, now=now)
    if row is None:
        raise ResetTokenInvalid()
    user = await repository.get_user(session, row.user_id)
    if user is None or user.status is not AccountStatus.active:
        raise ResetTokenInvalid()
    check_password_policy(
        new_password, login_ids=[user.email, user.customer_number], field="new_password"
    )
    await lock_account(session, user.id)
    if not await repository.use_account_token(session, row.id, now=now):
        raise ResetTokenInvalid()  # a concurrent request used it first
    await session.refresh(user)
    user.password_hash = await security.hash_password(new_password)
    if user.email_verified_at is None:
        user.email_verified_at = now  # the emailed link proved the address
    await end_all_sessions(session, user, now=now, reason="password_reset")
    await repository.retire_account_tokens(
        session, user.id, purposes=[AccountTokenPurpose.reset_password], now=now
    )
    await notify_user(session, user, template="password_reset_completed", now=now)
    await record_audit_event(
        session,
        action=AuditAction.password_reset,
        now=now,
        target_type="user",
        target_id=user.id,
        client=client,
    )


async def change_password(
    session: AsyncSession,
    *,
    user: User,
    session_id: uuid.UUID,
    current_password: str,
    new_password: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> AccessToken:
    check_password_policy(
        new_password, login_ids=[user.email, user.customer_number], field="new_password"
    )
    await verify_current_password(
        session,
        user,
        current_password,
        purpose="password_change",
        now=now,
        client=client,
        settings=settings,
    )
    user.password_hash = await security.hash_password(new_password)
    await end_all_sessions(session, user, now=now, reason="password_changed", keep=session_id)
    await repository.retire_account_tokens(
        session, user.id, purposes=[AccountTokenPurpose.reset_password], now=now
    )
    await notify_user(session, user, template="password_changed", now=now)
    await record_audit_event(
        session,
        action=AuditAction.password_changed,
        now=now,
        actor_user_id=user.id,
        target_type="user",
        target_id=user.id,
        client=client,
    )
    return issue_access_token(user, session_id, now=now, settings=settings)
