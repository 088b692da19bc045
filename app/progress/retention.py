"""R-PRG-6: correspondence learning data is kept 3 years from course start, then purged.

What is purged, per member and correspondence course (`course.program == correspondence`):
their lesson progress, processed progress-event ids and quiz attempts (with answers). Reports,
certificates and enrollments belong to the enrollments domain and follow their own rules.

Course start for a member = `valid_from` of their most recent `enrollment` grant for the course
(a re-enrollment restarts the clock, so nothing is purged while the member still studies); when
there is no such grant, their first progress row's `created_at`. The date rule is
`rules.correspondence_purge_on` in JST calendar days; the query compares start instants with the
start of the JST day after `rules.latest_purgeable_start(today)`, so it is one range condition.

The daily job (`app/progress/tasks.py`) purges in batches of `BATCH_SIZE` member-course pairs,
committing each batch with an audit record of the counts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.kit.calendar import jst_date, jst_start_of_day
from app.models.content import Course, CourseProgram
from app.models.entitlement import EntitlementGrant, GrantSource
from app.models.progress import LessonProgress, ProgressEvent, QuizAttempt
from app.progress import rules

BATCH_SIZE = 500


@dataclass(frozen=True)
class PurgeResult:
    pairs: int
    lesson_progress: int
    progress_events: int
    quiz_attempts: int


def start_cutoff(now: datetime) -> datetime:
    """Data of a course started strictly before this instant may be purged at `now`."""
    last_start_day = rules.latest_purgeable_start(jst_date(now))
    return jst_start_of_day(last_start_day + timedelta(days=1))


async def expired_pairs(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(user_id, course_id) of correspondence learning data past its retention."""
    enrollment_start = (
        select(func.max(EntitlementGrant.valid_from))
        .where(
            EntitlementGrant.user_id == LessonProgress.user_id,
            EntitlementGrant.course_id == LessonProgress.course_id,
            EntitlementGrant.source == GrantSource.enrollment,
        )
        .scalar_subquery()
    )
    started_at = func.coalesce(enrollment_start, func.min(LessonProgress.created_at))
    statement = (
        select(LessonProgress.user_id, LessonProgress.course_id)
        .join(Course, Course.id == LessonProgress.course_id)
        .where(Course.program == CourseProgram.correspondence)
        .group_by(LessonProgress.user_id, LessonProgress.course_id)
        .having(started_at < start_cutoff(now))
        .limit(limit)
    )
    return [(row.user_id, row.course_id) for row in await session.execute(statement)]


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_batch(
    session: AsyncSession, *, now: datetime, limit: int = BATCH_SIZE
) -> PurgeResult:
    """Purge up to `limit` expired member-course pairs; never commits."""
    pairs = await expired_pairs(session, now=now, limit=limit)
    if not pairs:
        return PurgeResult(pairs=0, lesson_progress=0, progress_events=0, quiz_attempts=0)
    attempts = await session.execute(
        delete(QuizAttempt).where(tuple_(QuizAttempt.user_id, QuizAttempt.course_id).in_(pairs))
    )
    events = await session.execute(
        delete(ProgressEvent).where(
            tuple_(ProgressEvent.user_id, ProgressEvent.course_id).in_(pairs)
        )
    )
    progress = await session.execute(
        delete(LessonProgress).where(
            tuple_(LessonProgress.user_id, LessonProgress.course_id).in_(pairs)
        )
    )
    result = PurgeResult(
        pairs=len(pairs),
        lesson_progress=_count(progress),
        progress_events=_count(events),
        quiz_attempts=_count(attempts),
    )
    await record_audit_event(
        session,
        action=AuditAction.learning_data_purged,
        now=now,
        target_type="correspondence_learning_data",
        data={
            **result.__dict__,
            "started_before": start_cutoff(now).isoformat(),
            "rule": "R-PRG-6",
        },
    )
    return result
