"""SQL of the catalog (R-CON-1, R-CON-7, R-CON-8). Statement builders and small reads; never
commits.

The member lesson page (`lesson_page`) is the platform's hottest read: one statement selects the
lesson's columns, its course's title and state, the previous and next lesson ids (two index
lookups on `uq_lesson_course_id_position`) and the entitlement check
(`app.entitlements.repository.course_access_clause`), so a page costs one round trip and no ORM
object is built. It also selects the caller's live role (`app.auth.hot_path`), so the login
session check rides in the same round trip, and it is compiled once (`app.kit.hot_query`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import (
    ARRAY,
    DateTime,
    Integer,
    Select,
    Text,
    Uuid,
    all_,
    bindparam,
    case,
    delete,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, load_only

from app.auth.hot_path import live_role_column
from app.entitlements.repository import AnyRow, course_access_clause
from app.kit.hot_query import HotQuery
from app.kit.security import AccessClaims
from app.models.content import Course, CourseKind, CourseProgram, Lesson
from app.models.entitlement import EntitlementGrant

CATALOG_ORDER = (Course.position, Course.id)
"""Catalog order: staff-set position, ties broken by id (total, so keyset paging is stable)."""

CATALOG_COLUMNS = (
    Course.id,
    Course.slug,
    Course.kind,
    Course.program,
    Course.title,
    Course.summary,
    Course.is_membership_content,
    Course.position,
    Course.published_at,
)


def courses_statement(
    *,
    published_only: bool,
    terms: Sequence[str] = (),
    kind: CourseKind | None = None,
    program: CourseProgram | None = None,
    is_published: bool | None = None,
) -> Select[Course]:
    """Courses matching the filters; `terms` are already normalized (`rules.search_terms`)."""
    statement = select(Course)
    if published_only:
        # Only the catalog's columns: a listing never needs the (long) description.
        statement = statement.options(load_only(*CATALOG_COLUMNS)).where(Course.is_published)
    if is_published is not None:
        statement = statement.where(Course.is_published.is_(is_published))
    for term in terms:
        # `search_text` is stored normalized; autoescape keeps % and _ literal.
        statement = statement.where(Course.search_text.contains(term, autoescape=True))
    if kind is not None:
        statement = statement.where(Course.kind == kind)
    if program is not None:
        statement = statement.where(Course.program == program)
    return statement


# --- The public catalog list (compiled once per shape) ------------------------------------------


def like_pattern(term: str) -> str:
    """`%term%` for LIKE with PostgreSQL's default escape character: `%`, `_` and `\\` in the
    term match themselves."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _catalog_page_statement(*, kind: bool, program: bool, after: bool) -> Select[*tuple[Any, ...]]:
    """Published courses in catalog order, `limit` rows (the caller asks one more than it
    shows), for one shape of filters. Every search term is a pattern in `patterns`
    (`search_text LIKE ALL (…)`: all must match; an empty array matches everything)."""
    statement: Select[*tuple[Any, ...]] = (
        select(*CATALOG_COLUMNS)
        .where(
            Course.is_published,
            Course.search_text.like(all_(bindparam("patterns", type_=ARRAY(Text)))),
        )
        .order_by(*(column.asc() for column in CATALOG_ORDER))
        .limit(bindparam("limit", type_=Integer))
    )
    if kind:
        statement = statement.where(Course.kind == bindparam("kind", type_=Course.kind.type))
    if program:
        statement = statement.where(
            Course.program == bindparam("program", type_=Course.program.type)
        )
    if after:
        statement = statement.where(
            tuple_(*CATALOG_ORDER)
            > tuple_(bindparam("after_position", type_=Integer), bindparam("after_id", type_=Uuid))
        )
    return statement


_CATALOG_PAGES = {
    (kind, program, after): HotQuery(
        _catalog_page_statement(kind=kind, program=program, after=after)
    )
    for kind in (False, True)
    for program in (False, True)
    for after in (False, True)
}


async def catalog_rows(
    connection: asyncpg.Connection,
    *,
    terms: Sequence[str],
    kind: CourseKind | None,
    program: CourseProgram | None,
    after: tuple[int, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Up to `limit` published courses after the keyset position `after` (catalog order)."""
    params: dict[str, Any] = {"patterns": [like_pattern(term) for term in terms], "limit": limit}
    if kind is not None:
        params["kind"] = kind
    if program is not None:
        params["program"] = program
    if after is not None:
        params["after_position"], params["after_id"] = after
    query = _CATALOG_PAGES[(kind is not None, program is not None, after is not None)]
    return await query.fetch(connection, **params)


_OUTLINE_COLUMNS = (
    Lesson.id.label("lesson_id"),
    Lesson.position.label("lesson_position"),
    Lesson.kind.label("lesson_kind"),
    Lesson.title.label("lesson_title"),
    Lesson.duration_seconds.label("lesson_duration_seconds"),
)


async def published_course_with_outline(
    session: AsyncSession, *, course_id: uuid.UUID | None = None, slug: str | None = None
) -> list[AnyRow]:
    """One published course and its lesson outline in one statement: one row per lesson (a
    course without lessons yields one row with NULL lesson columns); empty when not found."""
    statement = (
        select(
            Course.id,
            Course.slug,
            Course.kind,
            Course.program,
            Course.title,
            Course.summary,
            Course.description,
            Course.is_membership_content,
            Course.published_at,
            *_OUTLINE_COLUMNS,
        )
        .outerjoin(Lesson, Lesson.course_id == Course.id)
        .where(Course.is_published)
        .order_by(Lesson.position)
    )
    if course_id is not None:
        statement = statement.where(Course.id == course_id)
    if slug is not None:
        statement = statement.where(Course.slug == slug)
    return list((await session.execute(statement)).all())


def _lesson_page_statement() -> Select[*tuple[Any, ...]]:
    """The member lesson page in ONE statement (R-CON-7): lesson, course title and state,
    neighbours, whether a live grant opens the course, and the caller's live role (the login
    session check of `app.auth.hot_path`). Built once at import (see `app.kit.hot_query`)."""
    lesson_id = bindparam("lesson_id", type_=Uuid)
    user_id = bindparam("user_id", type_=Uuid)
    now = bindparam("now", type_=DateTime(timezone=True))
    neighbour = aliased(Lesson, name="neighbour")
    previous_id = (
        select(neighbour.id)
        .where(neighbour.course_id == Lesson.course_id, neighbour.position < Lesson.position)
        .order_by(neighbour.position.desc())
        .limit(1)
        .correlate(Lesson)
        .scalar_subquery()
    )
    next_id = (
        select(neighbour.id)
        .where(neighbour.course_id == Lesson.course_id, neighbour.position > Lesson.position)
        .order_by(neighbour.position.asc())
        .limit(1)
        .correlate(Lesson)
        .scalar_subquery()
    )
    live_role = live_role_column(
        session_id=bindparam("session_id", type_=Uuid),
        user_id=user_id,
        epoch=bindparam("epoch", type_=Integer),
        now=now,
    )
    return (
        select(
            Lesson.id,
            Lesson.course_id,
            Lesson.position,
            Lesson.kind,
            Lesson.title,
            Lesson.description,
            Lesson.duration_seconds,
            (Lesson.video_asset_id.is_not(None)).label("has_video"),
            Course.title.label("course_title"),
            Course.slug.label("course_slug"),
            Course.is_published.label("course_is_published"),
            previous_id.label("previous_lesson_id"),
            next_id.label("next_lesson_id"),
            course_access_clause(user_id, now).label("is_entitled"),
            live_role.label("live_role"),
        )
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id)
    )


LESSON_PAGE = HotQuery(_lesson_page_statement())


async def lesson_page(
    connection: asyncpg.Connection, *, lesson_id: uuid.UUID, claims: AccessClaims, now: datetime
) -> asyncpg.Record | None:
    return await LESSON_PAGE.fetchrow(
        connection,
        lesson_id=lesson_id,
        user_id=claims.user_id,
        session_id=claims.session_id,
        epoch=claims.epoch,
        now=now,
    )


# --- Staff writes --------------------------------------------------------------------------------


async def course_for_update(session: AsyncSession, course_id: uuid.UUID) -> Course | None:
    """The course row, locked: lesson writes and publishing serialize on it, so concurrent
    inserts cannot take one position and a course cannot lose its last lesson while it is
    being published."""
    return await session.scalar(
        select(Course)
        .where(Course.id == course_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def slug_is_taken(session: AsyncSession, slug: str) -> bool:
    return await session.scalar(select(Course.id).where(Course.slug == slug).limit(1)) is not None


async def next_course_position(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(Course.position) + 1, 0))) or 0)


async def lessons_of_course(session: AsyncSession, course_id: uuid.UUID) -> list[Lesson]:
    return list(
        await session.scalars(
            select(Lesson)
            .where(Lesson.course_id == course_id)
            .order_by(Lesson.position)
            .execution_options(populate_existing=True)
        )
    )


async def lesson_ids_of_course(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(Lesson.id).where(Lesson.course_id == course_id).order_by(Lesson.position)
        )
    )


async def lesson_count(session: AsyncSession, course_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Lesson).where(Lesson.course_id == course_id)
        )
        or 0
    )


async def shift_lessons(
    session: AsyncSession, *, course_id: uuid.UUID, from_position: int, by: int
) -> None:
    """Move every lesson at or after `from_position` by `by` (the unique position constraint is
    deferred to commit, so one UPDATE may pass through momentary duplicates)."""
    await session.execute(
        update(Lesson)
        .where(Lesson.course_id == course_id, Lesson.position >= from_position)
        .values(position=Lesson.position + by)
        .execution_options(synchronize_session=False)
    )


async def set_lesson_order(
    session: AsyncSession, *, course_id: uuid.UUID, lesson_ids: Sequence[uuid.UUID]
) -> None:
    """Permute a course's lessons in one UPDATE: lesson_ids[i] gets position i."""
    positions = {lesson_id: index for index, lesson_id in enumerate(lesson_ids)}
    await session.execute(
        update(Lesson)
        .where(Lesson.course_id == course_id)
        .values(position=case(positions, value=Lesson.id))
        .execution_options(synchronize_session=False)
    )


async def delete_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> None:
    await session.execute(
        delete(Lesson).where(Lesson.id == lesson_id).execution_options(synchronize_session=False)
    )


async def course_has_grants(session: AsyncSession, course_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(EntitlementGrant.id).where(EntitlementGrant.course_id == course_id).limit(1)
    )
    return found is not None


async def delete_course(session: AsyncSession, course_id: uuid.UUID) -> None:
    await session.execute(
        delete(Course).where(Course.id == course_id).execution_options(synchronize_session=False)
    )
