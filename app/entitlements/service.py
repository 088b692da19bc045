"""Entitlement use cases: ask (may this member open this now?) and write (grant, end, revoke).

R-CON-7: what a member may open follows their grants. R-SUB-10: the membership grant opens all
membership content. Later programs (subscription, enrollments, purchases, organization plans)
only call `grant` / `end_grants`; nothing else in the platform needs to know where access
came from.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements import repository, rules
from app.entitlements.errors import MembershipRequired, NotEntitled
from app.models.entitlement import EntitlementGrant, GrantScope, GrantSource
from app.models.user import Role


async def may_open_course(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    role: Role | None,
    course_id: uuid.UUID,
    now: datetime,
) -> bool:
    if rules.may_preview(role):
        return True
    return await repository.may_open_course(session, user_id, course_id, now)


async def require_course_access(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    role: Role | None,
    course_id: uuid.UUID,
    now: datetime,
) -> None:
    """Raise `NotEntitled` (403 `not-entitled`) unless the user may open the course now."""
    if not await may_open_course(session, user_id=user_id, role=role, course_id=course_id, now=now):
        raise NotEntitled()


async def has_membership(
    session: AsyncSession, *, user_id: uuid.UUID, role: Role | None, now: datetime
) -> bool:
    if rules.may_preview(role):
        return True
    return await repository.has_membership(session, user_id, now)


async def require_membership(
    session: AsyncSession, *, user_id: uuid.UUID, role: Role | None, now: datetime
) -> None:
    """Raise `MembershipRequired` (403) unless a live membership grant exists (R-SUB-10)."""
    if not await has_membership(session, user_id=user_id, role=role, now=now):
        raise MembershipRequired()


async def grant(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    scope: GrantScope,
    source: GrantSource,
    valid_from: datetime,
    valid_until: datetime | None = None,
    course_id: uuid.UUID | None = None,
    content_set_id: uuid.UUID | None = None,
    source_ref: str | None = None,
    reason: str | None = None,
    granted_by_user_id: uuid.UUID | None = None,
) -> EntitlementGrant:
    """Write one grant. The table's checks refuse a scope without its target."""
    row = EntitlementGrant(
        user_id=user_id,
        scope=scope,
        course_id=course_id,
        content_set_id=content_set_id,
        source=source,
        source_ref=source_ref,
        valid_from=valid_from,
        valid_until=valid_until,
        reason=reason,
        granted_by_user_id=granted_by_user_id,
    )
    session.add(row)
    await session.flush()
    return row


async def end_grants(
    session: AsyncSession, *, source: GrantSource, source_ref: str, ends_at: datetime
) -> int:
    """A writer's access ends at `ends_at` (a subscription lapses, a contract ends).

    Grants already ending earlier keep their end; grants not yet started end before they
    begin (their window becomes empty and is revoked instead). Returns how many changed.
    """
    shortened = await session.execute(
        update(EntitlementGrant)
        .where(
            EntitlementGrant.source == source,
            EntitlementGrant.source_ref == source_ref,
            EntitlementGrant.revoked_at.is_(None),
            EntitlementGrant.valid_from < ends_at,
            (EntitlementGrant.valid_until.is_(None)) | (EntitlementGrant.valid_until > ends_at),
        )
        .values(valid_until=ends_at)
        .execution_options(synchronize_session=False)
    )
    not_started = await session.execute(
        update(EntitlementGrant)
        .where(
            EntitlementGrant.source == source,
            EntitlementGrant.source_ref == source_ref,
            EntitlementGrant.revoked_at.is_(None),
            EntitlementGrant.valid_from >= ends_at,
        )
        .values(revoked_at=ends_at, revoked_reason="ended before it began")
        .execution_options(synchronize_session=False)
    )
    return int(shortened.rowcount or 0) + int(not_started.rowcount or 0)  # type: ignore[attr-defined]
