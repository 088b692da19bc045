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

from app.audit.service import AuditAction, record_audit_event
from app.auth.errors import UserNotFound
from app.content.errors import CourseNotFound
from app.entitlements import repository, rules
from app.entitlements.errors import (
    ContentSetNotFound,
    GrantAlreadyRevoked,
    GrantNotFound,
    GrantTargetInvalid,
    GrantWindowInvalid,
    MembershipRequired,
    NotEntitled,
)
from app.kit.request_context import ClientInfo
from app.models.content import Course
from app.models.entitlement import ContentSet, EntitlementGrant, GrantScope, GrantSource
from app.models.user import Role, User


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


# --- Staff grants and revocations (R-CON-7), audited (R-ID-12) -----------------------------------


async def grant_by_staff(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    user_id: uuid.UUID,
    scope: GrantScope,
    course_id: uuid.UUID | None,
    content_set_id: uuid.UUID | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    reason: str,
    now: datetime,
    client: ClientInfo | None = None,
) -> EntitlementGrant:
    """A grant made by hand (`source=staff`), with its reason; audited `entitlement.granted`.

    Every refusal comes before the first write: target/scope mismatch (400), unknown user,
    course or content set (404), a window that cannot open anything (400)."""
    problems = rules.grant_target_problems(
        scope=scope, course_id=course_id, content_set_id=content_set_id
    )
    if problems:
        raise GrantTargetInvalid(errors=problems)
    starts = valid_from or now
    if not rules.grant_window_is_valid(valid_from=starts, valid_until=valid_until, now=now):
        raise GrantWindowInvalid(errors={"body.valid_until": ["must_be_after_valid_from_and_now"]})
    if await session.get(User, user_id) is None:
        raise UserNotFound()
    if course_id is not None and await session.get(Course, course_id) is None:
        raise CourseNotFound()
    if content_set_id is not None and await session.get(ContentSet, content_set_id) is None:
        raise ContentSetNotFound()
    row = await grant(
        session,
        user_id=user_id,
        scope=scope,
        source=GrantSource.staff,
        valid_from=starts,
        valid_until=valid_until,
        course_id=course_id,
        content_set_id=content_set_id,
        reason=reason,
        granted_by_user_id=actor_id,
    )
    await record_audit_event(
        session,
        action=AuditAction.entitlement_granted,
        now=now,
        actor_user_id=actor_id,
        target_type="entitlement_grant",
        target_id=row.id,
        client=client,
        data={
            "user_id": str(user_id),
            "scope": scope.value,
            "course_id": str(course_id) if course_id else None,
            "content_set_id": str(content_set_id) if content_set_id else None,
            "valid_from": starts.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None,
            "reason": reason,
        },
    )
    await session.refresh(row)
    return row


async def get_grant(session: AsyncSession, grant_id: uuid.UUID) -> EntitlementGrant:
    row = await session.get(EntitlementGrant, grant_id)
    if row is None:
        raise GrantNotFound()
    return row


async def revoke(
    session: AsyncSession,
    *,
    grant_id: uuid.UUID,
    reason: str,
    actor_id: uuid.UUID | None,
    now: datetime,
    client: ClientInfo | None = None,
) -> EntitlementGrant:
    """Staff take a grant back at `now` (any source); audited `entitlement.revoked`.

    The row is locked, so two concurrent revocations end as one revocation and one 409."""
    row = await repository.grant_for_update(session, grant_id)
    if row is None:
        raise GrantNotFound()
    if row.revoked_at is not None:
        raise GrantAlreadyRevoked()
    row.revoked_at = now
    row.revoked_reason = reason
    row.revoked_by_user_id = actor_id
    await session.flush()
    await record_audit_event(
        session,
        action=AuditAction.entitlement_revoked,
        now=now,
        actor_user_id=actor_id,
        target_type="entitlement_grant",
        target_id=row.id,
        client=client,
        data={"user_id": str(row.user_id), "scope": row.scope.value, "reason": reason},
    )
    await session.refresh(row)
    return row


async def user_must_exist(session: AsyncSession, user_id: uuid.UUID) -> None:
    if await session.get(User, user_id) is None:
        raise UserNotFound()
