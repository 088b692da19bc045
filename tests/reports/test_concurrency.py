"""One submission per unit holds under concurrency (R-ENR-7): five simultaneous submissions of the
same unit create exactly one. Committing fixtures: concurrent transactions need real connections."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import ReportSubmission, ReportUnit, ReportUnitKind
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import bearer_for, make_user
from tests.reports.test_reports_api import IN_TERM, QUESTIONS


async def test_r_enr_7_simultaneous_submissions_of_one_unit_create_one(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    clock = await committing_client.put(
        "/api/v1/dev/clock", json={"frozen_at": IN_TERM.isoformat()}
    )
    assert clock.status_code == 200, clock.text
    async with committing_sessionmaker() as session:
        course, course_settings = await make_correspondence_course(session)
        unit = ReportUnit(
            id=uuid.uuid4(),
            course_id=course.id,
            position=1,
            title="第1回レポート",
            instructions="",
            kind=ReportUnitKind.multiple_choice,
            questions=QUESTIONS,
        )
        session.add(unit)
        learner = await make_user(session)
        enrollment = await make_enrollment(
            session, learner, course, course_settings, accepted_on=date(2026, 11, 20)
        )
        headers = await bearer_for(session, learner, settings, IN_TERM)
        await session.commit()
    url = f"/api/v1/me/enrollments/{enrollment.id}/report-units/{unit.id}/submissions"
    answers = {"answers": [1] * len(QUESTIONS)}
    responses = await asyncio.gather(
        *(committing_client.post(url, json=answers, headers=headers) for _ in range(5))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 1, [r.text for r in responses]
    assert all(status == 409 for status in statuses if status != 201)
    async with committing_sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ReportSubmission)
            .where(ReportSubmission.enrollment_id == enrollment.id)
        )
    assert count == 1
