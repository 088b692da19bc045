"""Account status changes, one place for every caller (R-ID-9, R-ID-12; R-SUB-11).

    active ──suspend──▶ suspended ──reinstate──▶ active
    active / suspended ──withdraw──▶ withdrawn ──rejoin──▶ active

Staff act through `app.auth.accounts_admin` (suspend, reinstate, withdraw on a member's behalf),
members through `app.auth.service.me` (withdraw themselves) and `app.auth.service.rejoin` (come
back). The callers decide who may act (authorization, password checks); this module decides
whether the transition is possible and does everything that goes with it, the same way for every
caller:

- the account row is locked and re-read first, so a transition decides on the committed state
  (a member withdrawing while staff suspend them: one waits for the other and then sees it);
- suspension and withdrawal end every session at once (`end_all_sessions`: bumped epoch plus
  revoked sessions) and retire every emailed link (reset, verification, email change, rejoin);
  a lifted suspension does not bring either back;
- the account holder is emailed (`account_suspended`, `account_withdrawn` or
  `account_withdrawn_managed`, `rejoin_complete`) and the act is audited with its actor.

Withdrawal deletes nothing (seed 002 総則第9条第1項; R-SUB-11): the same account comes back when
its holder rejoins. Who may rejoin is `rules.rejoin_refusal`; the status an account was withdrawn
from is kept in its `account.withdrawn` audit event (`previous_status`), which is where
`rejoin_refusal_for` reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository as audit_repository
from app.audit.service import AuditAction, record_audit_event
from app.auth import repository, rules
from app.auth.errors import AccountStatusConflict, UserNotFound
from app.auth.service import terms
from app.auth.service.sessions import end_all_sessions
from app.config import Settings
from app.kit import security
from app.kit.request_context import ClientInfo
from app.models.account_token import AccountTokenPurpose
from app.models.terms import TermsDocument
from app.models.user import AccountStatus, User
from app.notifications.service import notify_user

REJOIN_PAGE = "/rejoin"  # the front end's page where a withdrawn member asks to rejoin


async def _lock(session: AsyncSession, user: User) -> User:
    locked = await repository.get_user_for_update(session, user.id)
    if locked is None:
        raise UserNotFound()
    return locked


async def _close(session: AsyncSession, user: User, *, now: datetime, reason: str) -> None:
    """End every session and every emailed link of the account."""
    await end_all_sessions(session, user, now=now, reason=reason)
    await repository.retire_account_tokens(
        session, user.id, purposes=list(AccountTokenPurpose), now=now
    )


async def suspend_account(
    session: AsyncSession,
    user: User,
    *,
    actor: User,
    reason: str,
    now: datetime,
    client: ClientInfo,
) -> None:
    """R-ID-9: staff suspend an active account for a rule violation."""
    user = await _lock(session, user)
    if user.status is not AccountStatus.active:
        raise AccountStatusConflict(status=user.status.value)
    user.status = AccountStatus.suspended
    user.status_reason = reason
    user.status_changed_at = now
    await _close(session, user, now=now, reason="account_suspended")
    await notify_user(
        session, user, template="account_suspended", context={"reason": reason}, now=now
    )
    await record_audit_event(
        session,
        action=AuditAction.suspended,
        now=now,
        actor_user_id=actor.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={"reason": reason},
    )


async def reinstate_account(
    session: AsyncSession, user: User, *, actor: User, now: datetime, client: ClientInfo
) -> None:
    """Lift a suspension. The holder signs in again; old sessions and links stay dead."""
    user = await _lock(session, user)
    if user.status is not AccountStatus.suspended:
        raise AccountStatusConflict(status=user.status.value)
    previous_reason = user.status_reason
    user.status = AccountStatus.active
    user.status_reason = None
    user.status_changed_at = now
    await record_audit_event(
        session,
        action=AuditAction.reinstated,
        now=now,
        actor_user_id=actor.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={"suspension_reason": previous_reason},
    )


async def withdraw_account(
    session: AsyncSession,
    user: User,
    *,
    actor: User,
    reason: str | None,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> None:
    """R-ID-9 退会: by the member themself (`actor` is the account; it must be active) or by staff
    on their behalf (an active or suspended account). The email says whether the holder can come
    back online (`account_withdrawn`, with the rejoin page) or through the office."""
    by_member = actor.id == user.id
    user = await _lock(session, user)
    if user.status is AccountStatus.withdrawn or (
        by_member and user.status is not AccountStatus.active
    ):
        raise AccountStatusConflict(status=user.status.value)
    previous_status = user.status
    user.status = AccountStatus.withdrawn
    user.status_reason = reason
    user.status_changed_at = now
    await _close(session, user, now=now, reason="account_withdrawn")
    refusal = rules.rejoin_refusal(
        status=user.status.value,
        role=user.role.value,
        has_organization=user.organization_id is not None,
        withdrawn_from=previous_status.value,
    )
    if refusal is None:
        rejoin_url = f"{settings.frontend_base_url.rstrip('/')}{REJOIN_PAGE}"
        await notify_user(
            session, user, template="account_withdrawn", context={"rejoin_url": rejoin_url}, now=now
        )
    else:
        await notify_user(session, user, template="account_withdrawn_managed", now=now)
    await record_audit_event(
        session,
        action=AuditAction.withdrawn,
        now=now,
        actor_user_id=actor.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={
            "by": "member" if by_member else "staff",
            "reason": reason,
            "previous_status": previous_status.value,
        },
    )


async def rejoin_refusal_for(session: AsyncSession, user: User) -> rules.RejoinRefusal | None:
    """None when `user` may rejoin online now, else why not (`rules.rejoin_refusal`)."""
    withdrawn_from: str | None = None
    if user.status is AccountStatus.withdrawn:
        event = await audit_repository.latest_event(
            session, action=AuditAction.withdrawn, target_type="user", target_id=str(user.id)
        )
        if event is not None:
            value = event.data.get("previous_status")
            withdrawn_from = value if isinstance(value, str) else None
    return rules.rejoin_refusal(
        status=user.status.value,
        role=user.role.value,
        has_organization=user.organization_id is not None,
        withdrawn_from=withdrawn_from,
    )


async def rejoin_account(
    session: AsyncSession,
    user: User,
    *,
    new_password: str,
    documents: Sequence[TermsDocument],
    now: datetime,
    client: ClientInfo,
) -> User:
    """Reactivate a withdrawn account whose holder agreed to the current terms again (seed 002
    総則第9条第1項): the SAME account, so its history comes back with it (R-SUB-11). Returns the
    locked, re-read account. Raises `AccountStatusConflict` when it may not rejoin (any more)."""
    password_hash = await security.hash_password(new_password)  # slow: before taking the lock
    user = await _lock(session, user)
    refusal = await rejoin_refusal_for(session, user)
    if refusal is not None:
        raise AccountStatusConflict(status=user.status.value)
    user.status = AccountStatus.active
    user.status_reason = None
    user.status_changed_at = now
    user.password_hash = password_hash
    user.email_verified_at = now  # the emailed link proved the address
    await repository.retire_account_tokens(
        session, user.id, purposes=list(AccountTokenPurpose), now=now
    )
    await terms.record_acceptance(session, user.id, documents, now=now)
    await notify_user(session, user, template="rejoin_complete", now=now)
    await record_audit_event(
        session,
        action=AuditAction.rejoined,
        now=now,
        actor_user_id=user.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={"terms_versions": {str(document.kind): document.version for document in documents}},
    )
    return user
