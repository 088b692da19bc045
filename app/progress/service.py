"""Playback progress use cases: record an event, mark complete, read a lesson's progress.
R-PRG-1, R-PRG-5.

How "watched" is measured (R-PRG-1): the player reports, with each event, the media interval it
actually played since its previous event (`watched.from_seconds`–`to_seconds`). The server keeps
the union of those intervals and completes the lesson when the union's length reaches the
configured share of the video (`MANABI_VIDEO_COMPLETION_RATIO`, default 0.9). A seek reports no
interval, so jumping to the end never completes a lesson; re-watching the same minute counts it
once; duplicates and out-of-order deliveries cannot inflate it (a union is idempotent and
commutative). One event may cover at most 5 minutes of media (a heartbeat, not a claim).

Out of order (R-PRG-5): watched time, the furthest point and completion only ever grow; the
resume position follows the event with the latest client `occurred_at` (ties: later arrival).

Every write is one SQL statement (`repository.record_event`), plus one read when the event id
was already recorded (to answer with the current state). The statement also checks the caller's
login session (`app.auth.hot_path`), so without an `Idempotency-Key` an event costs one round
trip on an autocommit connection of the hot pool.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.errors import InvalidAccessToken
from app.entitlements.errors import NotEntitled
from app.entitlements.rules import may_preview
from app.kit.hot_query import driver_connection
from app.models.content import LessonKind
from app.models.user import Role
from app.progress import repository, rules
from app.progress.errors import LessonHasNoVideo, LessonNotFound, TestLessonCompletesByAttempt
from app.progress.schemas import LessonProgressOut, ProgressEventIn, ProgressEventResult


def _progress_fields(lesson_id: uuid.UUID, row: Any) -> dict[str, Any]:
    """The answer's fields from a row carrying the lesson's columns and (maybe NULL) progress."""
    has_row = row.id is not None
    watched_ms = row.watched_ms if has_row else 0
    completed_at = row.completed_at if has_row else None
    if completed_at is not None:
        state = "completed"
    elif has_row:
        state = "in_progress"
    else:
        state = "not_started"
    return {
        "lesson_id": lesson_id,
        "course_id": row.course_id,
        "state": state,
        "position_seconds": (row.position_ms if has_row else 0) / rules.MS_PER_SECOND,
        "watched_seconds": watched_ms / rules.MS_PER_SECOND,
        "furthest_seconds": (row.furthest_ms if has_row else 0) / rules.MS_PER_SECOND,
        "duration_seconds": row.duration_seconds,
        "watched_ratio": rules.watched_ratio(
            watched_ms=watched_ms, duration_seconds=row.duration_seconds
        ),
        "completed_at": completed_at,
        "completion_source": row.completion_source if has_row else None,
        "last_activity_at": row.last_activity_at if has_row else None,
    }


def _progress_out(lesson_id: uuid.UUID, row: Any) -> LessonProgressOut:
    return LessonProgressOut(**_progress_fields(lesson_id, row))


def _refuse_unless_open(row: Any) -> Any:
    if row is None or not row.is_visible:
        raise LessonNotFound()
    if not row.is_entitled:
        raise NotEntitled()
    return row


@dataclass(frozen=True, slots=True)
class LoginSession:
    """Who sends the event, as their access token says; the statement checks it is still live."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    epoch: int


async def record_event(
    connection: asyncpg.Connection,
    *,
    login: LoginSession,
    lesson_id: uuid.UUID,
    event: ProgressEventIn,
    ratio: float,
    now: datetime,
    confirm_session: Callable[[], Awaitable[Role]],
) -> ProgressEventResult:
    """One statement checks the login session, the lesson and the entitlement and records the
    event (R-PRG-5: a known `event_id` records nothing). Only when it finds no live login
    session, or no lesson, does `confirm_session` run the full check, for the precise 401/403
    (no 404 leaks past a dead session). On the hot pool the statement is its own transaction."""
    watched_from = watched_to = 0
    if event.watched is not None:
        watched_from = rules.seconds_to_ms(event.watched.from_seconds)
        watched_to = rules.seconds_to_ms(event.watched.to_seconds)

    async def write() -> Any:
        return await repository.record_event(
            connection,
            user_id=login.user_id,
            session_id=login.session_id,
            epoch=login.epoch,
            lesson_id=lesson_id,
            event_id=event.event_id,
            event_at=rules.effective_event_time(event.occurred_at, now),
            position_ms=rules.seconds_to_ms(event.position_seconds),
            watched_from_ms=watched_from,
            watched_to_ms=watched_to,
            ratio_bp=rules.ratio_basis_points(ratio),
            now=now,
        )

    row = await write()
    if row is None or row.live_role is None:
        await confirm_session()  # raises the problem of a dead session
        if row is not None:
            # The session came alive between the two checks (an account reactivated at that
            # instant): the statement wrote nothing, so it runs once more.
            row = await write()
            if row.live_role is None:
                raise InvalidAccessToken()
    row = _refuse_unless_open(row)
    if row.kind is LessonKind.test or row.duration_seconds is None:
        raise LessonHasNoVideo()
    if row.id is not None:
        return ProgressEventResult(**_progress_fields(lesson_id, row), recorded=True)
    # The event id was already recorded: nothing changed; answer with the current state.
    current = await repository.lesson_with_progress(
        connection, user_id=login.user_id, lesson_id=lesson_id
    )
    assert current is not None
    return ProgressEventResult(**_progress_fields(lesson_id, current), recorded=False)


async def mark_complete(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    role: Role | None,
    lesson_id: uuid.UUID,
    now: datetime,
) -> LessonProgressOut:
    """R-PRG-1: the member marks a lesson complete. Idempotent: the first completion is kept."""
    row = _refuse_unless_open(
        await repository.mark_complete(
            session, user_id=user_id, lesson_id=lesson_id, may_preview=may_preview(role), now=now
        )
    )
    if row.kind is LessonKind.test:
        raise TestLessonCompletesByAttempt()
    return _progress_out(lesson_id, row)


async def lesson_progress(
    session: AsyncSession, *, user_id: uuid.UUID, role: Role | None, lesson_id: uuid.UUID
) -> LessonProgressOut:
    """The caller's own progress on a lesson (zeros when none). A lesson of an unpublished
    course answers 404 unless the caller has progress there (or previews as staff)."""
    row = await repository.lesson_with_progress(
        await driver_connection(session), user_id=user_id, lesson_id=lesson_id
    )
    if row is None or not (row.is_published or row.id is not None or may_preview(role)):
        raise LessonNotFound()
    return _progress_out(lesson_id, row)
