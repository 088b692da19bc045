"""SQL of lesson progress: the one-statement event write and the completion upserts.
R-PRG-1, R-PRG-5.

`record_event` is the hot write path (a player sends an event every few seconds). It is ONE
statement of data-modifying CTEs:

1. `target`: the lesson, its course, whether the course is visible to the caller and whether a
   live grant opens it (`course_access_clause` joined in: no extra round trip);
2. `recorded`: `INSERT INTO progress_event … SELECT … FROM target WHERE <accepted> ON CONFLICT
   (user_id, event_id) DO NOTHING RETURNING` — the event id is claimed only when the lesson may
   take progress, and a duplicate id yields no row (R-PRG-5);
3. `upserted`: `INSERT INTO lesson_progress … SELECT … FROM target JOIN recorded ON CONFLICT
   (user_id, lesson_id) DO UPDATE SET …` computing the new state from the *locked current row*
   (not the statement's snapshot), so concurrent events of one lesson never lose an update;
4. the result: the target's flags (why a refusal happened) and the new state (when recorded).

A refused event (unknown lesson, no entitlement, no video) inserts nothing in either table.

State merge (`DO UPDATE`): watched ranges are unioned (`+` on `int4multirange`) and `watched_ms`
is the union's length; `furthest_ms` the union's upper bound; the resume position follows the
event with the latest client time; `completed_at` is `COALESCE(old, new)` — never un-completed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import asyncpg
from sqlalchemy import (
    CTE,
    BigInteger,
    BindParameter,
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Select,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import INT4MULTIRANGE, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.hot_path import live_role_column
from app.entitlements.repository import course_access_clause
from app.entitlements.rules import PREVIEW_ROLES
from app.kit.hot_query import HotQuery
from app.models.content import Course, Lesson, LessonKind
from app.models.progress import CompletionSource, LessonProgress, ProgressEvent
from app.progress.rules import BASIS_POINTS, MS_PER_SECOND

PROGRESS_COLUMNS = (
    LessonProgress.position_ms,
    LessonProgress.furthest_ms,
    LessonProgress.watched_ms,
    LessonProgress.completed_at,
    LessonProgress.completion_source,
    LessonProgress.last_activity_at,
)


def watched_enough_sql(
    watched_ms: ColumnElement[Any],
    duration_seconds: ColumnElement[Any],
    ratio_bp: int | BindParameter[Any],
) -> ColumnElement[bool]:
    """SQL twin of `rules.watched_enough` (bigint arithmetic: no overflow, no float edge)."""
    ratio = ratio_bp if isinstance(ratio_bp, BindParameter) else literal(ratio_bp, BigInteger)
    return (
        cast(watched_ms, BigInteger) * BASIS_POINTS
        >= cast(duration_seconds, BigInteger) * MS_PER_SECOND * ratio
    )


def lesson_target(*, user_id: Any, lesson_id: Any, may_preview: bool, now: Any) -> CTE:
    """The lesson with its course, and whether the caller may see and open it now."""
    visible: ColumnElement[bool] = true() if may_preview else Course.is_published.expression
    entitled: ColumnElement[bool] = true() if may_preview else course_access_clause(user_id, now)
    return (
        select(
            Lesson.id.label("lesson_id"),
            Lesson.course_id.label("course_id"),
            Lesson.kind.label("kind"),
            Lesson.duration_seconds.label("duration_seconds"),
            visible.label("is_visible"),
            entitled.label("is_entitled"),
        )
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id)
        .cte("target")
    )


def caller_lesson_target(
    *, user_id: Any, session_id: Any, epoch: Any, lesson_id: Any, now: Any
) -> CTE:
    """`lesson_target` for a caller known only by their access token: the `live_role` column is
    the account's current role while the token's login session is good, else NULL
    (`app.auth.hot_path`), and visibility and entitlement follow that live role (staff and
    admins preview, R-CON-7) — so one statement checks the session, the lesson and the grant."""
    caller = select(
        live_role_column(session_id=session_id, user_id=user_id, epoch=epoch, now=now).label(
            "live_role"
        )
    ).cte("caller")
    # OR of equalities, not IN: an IN list compiles to an "expanding" parameter that HotQuery
    # (compiled once, no per-request rendering) cannot carry.
    previews = or_(*(caller.c.live_role == role for role in sorted(PREVIEW_ROLES)))
    return (
        select(
            Lesson.id.label("lesson_id"),
            Lesson.course_id.label("course_id"),
            Lesson.kind.label("kind"),
            Lesson.duration_seconds.label("duration_seconds"),
            or_(Course.is_published, previews).label("is_visible"),
            or_(previews, course_access_clause(user_id, now)).label("is_entitled"),
            caller.c.live_role.label("live_role"),
        )
        .select_from(Lesson)
        .join(Course, Course.id == Lesson.course_id)
        .join(caller, true())
        .where(Lesson.id == lesson_id)
        .cte("target")
    )


def _takes_playback(target: CTE) -> ColumnElement[bool]:
    return and_(
        target.c.live_role.is_not(None),
        target.c.is_visible,
        target.c.is_entitled,
        target.c.kind != LessonKind.test,
        target.c.duration_seconds.is_not(None),
    )


def _progress_returning() -> tuple[Any, ...]:
    return (LessonProgress.id, *PROGRESS_COLUMNS)


def _record_event_statement() -> Select[Any]:
    """The one-statement event write (module docstring), built with bind parameters so it is
    compiled once (`RECORD_EVENT`): building it per request cost more CPU than the rest of the
    request together (bench/)."""
    user_id = bindparam("user_id", type_=Uuid)
    lesson_id = bindparam("lesson_id", type_=Uuid)
    event_id = bindparam("event_id", type_=Uuid)
    new_id = bindparam("new_id", type_=Uuid)
    now = bindparam("now", type_=DateTime(timezone=True))
    event_at = bindparam("event_at", type_=DateTime(timezone=True))
    position_ms = bindparam("position_ms", type_=Integer)
    watched_from_ms = bindparam("watched_from_ms", type_=Integer)
    watched_to_ms = bindparam("watched_to_ms", type_=Integer)
    ratio_bp = bindparam("ratio_bp", type_=BigInteger)
    target = caller_lesson_target(
        user_id=user_id,
        session_id=bindparam("session_id", type_=Uuid),
        epoch=bindparam("epoch", type_=Integer),
        lesson_id=lesson_id,
        now=now,
    )
    duration_ms = target.c.duration_seconds * MS_PER_SECOND

    recorded = (
        insert(ProgressEvent)
        .from_select(
            ["user_id", "event_id", "course_id", "received_at"],
            select(user_id, event_id, target.c.course_id, now).where(_takes_playback(target)),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "event_id"])
        .returning(ProgressEvent.event_id)
        .cte("recorded")
    )

    # This event's own contribution, clamped to the video's length.
    low = func.least(watched_from_ms, duration_ms)
    high = func.least(watched_to_ms, duration_ms)
    new_ranges = func.int4multirange(func.int4range(low, high), type_=INT4MULTIRANGE)
    new_watched_ms = high - low
    upsert = insert(LessonProgress).from_select(
        [
            "id",
            "user_id",
            "lesson_id",
            "course_id",
            "position_ms",
            "position_at",
            "furthest_ms",
            "watched_ranges",
            "watched_ms",
            "completed_at",
            "completion_source",
            "last_activity_at",
            "created_at",
            "updated_at",
        ],
        select(
            new_id,
            user_id,
            target.c.lesson_id,
            target.c.course_id,
            func.least(position_ms, duration_ms),
            event_at,
            case((high > low, high), else_=0),
            new_ranges,
            new_watched_ms,
            case(
                (watched_enough_sql(new_watched_ms, target.c.duration_seconds, ratio_bp), now),
            ),
            case(
                (
                    watched_enough_sql(new_watched_ms, target.c.duration_seconds, ratio_bp),
                    literal(CompletionSource.watched.value),
                ),
            ),
            event_at,
            now,
            now,
        ).select_from(target.join(recorded, true())),
    )
    current = LessonProgress
    excluded = upsert.excluded
    merged = current.watched_ranges.op("+")(excluded.watched_ranges)
    unnested = func.unnest(merged).table_valued("r").render_derived()
    merged_ms = (
        select(func.coalesce(func.sum(func.upper(unnested.c.r) - func.lower(unnested.c.r)), 0))
        .select_from(unnested)
        .scalar_subquery()
    )
    # The lesson's length, from the `target` CTE (one row): `excluded` cannot be correlated
    # into a sub-select, and the CTE saves a second lookup of the lesson.
    duration_now = select(target.c.duration_seconds).scalar_subquery()
    reaches = watched_enough_sql(merged_ms, duration_now, ratio_bp)
    upserted = (
        upsert.on_conflict_do_update(
            index_elements=["user_id", "lesson_id"],
            set_={
                "watched_ranges": merged,
                "watched_ms": merged_ms,
                "furthest_ms": func.greatest(current.furthest_ms, excluded.furthest_ms),
                "position_ms": case(
                    (
                        or_(
                            current.position_at.is_(None),
                            excluded.position_at >= current.position_at,
                        ),
                        excluded.position_ms,
                    ),
                    else_=current.position_ms,
                ),
                "position_at": func.greatest(current.position_at, excluded.position_at),
                "completed_at": func.coalesce(current.completed_at, case((reaches, now))),
                "completion_source": case(
                    (current.completed_at.is_not(None), current.completion_source),
                    (reaches, literal(CompletionSource.watched.value)),
                ),
                "last_activity_at": func.greatest(
                    current.last_activity_at, excluded.last_activity_at
                ),
                "updated_at": now,
            },
        )
        .returning(*_progress_returning())
        .cte("upserted")
    )
    statement = select(
        target.c.course_id,
        target.c.kind,
        target.c.duration_seconds,
        target.c.is_visible,
        target.c.is_entitled,
        target.c.live_role,
        *upserted.c,
    ).select_from(target.outerjoin(upserted, true()))
    return statement


RECORD_EVENT = HotQuery(_record_event_statement())


async def record_event(
    connection: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    epoch: int,
    lesson_id: uuid.UUID,
    event_id: uuid.UUID,
    event_at: datetime,
    position_ms: int,
    watched_from_ms: int,
    watched_to_ms: int,
    ratio_bp: int,
    now: datetime,
) -> SimpleNamespace | None:
    """Run the one-statement write on `connection` (autocommit on the hot pool: the statement
    is its own transaction; or the request session's driver connection, inside its
    transaction). None: unknown lesson. Otherwise a row (attribute access) with the target's
    `course_id`, `kind`, `duration_seconds`, `is_visible`, `is_entitled`, the caller's
    `live_role` (NULL: no live login session, nothing written) and — when the event was
    recorded — the new state (`id` not NULL); `id` NULL on an accepted lesson = duplicate.

    `watched_from_ms == watched_to_ms` means "no interval" (an empty range)."""
    record = await RECORD_EVENT.fetchrow(
        connection,
        user_id=user_id,
        session_id=session_id,
        epoch=epoch,
        lesson_id=lesson_id,
        event_id=event_id,
        new_id=uuid.uuid4(),
        now=now,
        event_at=event_at,
        position_ms=position_ms,
        watched_from_ms=watched_from_ms,
        watched_to_ms=watched_to_ms,
        ratio_bp=ratio_bp,
    )
    return None if record is None else _progress_row(record)


def _progress_row(record: asyncpg.Record) -> SimpleNamespace:
    row = SimpleNamespace(**dict(record))
    row.kind = LessonKind(row.kind)
    if row.completion_source is not None:
        row.completion_source = CompletionSource(row.completion_source)
    return row


async def mark_complete(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    lesson_id: uuid.UUID,
    may_preview: bool,
    now: datetime,
) -> Row[Any] | None:
    """R-PRG-1 "marked complete", one statement: the upsert runs only when the lesson is visible,
    open to the caller and not a test; an already completed lesson keeps its first completion."""
    target = lesson_target(user_id=user_id, lesson_id=lesson_id, may_preview=may_preview, now=now)
    accepted = and_(target.c.is_visible, target.c.is_entitled, target.c.kind != LessonKind.test)
    upsert = insert(LessonProgress).from_select(
        [
            "id",
            "user_id",
            "lesson_id",
            "course_id",
            "completed_at",
            "completion_source",
            "last_activity_at",
            "created_at",
            "updated_at",
        ],
        select(
            literal(uuid.uuid4()),
            literal(user_id),
            target.c.lesson_id,
            target.c.course_id,
            literal(now),
            literal(CompletionSource.marked.value),
            literal(now),
            literal(now),
            literal(now),
        ).where(accepted),
    )
    upserted = (
        upsert.on_conflict_do_update(
            index_elements=["user_id", "lesson_id"],
            set_=_completion_set(upsert.excluded),
        )
        .returning(*_progress_returning())
        .cte("upserted")
    )
    statement = select(
        target.c.course_id,
        target.c.kind,
        target.c.duration_seconds,
        target.c.is_visible,
        target.c.is_entitled,
        *upserted.c,
    ).select_from(target.outerjoin(upserted, true()))
    return (await session.execute(statement)).one_or_none()


def _completion_set(excluded: Any) -> dict[str, Any]:
    current = LessonProgress
    return {
        "completed_at": func.coalesce(current.completed_at, excluded.completed_at),
        "completion_source": func.coalesce(current.completion_source, excluded.completion_source),
        "last_activity_at": func.greatest(current.last_activity_at, excluded.last_activity_at),
        "updated_at": excluded.updated_at,
    }


async def complete_by_test(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    lesson_id: uuid.UUID,
    course_id: uuid.UUID,
    now: datetime,
) -> None:
    """R-PRG-2: a submitted attempt completes its test lesson (first completion kept)."""
    upsert = insert(LessonProgress).values(
        id=uuid.uuid4(),
        user_id=user_id,
        lesson_id=lesson_id,
        course_id=course_id,
        completed_at=now,
        completion_source=CompletionSource.test,
        last_activity_at=now,
        created_at=now,
        updated_at=now,
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=["user_id", "lesson_id"], set_=_completion_set(upsert.excluded)
        )
    )


def _lesson_with_progress_statement() -> Select[Any]:
    user_id = bindparam("user_id", type_=Uuid)
    return (
        select(
            Lesson.course_id,
            Lesson.kind,
            Lesson.duration_seconds,
            Course.is_published,
            *_progress_returning(),
        )
        .join(Course, Course.id == Lesson.course_id)
        .outerjoin(
            LessonProgress,
            and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id),
        )
        .where(Lesson.id == bindparam("lesson_id", type_=Uuid))
    )


LESSON_WITH_PROGRESS = HotQuery(_lesson_with_progress_statement())


async def lesson_with_progress(
    connection: asyncpg.Connection, *, user_id: uuid.UUID, lesson_id: uuid.UUID
) -> SimpleNamespace | None:
    """The lesson, its course's visibility and the caller's progress row (NULLs when none)."""
    record = await LESSON_WITH_PROGRESS.fetchrow(connection, user_id=user_id, lesson_id=lesson_id)
    return None if record is None else _progress_row(record)
