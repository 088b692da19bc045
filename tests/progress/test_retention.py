"""R-PRG-6: correspondence learning data is purged 3 years after course start, by a daily job."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import worker
from app.config import Settings
from app.kit.calendar import jst_start_of_day
from app.kit.clock import set_clock
from app.models import (
    AuditEvent,
    Course,
    CourseProgram,
    GrantScope,
    GrantSource,
    LessonProgress,
    ProgressEvent,
    QuizAttempt,
    QuizAttemptAnswer,
    User,
)
from app.progress import repository
from app.progress.retention import purge_batch
from app.progress.tasks import purge_expired_learning_data
from tests.factories import make_course, make_grant, make_user
from tests.progress.factories import make_lesson, make_quiz


async def _learning_data(
    session: AsyncSession, user: User, course: Course, *, created_at: datetime
) -> None:
    """Progress, a processed event id and a quiz attempt with answers, as if made at
    `created_at`."""
    lesson = await make_lesson(session, course)
    quiz = await make_quiz(session, course)
    # Written as rows (the API's write checks a live login session and grant, irrelevant to a
    # purge of data made years ago).
    session.add(
        ProgressEvent(
            user_id=user.id, event_id=uuid.uuid4(), course_id=course.id, received_at=created_at
        )
    )
    session.add(
        LessonProgress(
            user_id=user.id,
            lesson_id=lesson.id,
            course_id=course.id,
            position_ms=1000,
            position_at=created_at,
            furthest_ms=1000,
            watched_ranges=[Range(0, 1000)],
            watched_ms=1000,
            last_activity_at=created_at,
            created_at=created_at,
            updated_at=created_at,
        )
    )
    attempt = QuizAttempt(
        user_id=user.id,
        lesson_id=quiz.lesson.id,
        course_id=course.id,
        submitted_at=created_at,
        correct_count=1,
        question_count=3,
        score=33,
    )
    session.add(attempt)
    await session.flush()
    session.add(
        QuizAttemptAnswer(
            attempt_id=attempt.id,
            question_id=quiz.questions[0].id,
            selected_choice_ids=[],
            is_correct=False,
        )
    )
    await repository.complete_by_test(
        session, user_id=user.id, lesson_id=quiz.lesson.id, course_id=course.id, now=created_at
    )
    await session.flush()


async def _enrolled(session: AsyncSession, course: Course, start_on: date) -> User:
    member = await make_user(session)
    await make_grant(
        session,
        member,
        scope=GrantScope.course,
        course_id=course.id,
        source=GrantSource.enrollment,
        valid_from=jst_start_of_day(start_on),
    )
    return member


async def _rows_of(session: AsyncSession, user: User) -> tuple[int, int, int]:
    counts = []
    for model in (LessonProgress, ProgressEvent, QuizAttempt):
        counts.append(
            await session.scalar(
                select(func.count()).select_from(model).where(model.user_id == user.id)
            )
            or 0
        )
    return counts[0], counts[1], counts[2]


def _jst(day: date) -> datetime:
    return jst_start_of_day(day)


async def test_r_prg_6_purge_starts_on_the_day_three_years_after_course_start(
    session: AsyncSession,
) -> None:
    course = await make_course(
        session, program=CourseProgram.correspondence, is_membership_content=False
    )
    member = await _enrolled(session, course, date(2023, 2, 28))
    # Studied well after the start: the start, not the activity, sets the clock.
    await _learning_data(session, member, course, created_at=_jst(date(2024, 6, 1)))

    day_before = await purge_batch(session, now=_jst(date(2026, 2, 28)) - timedelta(seconds=1))
    assert day_before.pairs == 0
    assert await _rows_of(session, member) == (2, 1, 1)

    on_the_day = await purge_batch(session, now=_jst(date(2026, 2, 28)))

    assert on_the_day.pairs == 1
    assert (on_the_day.lesson_progress, on_the_day.progress_events, on_the_day.quiz_attempts) == (
        2,
        1,
        1,
    )
    assert await _rows_of(session, member) == (0, 0, 0)
    assert await session.scalar(select(func.count()).select_from(QuizAttemptAnswer)) == 0
    audit = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "progress.learning_data_purged")
    )
    assert audit is not None and audit.data["pairs"] == 1


async def test_r_prg_6_a_leap_day_start_is_kept_until_march_first(session: AsyncSession) -> None:
    course = await make_course(
        session, program=CourseProgram.correspondence, is_membership_content=False
    )
    member = await _enrolled(session, course, date(2024, 2, 29))
    await _learning_data(session, member, course, created_at=_jst(date(2024, 3, 1)))

    assert (
        await purge_batch(session, now=_jst(date(2027, 2, 28)) + timedelta(hours=23))
    ).pairs == 0
    assert (await purge_batch(session, now=_jst(date(2027, 3, 1)))).pairs == 1


async def test_r_prg_6_only_correspondence_data_of_expired_starts_is_purged(
    session: AsyncSession,
) -> None:
    correspondence = await make_course(
        session, program=CourseProgram.correspondence, is_membership_content=False
    )
    membership = await make_course(session)
    old = await _enrolled(session, correspondence, date(2020, 4, 1))
    re_enrolled = await _enrolled(session, correspondence, date(2020, 4, 1))
    await make_grant(  # a re-enrollment restarts the clock
        session,
        re_enrolled,
        scope=GrantScope.course,
        course_id=correspondence.id,
        source=GrantSource.enrollment,
        valid_from=_jst(date(2024, 4, 1)),
    )
    no_grant_old = await make_user(session)  # falls back to the first progress row
    no_grant_recent = await make_user(session)
    for member in (old, re_enrolled):
        await _learning_data(session, member, correspondence, created_at=_jst(date(2020, 5, 1)))
    await _learning_data(session, no_grant_old, correspondence, created_at=_jst(date(2021, 1, 1)))
    await _learning_data(
        session, no_grant_recent, correspondence, created_at=_jst(date(2025, 1, 1))
    )
    await _learning_data(session, old, membership, created_at=_jst(date(2015, 1, 1)))

    result = await purge_batch(session, now=_jst(date(2026, 11, 23)))

    assert result.pairs == 2
    assert await _rows_of(session, no_grant_old) == (0, 0, 0)
    assert await _rows_of(session, re_enrolled) == (2, 1, 1)
    assert await _rows_of(session, no_grant_recent) == (2, 1, 1)
    assert await _rows_of(session, old) == (2, 1, 1)  # only the membership course's rows left
    assert (
        await session.scalar(
            select(func.count())
            .select_from(LessonProgress)
            .where(LessonProgress.user_id == old.id, LessonProgress.course_id == membership.id)
        )
        == 2
    )


def test_r_prg_6_the_purge_runs_daily_in_the_maintenance_queue() -> None:
    worker.app.perform_import_paths()
    task = worker.app.tasks["app.progress.tasks.purge_correspondence_learning_data"]
    assert task.queue == "maintenance"
    periodic = {p.task.name: p.cron for p in worker.app.periodic_registry.periodic_tasks.values()}
    assert periodic[task.name] == "0 19 * * *"  # 04:00 JST


@pytest.fixture
async def configured_worker(settings: Settings) -> AsyncIterator[None]:
    worker.configure(settings)
    try:
        yield
    finally:
        await worker.dispose()
        worker.configure(None)


async def test_r_prg_6_the_job_purges_in_committed_batches(
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    configured_worker: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.progress.tasks.BATCH_SIZE", 2)
    async with committing_sessionmaker() as session:
        course = await make_course(
            session, program=CourseProgram.correspondence, is_membership_content=False
        )
        for _ in range(5):
            member = await _enrolled(session, course, date(2022, 4, 1))
            await _learning_data(session, member, course, created_at=_jst(date(2022, 4, 2)))
        await set_clock(session, frozen_at=datetime(2026, 11, 23, tzinfo=UTC), offset_seconds=0)
        await session.commit()

    purged = await purge_expired_learning_data()

    assert purged == 5
    async with committing_sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(LessonProgress)) == 0
        audits = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "progress.learning_data_purged")
        )
        assert audits == 3  # batches of 2, 2 and 1
