"""Email change (R-ID-6; seed 002 総則第8条第3項: members change their email in the service).

Request (signed in): the current password (guarded like a login, R-ID-8), then a link to the
NEW address (`email_change_confirm`, valid `email_change_ttl_hours`) and a notice to the OLD one
(`email_change_requested_notice`). A newer request retires the older link. The password comes
before the "address already registered" check, so a stolen access token cannot be used to probe
which addresses have accounts.

Confirm (from the link, no sign-in needed: it may be opened on another device): the address is
checked again (it may have been registered meanwhile; the unique index settles a race), becomes
the login email, verified; the old address is told (`email_changed_notice`). Every other emailed
link of the account (verification, reset, other changes) stops working: they were sent to, or
for, the old address. Sessions are kept: changing one's address is not a sign of compromise the
way a password reset is, and the old address was told.

Neither answer ever contains an address other than what the caller sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth import repository, rules
from app.auth.errors import EmailAlreadyRegistered, EmailChangeTokenInvalid, EmailUnchanged
from app.auth.service import links
from app.auth.service.guard import verify_current_password
from app.config import Settings
from app.kit.request_context import ClientInfo
from app.models.account_token import AccountTokenPurpose
from app.models.user import AccountStatus, User
from app.notifications.formatting import format_email_datetime
from app.notifications.service import notify_user


async def request_email_change(
    session: AsyncSession,
    *,
    user: User,
    new_email: str,
    current_password: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> datetime:
    """Send the confirmation link; returns when it expires."""
    if new_email == user.email:
        raise EmailUnchanged()
    await verify_current_password(
        session,
        user,
        current_password,
        purpose="email_change",
        now=now,
        client=client,
        settings=settings,
    )
    if await repository.email_is_taken(session, new_email):
        raise EmailAlreadyRegistered()
    expires_at = now + timedelta(hours=settings.email_change_ttl_hours)
    raw = await links.issue(
        session,
        user.id,
        AccountTokenPurpose.change_email,
        now=now,
        expires_at=expires_at,
        new_email=new_email,
    )
    await notify_user(
        session,
        user,
        template="email_change_confirm",
        to_address=new_email,
        context={
            "confirm_url": rules.frontend_link(
                settings.frontend_base_url, "/confirm-email-change", raw
            ),
            "expires_at": format_email_datetime(expires_at, user.locale),
        },
        now=now,
    )
    await notify_user(session, user, template="email_change_requested_notice", now=now)
    await record_audit_event(
        session,
        action=AuditAction.email_change_requested,
        now=now,
        actor_user_id=user.id,
        target_type="user",
        target_id=user.id,
        client=client,
    )
    return expires_at


async def confirm_email_change(
    session: AsyncSession, *, token: str, now: datetime, client: ClientInfo
) -> None:
    row = await links.find_usable(session, token, AccountTokenPurpose.change_email, now=now)
    if row is None or row.new_email is None:
        raise EmailChangeTokenInvalid()
    user = await repository.get_user(session, row.user_id)
    if user is None or user.status is not AccountStatus.active:
        raise EmailChangeTokenInvalid()
    if await repository.email_is_taken(session, row.new_email):
        raise EmailAlreadyRegistered()
    if not await repository.use_account_token(session, row.id, now=now):
        raise EmailChangeTokenInvalid()  # a concurrent request used it first
    old_email = user.email
    user.email = row.new_email
    user.email_verified_at = now
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise EmailAlreadyRegistered() from error
    await repository.retire_account_tokens(
        session, user.id, purposes=list(AccountTokenPurpose), now=now
    )
    await notify_user(session, user, template="email_changed_notice", to_address=old_email, now=now)
    await record_audit_event(
        session,
        action=AuditAction.email_changed,
        now=now,
        target_type="user",
        target_id=user.id,
        client=client,
    )
