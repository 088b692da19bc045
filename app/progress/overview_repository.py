"""SQL of the progress overviews (R-PRG-3): one statement per page, whatever the course count.

- `course_rows`: a course, each of its lessons with the caller's progress, and the latest attempt
  of each test lesson (a `LATERAL` top-1 on `ix_quiz_attempt_user_id_lesson_id_submitted_at`).
- `dashboard_rows`: the caller's courses — with progress, or opened by a live course or
  content-set grant — each with completed/total lessons, last activity, the latest-attempt quiz
  sums and whether access is live now; aggregated in CTEs, so 1 or 100 courses cost one
  statement.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Row,
    Select,
    Uuid,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements.repository import course_access_clause, live_grant_clause
from app.kit.hot_query import HotQuery, driver_connection
from app.models.content import Course, Lesson
from app.models.entitlement import ContentSetCourse, EntitlementGrant, GrantScope
from app.models.progress import LessonProgress, QuizAttempt


async def course_rows(
    session: AsyncSession, *, user_id: uuid.UUID, course_id: uuid.UUID
) -> list[Row[Any]]:
    """One row per lesson (one row with NULL lesson columns for a course without lessons);
    empty when the course does not exist."""
    latest = (
        select(QuizAttempt.correct_count, QuizAttempt.question_count, QuizAttempt.score)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.lesson_id == Lesson.id)
        .order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc())
        .limit(1)
        .lateral("latest")
    )
    statement = (
        select(
            Course.id,
            Course.title,
            Course.is_published,
            Lesson.id.label("lesson_id"),
            Lesson.position,
            Lesson.kind,
            Lesson.title.label("lesson_title"),
            Lesson.duration_seconds,
            LessonProgress.id.label("progress_id"),
            LessonProgress.position_ms,
            LessonProgress.watched_ms,
            LessonProgress.completed_at,
            LessonProgress.completion_source,
            LessonProgress.last_activity_at,
            latest.c.correct_count,
            latest.c.question_count,
            latest.c.score,
        )
        .select_from(Course)
        .outerjoin(Lesson, Lesson.course_id == Course.id)
        .outerjoin(
            LessonProgress,
            and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id),
        )
        .outerjoin(latest, true())
        .where(Course.id == course_id)
        .order_by(Lesson.position)
    )
    return cast(list[Row[Any]], list((await session.execute(statement)).all()))


def _dashboard_statement(may_preview: bool) -> Select[Any]:
    """Built with bind parameters and compiled once per `may_preview` (`DASHBOARD`): building
    it per request cost ten times the query itself (bench/)."""
    user_id = bindparam("user_id", type_=Uuid)
    now = bindparam("now", type_=DateTime(timezone=True))
    live = live_grant_clause(user_id, now)
    my_courses = union(
        select(LessonProgress.course_id.label("course_id")).where(
            LessonProgress.user_id == user_id
        ),
        select(EntitlementGrant.course_id).where(live, EntitlementGrant.scope == GrantScope.course),
        select(ContentSetCourse.course_id)
        .join(EntitlementGrant, EntitlementGrant.content_set_id == ContentSetCourse.content_set_id)
        .where(live, EntitlementGrant.scope == GrantScope.content_set),
    ).cte("my_courses")
    progress = (
        select(
            LessonProgress.course_id,
            func.count(LessonProgress.completed_at).label("completed"),
            func.max(LessonProgress.last_activity_at).label("last_activity_at"),
        )
        .where(LessonProgress.user_id == user_id)
        .group_by(LessonProgress.course_id)
        .cte("progress")
    )
    totals = (
        select(Lesson.course_id, func.count().label("total"))
        .where(Lesson.course_id.in_(select(my_courses.c.course_id)))
        .group_by(Lesson.course_id)
        .cte("totals")
    )
    ranked = (
        select(
            QuizAttempt.course_id,
            QuizAttempt.correct_count,
            QuizAttempt.question_count,
            func.row_number()
            .over(
                partition_by=QuizAttempt.lesson_id,
                order_by=(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc()),
            )
            .label("recency"),
        )
        .where(QuizAttempt.user_id == user_id)
        .cte("ranked")
    )
    latest = select(ranked).where(ranked.c.recency == 1).cte("latest")
    quiz = (
        select(
            latest.c.course_id,
            func.sum(latest.c.correct_count).label("correct"),
            func.sum(latest.c.question_count).label("questions"),
        )
        .group_by(latest.c.course_id)
        .cte("quiz")
    )
    has_access: ColumnElement[bool] = true() if may_preview else course_access_clause(user_id, now)
    statement = (
        select(
            Course.id,
            Course.title,
            Course.kind,
            Course.program,
            has_access.label("has_access"),
            func.coalesce(progress.c.completed, 0).label("completed"),
            func.coalesce(totals.c.total, 0).label("total"),
            progress.c.last_activity_at,
            func.coalesce(quiz.c.correct, 0).label("quiz_correct"),
            func.coalesce(quiz.c.questions, 0).label("quiz_questions"),
        )
        .join(my_courses, my_courses.c.course_id == Course.id)
        .outerjoin(progress, progress.c.course_id == Course.id)
        .outerjoin(totals, totals.c.course_id == Course.id)
        .outerjoin(quiz, quiz.c.course_id == Course.id)
        # A course being prepared stays hidden unless the member already studied in it.
        .where(or_(Course.is_published, progress.c.course_id.is_not(None)))
        # R-SUB-11: membership content the member can no longer open is hidden, not deleted.
        .where(or_(has_access, Course.is_membership_content.is_(False)))
        .order_by(progress.c.last_activity_at.desc().nulls_last(), Course.title, Course.id)
    )
    return statement


DASHBOARD = {
    may_preview: HotQuery(_dashboard_statement(may_preview)) for may_preview in (False, True)
}


async def dashboard_rows(
    session: AsyncSession, *, user_id: uuid.UUID, may_preview: bool, now: datetime
) -> list[Any]:
    """The caller's courses (rows with attribute access), most recently studied first."""
    records = await DASHBOARD[may_preview].fetch(
        await driver_connection(session), user_id=user_id, now=now
    )
    return [SimpleNamespace(**dict(record)) for record in records]
