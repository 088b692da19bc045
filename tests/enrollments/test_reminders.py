"""The monthly report reminder's own counter (R-ENR-18): units of the course with no submission
of this enrollment, counted for a batch at once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.enrollments.reminders import count_unsubmitted_units, send_report_reminders
from app.models import EmailOutbox, ReportSubmission, ReportUnit, ReportUnitKind
from app.models.report import SubmissionStatus
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import make_user

NOW = datetime(2027, 2, 1, 0, 0, tzinfo=UTC)  # 09:00 JST on the 1st of the third month


async def _units(session: AsyncSession, course_id: uuid.UUID, count: int) -> list[ReportUnit]:
    units = [
        ReportUnit(
            id=uuid.uuid4(),
            course_id=course_id,
            position=position,
            title=f"第{position}回レポート",
            instructions="",
            kind=ReportUnitKind.essay,
            questions=[],
        )
        for position in range(1, count + 1)
    ]
    session.add_all(units)
    await session.flush()
    return units


def _submission(enrollment_id: uuid.UUID, unit: ReportUnit, attempt: int = 1) -> ReportSubmission:
    return ReportSubmission(
        id=uuid.uuid4(),
        enrollment_id=enrollment_id,
        unit_id=unit.id,
        attempt=attempt,
        submitted_at=NOW,
        submitted_on=date(2027, 1, 20),
        essay_text="本文",
        status=SubmissionStatus.awaiting_grading,
    )


async def test_r_enr_18_reminder_counts_units_without_a_submission(session: AsyncSession) -> None:
    course, settings = await make_correspondence_course(session)
    units = await _units(session, course.id, 3)
    behind = await make_enrollment(
        session, await make_user(session), course, settings, accepted_on=date(2026, 11, 20)
    )
    done = await make_enrollment(
        session, await make_user(session), course, settings, accepted_on=date(2026, 11, 20)
    )
    # `behind` submitted unit 1 twice (a resubmission counts once); `done` submitted all three.
    session.add_all(
        [_submission(behind.id, units[0]), _submission(behind.id, units[0], attempt=2)]
        + [_submission(done.id, unit) for unit in units]
    )
    await session.flush()

    counts = await count_unsubmitted_units(session, [behind.id, done.id])
    assert counts.get(behind.id) == 2
    assert counts.get(done.id, 0) == 0

    sent = await send_report_reminders(session, now=NOW, reports_url="https://example.jp/r")
    assert sent == 1
    emails = (
        await session.scalars(select(EmailOutbox).where(EmailOutbox.template == "report_reminder"))
    ).all()
    assert [email.user_id for email in emails] == [behind.user_id]
    assert "2 件" in emails[0].body_text
