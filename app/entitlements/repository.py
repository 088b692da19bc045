"""SQL of the entitlement check: statement pieces other domains join into their own reads.

`course_access_clause(user_id, now)` is a boolean SQL expression over the `course` table: true
when the user holds a live grant that opens that course. A lesson page selects the lesson, its
course and this clause in one statement (one round trip); `ix_entitlement_grant_user_live`
keeps it an index lookup on the user's few grants.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.content import Course
from app.models.entitlement import ContentSetCourse, EntitlementGrant, GrantScope, GrantSource


def live_grant_clause(user_id: uuid.UUID, now: datetime) -> ColumnElement[bool]:
    """The SQL twin of `rules.grant_is_live` for one user's grants."""
    return and_(
        EntitlementGrant.user_id == user_id,
        EntitlementGrant.revoked_at.is_(None),
        EntitlementGrant.valid_from <= now,
        or_(EntitlementGrant.valid_until.is_(None), EntitlementGrant.valid_until > now),
    )


def course_access_clause(user_id: uuid.UUID, now: datetime) -> ColumnElement[bool]:
    """True for rows of `course` the user may open now (correlated to the outer `course`)."""
    # Correlation is spelled out: `course` belongs to the caller's query, never to these.
    in_content_set = (
        exists()
        .where(
            ContentSetCourse.content_set_id == EntitlementGrant.content_set_id,
            ContentSetCourse.course_id == Course.id,
        )
        .correlate_except(ContentSetCourse)
    )
    return exists().where(
        live_grant_clause(user_id, now),
        or_(
            and_(EntitlementGrant.scope == GrantScope.membership, Course.is_membership_content),
            and_(
                EntitlementGrant.scope == GrantScope.course, EntitlementGrant.course_id == Course.id
            ),
            and_(EntitlementGrant.scope == GrantScope.content_set, in_content_set),
        ),
    ).correlate_except(EntitlementGrant)


def membership_clause(user_id: uuid.UUID, now: datetime) -> ColumnElement[bool]:
    return exists().where(
        live_grant_clause(user_id, now), EntitlementGrant.scope == GrantScope.membership
    )


async def has_membership(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> bool:
    return bool(await session.scalar(select(membership_clause(user_id, now))))


async def may_open_course(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID, now: datetime
) -> bool:
    statement = select(course_access_clause(user_id, now)).where(Course.id == course_id)
    return bool(await session.scalar(statement))


def grants_of_user(user_id: uuid.UUID) -> Select[EntitlementGrant]:
    return select(EntitlementGrant).where(EntitlementGrant.user_id == user_id)


def live_grants_of_user(user_id: uuid.UUID, now: datetime) -> Select[EntitlementGrant]:
    return select(EntitlementGrant).where(live_grant_clause(user_id, now))


def grants_of_source(source: GrantSource, source_ref: str) -> Select[EntitlementGrant]:
    return select(EntitlementGrant).where(
        EntitlementGrant.source == source, EntitlementGrant.source_ref == source_ref
    )
