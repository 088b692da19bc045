"""Rejoining after withdrawal (seed 002 総則第9条第1項; R-ID-9, R-SUB-11).

"一度利用停止手続きを行っても…再度本規約に同意のうえ会員登録手続きを行うことで、本サービスを利用
することができます": a withdrawn member comes back by agreeing to the terms again, and gets the
SAME account back (its learning history and posts come back with it, R-SUB-11). The address stays
bound to the withdrawn account (one account per email, whatever its state), so registering it
again answers `rejoin-required` and the client offers this flow instead:

1. Request (`POST /auth/rejoin {email}`): always the same 202, whoever asks about whichever
   address (no account enumeration, like a password reset request, R-ID-5). A link goes out only
   to an account that may rejoin (`rules.rejoin_refusal`: a withdrawn individual member, not
   withdrawn while suspended); active, suspended, staff-side and organization accounts get
   nothing. At most `links.EMAILS_PER_WINDOW` links per account per `links.EMAIL_WINDOW`; a new
   link retires the older one. Every request is audited (`account.rejoin_requested`) with its
   outcome for the support office.
2. Confirm (`POST /auth/rejoin/confirm {token, new_password, terms_version, privacy_version}`):
   the link is single-use and lives `password_reset_ttl_minutes` (it sets a password and signs
   in, so it is as powerful as a reset link and lives as long). The versions must be the current
   ones (R-ID-1), the password must pass the policy (R-ID-4); a refusal leaves the link usable.
   Then the account is reactivated (`account_status.rejoin_account`: active, reason cleared,
   address verified, new password, acceptance recorded, `account.rejoined` audited,
   `rejoin_complete` emailed) and signed in: the answer is the registration's (account + tokens).

A new password is required: the old one may be years old or the reason for leaving, and the
link, not the old password, proves who is coming back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth import repository, rules
from app.auth.errors import AccountStatusConflict, RejoinTokenInvalid
from app.auth.service import account_status, links, terms
from app.auth.service.guard import lock_account
from app.auth.service.registration import Registration, check_password_policy
from app.auth.service.sessions import start_session
from app.config import Settings
from app.kit.request_context import ClientInfo
from app.models.account_token import AccountTokenPurpose
from app.models.user import AccountStatus, User
from app.notifications.formatting import format_email_datetime
from app.notifications.service import notify_user

REJOIN_LINK_PAGE = "/rejoin/confirm"  # the front end's page the emailed link opens


async def request_rejoin(
    session: AsyncSession, *, email: str, now: datetime, client: ClientInfo, settings: Settings
) -> None:
    user = await repository.find_user_by_email(session, email)
    outcome = await _send_rejoin_link(session, user, now=now, settings=settings)
    await record_audit_event(
        session,
        action=AuditAction.rejoin_requested,
        now=now,
        target_type="user" if user else None,
        target_id=user.id if user else None,
        client=client,
        data={"outcome": outcome},
    )


async def _send_rejoin_link(
    session: AsyncSession, user: User | None, *, now: datetime, settings: Settings
) -> str:
    if user is None:
        return "unknown_email"
    if user.status is not AccountStatus.withdrawn:
        return f"not_sent_{user.status.value}"
    refusal = await account_status.rejoin_refusal_for(session, user)
    if refusal is not None:
        return f"not_sent_{refusal.value}"
    if await links.emails_throttled(session, user.id, AccountTokenPurpose.rejoin, now=now):
        return "not_sent_throttled"
    expires_at = now + timedelta(minutes=settings.password_reset_ttl_minutes)
    raw = await links.issue(
        session, user.id, AccountTokenPurpose.rejoin, now=now, expires_at=expires_at
    )
    await notify_user(
        session,
        user,
        template="rejoin_link",
        context={
            "rejoin_url": rules.frontend_link(settings.frontend_base_url, REJOIN_LINK_PAGE, raw),
            "expires_at": format_email_datetime(expires_at, user.locale),
        },
        now=now,
    )
    return "sent"


async def confirm_rejoin(
    session: AsyncSession,
    *,
    token: str,
    new_password: str,
    terms_version: str,
    privacy_version: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> Registration:
    row = await links.find_usable(session, token, AccountTokenPurpose.rejoin, now=now)
    if row is None:
        raise RejoinTokenInvalid()
    user = await repository.get_user(session, row.user_id)
    if user is None or await account_status.rejoin_refusal_for(session, user) is not None:
        raise RejoinTokenInvalid()  # suspended or reactivated since the link was sent
    documents = await terms.require_current_versions(
        session, terms_version=terms_version, privacy_version=privacy_version, now=now
    )
    check_password_policy(
        new_password, login_ids=[user.email, user.customer_number], field="new_password"
    )
    # Like a password reset: serialized with password checks of the account (R-ID-8).
    await lock_account(session, user.id)
    if not await repository.use_account_token(session, row.id, now=now):
        raise RejoinTokenInvalid()  # a concurrent confirmation used it first
    try:
        user = await account_status.rejoin_account(
            session, user, new_password=new_password, documents=documents, now=now, client=client
        )
    except AccountStatusConflict as error:
        raise RejoinTokenInvalid() from error  # its state changed under us; nothing is kept
    tokens = await start_session(session, user, now=now, client=client, settings=settings)
    return Registration(user=user, tokens=tokens)
