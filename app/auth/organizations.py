"""Organizations (契約者), minimal for now, and who belongs to them (R-B2B-1, SPEC §1).

The B2B issue grows organizations (responsible person, departments, contracts); this module holds
what identity needs today: creating and listing them, linking an account to one, and the one
statement every organization-scoped read goes through (`organization_users_statement`), so an
org_admin or a partner key never sees another organization's people.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.accounts_admin import get_user
from app.auth.authenticator import Subject
from app.auth.errors import OrgAdminNeedsOrganization, OrganizationNotFound, OrganizationRequired
from app.kit.request_context import ClientInfo
from app.models.user import AccountStatus, Organization, Role, User


def organizations_statement() -> Select[Organization]:
    return select(Organization)


async def get_organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise OrganizationNotFound()
    return organization


async def create_organization(
    session: AsyncSession, *, actor: User, name: str, now: datetime, client: ClientInfo
) -> Organization:
    organization = Organization(id=uuid.uuid4(), name=name, is_active=True)
    session.add(organization)
    await session.flush()
    await record_audit_event(
        session,
        action=AuditAction.organization_created,
        now=now,
        actor_user_id=actor.id,
        target_type="organization",
        target_id=organization.id,
        client=client,
        data={"name": name},
    )
    return organization


def subject_organization_id(subject: Subject) -> uuid.UUID:
    """The organization an org_admin or a partner key acts for; refuses callers without one
    (a platform-wide key, an org_admin not linked to any organization)."""
    organization_id = subject.organization_id
    if organization_id is None:
        raise OrganizationRequired()
    return organization_id


def organization_users_statement(
    organization_id: uuid.UUID, *, status: AccountStatus | None = None
) -> Select[User]:
    statement = select(User).where(User.organization_id == organization_id)
    if status is not None:
        statement = statement.where(User.status == status)
    return statement


async def set_organization(
    session: AsyncSession,
    *,
    actor: User,
    user_id: uuid.UUID,
    organization_id: uuid.UUID | None,
    now: datetime,
    client: ClientInfo,
) -> User:
    """Link an account to an organization or detach it (admin; audited). An org_admin keeps one."""
    user = await get_user(session, user_id, for_update=True)
    if organization_id == user.organization_id:
        return user
    if organization_id is None and user.role is Role.org_admin:
        raise OrgAdminNeedsOrganization()
    if organization_id is not None:
        await get_organization(session, organization_id)
    previous = user.organization_id
    user.organization_id = organization_id
    await record_audit_event(
        session,
        action=AuditAction.organization_changed,
        now=now,
        actor_user_id=actor.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={
            "old_organization_id": str(previous) if previous else None,
            "new_organization_id": str(organization_id) if organization_id else None,
        },
    )
    return user
