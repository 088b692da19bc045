"""Progress overviews: per course and the member's dashboard (受講管理ページ). R-PRG-2, R-PRG-3.

- Per course: lessons completed / total, each lesson's state and resume position, the last
  activity, and the quiz correct rate (クイズの正答率) = Σ correct answers / Σ questions over the
  *latest* attempt of each test lesson attempted (`rules.quiz_correct_rate`; null when none).
- Dashboard: every course the member studied in or holds a live course/content-set grant for
  (the whole membership catalog is the catalog, not the dashboard), most recent activity first,
  with the same figures and `has_access`. An ended grant leaves the history of a purchased or
  correspondence course visible; membership content the member can no longer open is hidden
  until they subscribe again (R-SUB-11, `app.progress.visibility`).

Both read only the caller's own rows: the user id comes from the token, never from the path.
A course being prepared (unpublished) answers 404 unless the member already studied in it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements.rules import may_preview
from app.models.user import Role
from app.progress import overview_repository, rules
from app.progress.errors import CourseNotFound
from app.progress.schemas import (
    CourseProgressOut,
    DashboardCourse,
    DashboardOut,
    LessonProgressRow,
    LessonState,
    QuizStats,
)


def _state(row: Row[Any]) -> LessonState:
    if row.completed_at is not None:
        return "completed"
    return "in_progress" if row.progress_id is not None else "not_started"


def _quiz_stats(correct: int, questions: int) -> QuizStats:
    return QuizStats(
        correct_count=correct,
        question_count=questions,
        correct_rate=rules.quiz_correct_rate([(correct, questions)]),
    )


def _lesson_row(row: Row[Any]) -> LessonProgressRow:
    watched_ms = row.watched_ms or 0
    return LessonProgressRow(
        lesson_id=row.lesson_id,
        position=row.position,
        kind=row.kind,
        title=row.lesson_title,
        duration_seconds=row.duration_seconds,
        state=_state(row),
        position_seconds=(row.position_ms or 0) / rules.MS_PER_SECOND,
        watched_ratio=rules.watched_ratio(
            watched_ms=watched_ms, duration_seconds=row.duration_seconds
        ),
        completed_at=row.completed_at,
        completion_source=row.completion_source,
        last_activity_at=row.last_activity_at,
        latest_attempt_score=row.score,
    )


async def course_progress(
    session: AsyncSession, *, user_id: uuid.UUID, role: Role | None, course_id: uuid.UUID
) -> CourseProgressOut:
    rows = await overview_repository.course_rows(session, user_id=user_id, course_id=course_id)
    studied = any(row.progress_id is not None for row in rows)
    if not rows or not (rows[0].is_published or studied or may_preview(role)):
        raise CourseNotFound()
    lessons = [_lesson_row(row) for row in rows if row.lesson_id is not None]
    activity = [row.last_activity_at for row in rows if row.last_activity_at is not None]
    latest = [(row.correct_count, row.question_count) for row in rows if row.question_count]
    return CourseProgressOut(
        course_id=course_id,
        title=rows[0].title,
        completed_lessons=sum(1 for lesson in lessons if lesson.state == "completed"),
        total_lessons=len(lessons),
        last_activity_at=max(activity, default=None),
        quiz=QuizStats(
            correct_count=sum(correct for correct, _ in latest),
            question_count=sum(questions for _, questions in latest),
            correct_rate=rules.quiz_correct_rate(latest),
        ),
        lessons=lessons,
    )


async def dashboard(
    session: AsyncSession, *, user_id: uuid.UUID, role: Role | None, now: datetime
) -> DashboardOut:
    rows = await overview_repository.dashboard_rows(
        session, user_id=user_id, may_preview=may_preview(role), now=now
    )
    return DashboardOut(
        courses=[
            DashboardCourse(
                course_id=row.id,
                title=row.title,
                kind=row.kind,
                program=row.program,
                has_access=row.has_access,
                completed_lessons=row.completed,
                total_lessons=row.total,
                last_activity_at=row.last_activity_at,
                quiz=_quiz_stats(int(row.quiz_correct), int(row.quiz_questions)),
            )
            for row in rows
        ]
    )
