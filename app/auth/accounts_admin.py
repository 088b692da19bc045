"""Staff and admin work on accounts: find, create, suspend, reinstate, withdraw, re-role (R-ID-9,
R-ID-12, R-ID-13).

Authorization beyond "staff or admin" lives here, not in routers:

- nobody suspends, withdraws or reinstates their own account (`CannotActOnSelf`);
- only an admin acts on an admin account (`TargetRequiresAdmin`);
- no role change leaves the platform without an active admin (`LastAdmin`); the active admins are
  locked while counting, so two admins demoting each other at once cannot both succeed.

Status changes themselves (what a suspension, reinstatement or withdrawal does: sessions, emailed
links, email, audit) live in `app.auth.service.account_status`, shared with the member's own
withdrawal. Suspension and withdrawal end every session at once: the account's `session_epoch`
is bumped (access tokens carry the epoch they were issued under, so they die immediately) and its
login sessions are revoked (their refresh tokens die too). A role change needs no such step: the
authenticator reads the role from the database on every request.

Accounts an admin creates get a random initial password, returned once in the response: the
admin hands it over (R-B2B-1 reports initial passwords to the responsible person the same way).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.errors import (
    CannotActOnSelf,
    EmailAlreadyRegistered,
    LastAdmin,
    OrgAdminNeedsOrganization,
    OrganizationNotFound,
    TargetRequiresAdmin,
    UserNotFound,
)
from app.auth.service import account_status
from app.config import Settings
from app.kit import security
from app.kit.normalize import normalize_customer_number, normalize_email
from app.kit.request_context import ClientInfo
from app.models.user import AccountStatus, Organization, Role, User

INITIAL_PASSWORD_BYTES = 12  # 16 URL-safe characters, ~96 bits


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def users_statement(
    *,
    role: Role | None = None,
    status: AccountStatus | None = None,
    organization_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[User]:
    """Accounts matching the filters. `q` is an email prefix or a customer number (prefix),
    normalized like a login ID (R-ID-13): '０１２３' finds customer number 0123…"""
    statement = select(User)
    if role is not None:
        statement = statement.where(User.role == role)
    if status is not None:
        statement = statement.where(User.status == status)
    if organization_id is not None:
        statement = statement.where(User.organization_id == organization_id)
    if q and q.strip():
        email_prefix = normalize_email(q)
        conditions = [User.email.like(_like_prefix(email_prefix), escape="\\")]
        if "@" not in email_prefix:
            number = normalize_customer_number(q)
            if number:
                conditions.append(User.customer_number.like(_like_prefix(number), escape="\\"))
        statement = statement.where(or_(*conditions))
    return statement


async def get_user(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> User:
    statement = select(User).where(User.id == user_id)
    if for_update:
        # Re-read under the lock: the identity map may hold the caller's own (stale) row.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    user = await session.scalar(statement)
    if user is None:
        raise UserNotFound()
    return user


async def require_organization(session: AsyncSession, organization_id: uuid.UUID) -> None:
    if await session.get(Organization, organization_id) is None:
        raise OrganizationNotFound()


async def create_user(
    session: AsyncSession,
    *,
    actor: User,
    email: str,
    name: str,
    role: Role,
    organization_id: uuid.UUID | None,
    locale: str,
    now: datetime,
    client: ClientInfo,
) -> tuple[User, str]:
    """Create a staff-side account; returns it and its initial password (shown once)."""
    if role is Role.org_admin and organization_id is None:
        raise OrgAdminNeedsOrganization()
    if organization_id is not None:
        await require_organization(session, organization_id)
    email = normalize_email(email)
    password = secrets.token_urlsafe(INITIAL_PASSWORD_BYTES)
    user = User(
        id=uuid.uuid4(),
        email=email,
        email_verified_at=None,  # the person has not confirmed the address yet
        password_hash=await security.hash_password(password),
        name=name,
        role=role,
        status=AccountStatus.active,
        organization_id=organization_id,
        locale=locale,
        session_epoch=0,
    )
    try:
        # A savepoint: a concurrent request may take the address between any check and here.
        async with session.begin_nested():
            session.add(user)
    except IntegrityError as error:
        raise EmailAlreadyRegistered() from error
    await record_audit_event(
        session,
        action=AuditAction.created,
        now=now,
        actor_user_id=actor.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={
            "role": role.value,
            "organization_id": str(organization_id) if organization_id else None,
        },
    )
    return user, password


def _check_may_act_on(actor: User, target: User) -> None:
    if target.id == actor.id:
        raise CannotActOnSelf()
    if target.role is Role.admin and actor.role is not Role.admin:
        raise TargetRequiresAdmin()


async def suspend_user(
    session: AsyncSession,
    *,
    actor: User,
    user_id: uuid.UUID,
    reason: str,
    now: datetime,
    client: ClientInfo,
) -> User:
    """R-ID-9: suspend for a rule violation; sessions end at once; the member is emailed."""
    user = await get_user(session, user_id, for_update=True)
    _check_may_act_on(actor, user)
    await account_status.suspend_account(
        session, user, actor=actor, reason=reason, now=now, client=client
    )
    return user


async def reinstate_user(
    session: AsyncSession, *, actor: User, user_id: uuid.UUID, now: datetime, client: ClientInfo
) -> User:
    """Lift a suspension. The member signs in again; old sessions stay revoked."""
    user = await get_user(session, user_id, for_update=True)
    _check_may_act_on(actor, user)
    await account_status.reinstate_account(session, user, actor=actor, now=now, client=client)
    return user


async def withdraw_user(
    session: AsyncSession,
    *,
    actor: User,
    user_id: uuid.UUID,
    reason: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> User:
    """R-ID-9 退会 on the member's behalf (e.g. a request by post or phone); sessions end."""
    user = await get_user(session, user_id, for_update=True)
    _check_may_act_on(actor, user)
    await account_status.withdraw_account(
        session, user, actor=actor, reason=reason, now=now, client=client, settings=settings
    )
    return user


async def change_role(
    session: AsyncSession,
    *,
    actor: User,
    user_id: uuid.UUID,
    role: Role,
    now: datetime,
    client: ClientInfo,
) -> User:
    """Admin only (router). Audited with the old and the new role; same role is a no-op."""
    active_admins: list[uuid.UUID] = []
    if role is not Role.admin:
        # Lock the active admins first (always in the same order: by id) so that concurrent
        # demotions see each other's result before counting.
        active_admins = list(
            await session.scalars(
                select(User.id)
                .where(User.role == Role.admin, User.status == AccountStatus.active)
                .order_by(User.id)
                .with_for_update()
            )
        )
    user = await get_user(session, user_id, for_update=True)
    old_role = user.role
    if old_role is role:
        return user
    if role is Role.org_admin and user.organization_id is None:
        raise OrgAdminNeedsOrganization()
    other_admins = [admin_id for admin_id in active_admins if admin_id != user.id]
    if old_role is Role.admin and not other_admins:
        raise LastAdmin()
    user.role = role
    await record_audit_event(
        session,
        action=AuditAction.role_changed,
        now=now,
        actor_user_id=actor.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={"old_role": old_role.value, "new_role": role.value},
    )
    return user
