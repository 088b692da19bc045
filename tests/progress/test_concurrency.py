"""Progress invariants under concurrency, with real commits on separate connections
(R-PRG-1, R-PRG-2, R-PRG-5)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import LessonProgress, ProgressEvent, QuizAttempt
from tests.progress.factories import (
    T0,
    event,
    events_path,
    make_quiz,
    member_with_access,
    video_course,
)


async def test_r_prg_5_the_same_event_sent_concurrently_is_recorded_once(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    async with committing_sessionmaker() as session:
        course, lesson = await video_course(session)
        _, headers = await member_with_access(session, settings, course)
        await session.commit()
    payload = event(120, (0, 120))

    responses = await asyncio.gather(
        *(
            committing_client.post(events_path(lesson), json=payload, headers=headers)
            for _ in range(8)
        )
    )

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert Counter(r.json()["recorded"] for r in responses) == {True: 1, False: 7}
    async with committing_sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ProgressEvent)) == 1
        row = await session.scalar(select(LessonProgress))
        assert row is not None
        assert row.watched_ms == 120_000


async def test_r_prg_5_concurrent_events_of_one_lesson_lose_no_update(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    async with committing_sessionmaker() as session:
        course, lesson = await video_course(session)
        _, headers = await member_with_access(session, settings, course)
        await session.commit()
    # Twenty heartbeats of 30 s each, covering 0–600 s, delivered at once in shuffled order.
    payloads = [
        event(i * 30 + 30, (i * 30, i * 30 + 30), at=T0 + timedelta(seconds=i)) for i in range(20)
    ]
    payloads.reverse()

    responses = await asyncio.gather(
        *(committing_client.post(events_path(lesson), json=p, headers=headers) for p in payloads)
    )

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    async with committing_sessionmaker() as session:
        row = await session.scalar(select(LessonProgress))
        assert row is not None
        assert row.watched_ms == 600_000
        assert row.completed_at is not None
        assert row.position_ms == 600_000  # the event with the latest client time
        assert await session.scalar(select(func.count()).select_from(LessonProgress)) == 1


async def test_r_prg_2_a_retried_submission_with_one_key_creates_one_attempt(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    async with committing_sessionmaker() as session:
        course, _ = await video_course(session)
        quiz = await make_quiz(session, course)
        _, headers = await member_with_access(session, settings, course)
        await session.commit()
    answers = {
        "answers": [
            {"question_id": str(q.id), "choice_ids": quiz.correct(i)}
            for i, q in enumerate(quiz.questions)
        ]
    }
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}

    responses = await asyncio.gather(
        *(
            committing_client.post(
                f"/api/v1/lessons/{quiz.lesson.id}/quiz-attempts", json=answers, headers=keyed
            )
            for _ in range(5)
        )
    )

    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    async with committing_sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
