"""Catalog reads: the public catalog and course pages, and the member lesson page.

R-CON-7: titles, summaries, descriptions and the lesson outline of published courses are public;
a lesson page needs a live entitlement for its course (staff and admins preview everything,
including unpublished courses). An unpublished course is invisible: its pages answer 404 as if
it did not exist, so the catalog does not leak what staff are preparing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import repository
from app.content.errors import CourseNotFound, LessonNotFound
from app.content.schemas import CatalogCourse, CourseDetail, LessonOutline, LessonPage
from app.entitlements import rules as entitlement_rules
from app.entitlements.errors import NotEntitled
from app.entitlements.repository import AnyRow
from app.kit.errors import InvalidCursor
from app.kit.pagination import Page, PageParams, decode_cursor, encode_cursor, ordering_context
from app.kit.security import AccessClaims
from app.models.content import CourseKind, CourseProgram
from app.models.user import Role


def _course_detail(rows: list[AnyRow]) -> CourseDetail:
    if not rows:
        raise CourseNotFound()
    first = rows[0]
    lessons = [
        LessonOutline(
            id=row.lesson_id,
            position=row.lesson_position,
            kind=row.lesson_kind,
            title=row.lesson_title,
            duration_seconds=row.lesson_duration_seconds,
        )
        for row in rows
        if row.lesson_id is not None
    ]
    return CourseDetail(
        id=first.id,
        slug=first.slug,
        kind=first.kind,
        program=first.program,
        title=first.title,
        summary=first.summary,
        description=first.description,
        is_membership_content=first.is_membership_content,
        published_at=first.published_at,
        lessons=lessons,
    )


CATALOG_CURSOR = ordering_context(repository.CATALOG_ORDER, descending=False)
"""What catalog cursors are signed for (the same as `kit.pagination` would use)."""


async def catalog_page(
    connection: asyncpg.Connection,
    *,
    terms: Sequence[str],
    kind: CourseKind | None,
    program: CourseProgram | None,
    page: PageParams,
) -> Page[CatalogCourse]:
    """One page of the public catalog (R-CON-7) in catalog order, keyset-paged with signed
    cursors like every list (`app.kit.pagination`); one compiled statement."""
    after = None
    if page.cursor is not None:
        position = decode_cursor(page.cursor, signing_key=page.signing_key, context=CATALOG_CURSOR)
        if not (
            len(position) == 2
            and isinstance(position[0], int)
            and isinstance(position[1], uuid.UUID)
        ):
            raise InvalidCursor()
        after = (position[0], position[1])
    rows = await repository.catalog_rows(
        connection, terms=terms, kind=kind, program=program, after=after, limit=page.limit + 1
    )
    shown = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit:
        last = shown[-1]
        next_cursor = encode_cursor(
            (last["position"], last["id"]), signing_key=page.signing_key, context=CATALOG_CURSOR
        )
    return Page[CatalogCourse](
        items=[
            CatalogCourse(
                id=row["id"],
                slug=row["slug"],
                kind=row["kind"],
                program=row["program"],
                title=row["title"],
                summary=row["summary"],
                is_membership_content=row["is_membership_content"],
                published_at=row["published_at"],
            )
            for row in shown
        ],
        next_cursor=next_cursor,
    )


async def get_public_course(session: AsyncSession, course_id: uuid.UUID) -> CourseDetail:
    return _course_detail(
        await repository.published_course_with_outline(session, course_id=course_id)
    )


async def get_public_course_by_slug(session: AsyncSession, slug: str) -> CourseDetail:
    return _course_detail(await repository.published_course_with_outline(session, slug=slug))


async def get_lesson_page(
    connection: asyncpg.Connection,
    *,
    lesson_id: uuid.UUID,
    claims: AccessClaims,
    now: datetime,
    confirm_session: Callable[[], Awaitable[Role]],
) -> LessonPage:
    """One statement decides everything (R-CON-7): 404 unknown or unpublished (unless staff
    preview), 403 `not-entitled` without a live grant, else the page. The same statement
    checks the caller's login session (`app.auth.hot_path`); only when it finds none does a
    second query run, to give the precise 401/403."""
    row = await repository.lesson_page(connection, lesson_id=lesson_id, claims=claims, now=now)
    live_role = row["live_role"] if row is not None else None
    role = Role(live_role) if live_role is not None else await confirm_session()
    preview = entitlement_rules.may_preview(role)
    if row is None or not (row["course_is_published"] or preview):
        raise LessonNotFound()
    if not (row["is_entitled"] or preview):
        raise NotEntitled()
    return LessonPage(
        id=row["id"],
        course_id=row["course_id"],
        course_title=row["course_title"],
        course_slug=row["course_slug"],
        position=row["position"],
        kind=row["kind"],
        title=row["title"],
        description=row["description"],
        duration_seconds=row["duration_seconds"],
        has_video=row["has_video"],
        previous_lesson_id=row["previous_lesson_id"],
        next_lesson_id=row["next_lesson_id"],
        is_preview=not row["course_is_published"],
    )
