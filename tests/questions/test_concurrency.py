"""R-QST-9: quotas hold under concurrency, with real commits on separate connections."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import set_clock
from app.models import Question, QuestionKind, QuestionStatus
from tests.questions.helpers import NOON, ask, member_with_enrollment

pytestmark = pytest.mark.usefixtures("storage_root")


async def test_r_qst_9_ten_simultaneous_questions_with_three_left_create_exactly_three(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    async with committing_sessionmaker() as session:
        await set_clock(session, frozen_at=NOON, offset_seconds=0)
        user, headers, enrollment = await member_with_enrollment(session, settings)
        yesterday = NOON - timedelta(days=1)
        for _ in range(3):  # 3 of the course's 6 were asked yesterday: 3 left
            session.add(
                Question(
                    id=uuid.uuid4(),
                    user_id=user.id,
                    kind=QuestionKind.study,
                    enrollment_id=enrollment.id,
                    title="前日の質問",
                    body="本文",
                    status=QuestionStatus.open,
                    asked_at=yesterday,
                    asked_on=(NOON - timedelta(days=1)).date(),
                    due_on=NOON.date() + timedelta(days=9),
                )
            )
        await session.commit()

    responses = await asyncio.gather(
        *(ask(committing_client, enrollment, headers, title=f"質問{i}") for i in range(10))
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 3, 409: 7}, [r.text for r in responses if r.status_code >= 500]
    assert {r.json()["type"] for r in responses if r.status_code == 409} <= {
        "question-enrollment-quota-exceeded",
        "question-daily-quota-exceeded",
    }
    async with committing_sessionmaker() as session:
        total = await session.scalar(
            select(func.count()).select_from(Question).where(Question.user_id == user.id)
        )
        assert total == 6
