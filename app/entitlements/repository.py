"""SQL of the entitlement check: statement pieces other domains join into their own reads.

`course_access_clause(user_id, now)` is a boolean SQL expression over the `course` table: true
when the user holds a live grant that opens that course. A lesson page selects the lesson, its
course and this clause in one statement (one round trip); `ix_entitlement_grant_user_live`
keeps it an index lookup on the user's few grants.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    and_,
    delete,
    exists,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.content import Course
from app.models.entitlement import (
    ContentSet,
    ContentSetCourse,
    EntitlementGrant,
    GrantScope,
    GrantSource,
)

UserRef = uuid.UUID | BindParameter[Any]
Instant = datetime | BindParameter[Any]
"""Clause builders take values, or `bindparam`s when a statement is compiled once (HotQuery)."""

AnyRow = Row[*tuple[Any, ...]]
"""A result row of any shape (SQLAlchemy 2.1 types rows by their column tuple)."""


def live_grant_clause(user_id: UserRef, now: Instant) -> ColumnElement[bool]:
    """The SQL twin of `rules.grant_is_live` for one user's grants."""
    return and_(
        EntitlementGrant.user_id == user_id,
        EntitlementGrant.revoked_at.is_(None),
        EntitlementGrant.valid_from <= now,
        or_(EntitlementGrant.valid_until.is_(None), EntitlementGrant.valid_until > now),
    )


def course_access_clause(user_id: UserRef, now: Instant) -> ColumnElement[bool]:
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
    return (
        exists()
        .where(
            live_grant_clause(user_id, now),
            or_(
                and_(EntitlementGrant.scope == GrantScope.membership, Course.is_membership_content),
                and_(
                    EntitlementGrant.scope == GrantScope.course,
                    EntitlementGrant.course_id == Course.id,
                ),
                and_(EntitlementGrant.scope == GrantScope.content_set, in_content_set),
            ),
        )
        .correlate_except(EntitlementGrant)
    )


def membership_clause(user_id: UserRef, now: Instant) -> ColumnElement[bool]:
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


async def grant_for_update(session: AsyncSession, grant_id: uuid.UUID) -> EntitlementGrant | None:
    return await session.scalar(
        select(EntitlementGrant)
        .where(EntitlementGrant.id == grant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def live_grants_with_titles(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> list[AnyRow]:
    """A member's live grants with what they open, in one statement (`/me/entitlements`)."""
    statement = (
        select(
            EntitlementGrant.id,
            EntitlementGrant.scope,
            EntitlementGrant.source,
            EntitlementGrant.valid_from,
            EntitlementGrant.valid_until,
            EntitlementGrant.course_id,
            Course.title.label("course_title"),
            EntitlementGrant.content_set_id,
            ContentSet.title.label("content_set_title"),
        )
        .outerjoin(Course, Course.id == EntitlementGrant.course_id)
        .outerjoin(ContentSet, ContentSet.id == EntitlementGrant.content_set_id)
        .where(live_grant_clause(user_id, now))
        .order_by(EntitlementGrant.valid_from, EntitlementGrant.id)
    )
    return list((await session.execute(statement)).all())


def content_sets_statement() -> Select[ContentSet]:
    return select(ContentSet)


async def content_set_for_update(
    session: AsyncSession, content_set_id: uuid.UUID
) -> ContentSet | None:
    return await session.scalar(
        select(ContentSet)
        .where(ContentSet.id == content_set_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def courses_of_content_set(session: AsyncSession, content_set_id: uuid.UUID) -> list[AnyRow]:
    statement = (
        select(Course.id, Course.slug, Course.title, Course.is_published)
        .join(ContentSetCourse, ContentSetCourse.course_id == Course.id)
        .where(ContentSetCourse.content_set_id == content_set_id)
        .order_by(Course.position, Course.id)
    )
    return list((await session.execute(statement)).all())


async def existing_course_ids(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not course_ids:
        return set()
    return set(await session.scalars(select(Course.id).where(Course.id.in_(course_ids))))


async def replace_content_set_courses(
    session: AsyncSession, content_set_id: uuid.UUID, course_ids: Sequence[uuid.UUID]
) -> None:
    await session.execute(
        delete(ContentSetCourse).where(ContentSetCourse.content_set_id == content_set_id)
    )
    if course_ids:
        await session.execute(
            insert(ContentSetCourse),
            [{"content_set_id": content_set_id, "course_id": c} for c in course_ids],
        )


async def content_set_code_is_taken(
    session: AsyncSession, code: str, *, other_than: uuid.UUID | None = None
) -> bool:
    statement = select(ContentSet.id).where(ContentSet.code == code)
    if other_than is not None:
        statement = statement.where(ContentSet.id != other_than)
    return await session.scalar(statement.limit(1)) is not None


async def content_set_has_grants(session: AsyncSession, content_set_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(EntitlementGrant.id)
        .where(EntitlementGrant.content_set_id == content_set_id)
        .limit(1)
    )
    return found is not None
