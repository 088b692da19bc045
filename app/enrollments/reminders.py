"""Monthly reminder for unsubmitted report units (レポート提出促進案内, R-ENR-18).

`send_report_reminders` picks running enrollments not reminded this month, asks a counter how
many units each has left unsubmitted, and emails the learner (`report_reminder`) when
`rules.reminder_due` says so; `last_reminded_on` makes a re-run (or a second worker) send nothing
twice in a month. Rows are locked with `SKIP LOCKED`.

The counter is pluggable (`UnsubmittedCounter`): the default, `count_unsubmitted_units`, counts
per enrollment the course's report units without any submission, in one statement for the batch;
learners and courses are read in one statement each (no query per enrollment).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.enrollments import repository, rules
from app.kit.calendar import jst_date
from app.models.content import Course
from app.models.enrollment import Enrollment
from app.models.report import ReportSubmission, ReportUnit
from app.models.user import AccountStatus, User
from app.notifications.service import notify_user

logger = logging.getLogger("manabi.enrollments")

UnsubmittedCounter = Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, int]]]
"""(session, enrollment ids) → unsubmitted unit count per enrollment (missing = 0)."""


async def count_unsubmitted_units(
    session: AsyncSession, enrollment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not enrollment_ids:
        return {}
    submitted = (
        select(ReportSubmission.unit_id)
        .where(ReportSubmission.enrollment_id == Enrollment.id)
        .correlate(Enrollment)
    )
    statement = (
        select(Enrollment.id, func.count(ReportUnit.id))
        .join(ReportUnit, ReportUnit.course_id == Enrollment.course_id)
        .where(Enrollment.id.in_(enrollment_ids), ReportUnit.id.not_in(submitted))
        .group_by(Enrollment.id)
    )
    return {row[0]: int(row[1]) for row in await session.execute(statement)}


async def send_report_reminders(
    session: AsyncSession,
    *,
    now: datetime,
    reports_url: str,
    counter: UnsubmittedCounter = count_unsubmitted_units,
    limit: int = 500,
) -> int:
    """Email this month's reminders; returns how many were sent."""
    today = jst_date(now)
    rows: Sequence[Enrollment] = (
        await session.scalars(repository.reminder_candidates(today, limit))
    ).all()
    counts = await counter(session, [row.id for row in rows])
    learners = {
        user.id: user
        for user in await session.scalars(
            select(User).where(User.id.in_({row.user_id for row in rows}))
        )
    }
    courses = {
        course.id: course
        for course in await session.scalars(
            select(Course).where(Course.id.in_({row.course_id for row in rows}))
        )
    }
    sent = 0
    for enrollment in rows:
        unsubmitted = counts.get(enrollment.id, 0)
        if not rules.reminder_due(
            today,
            units_unsubmitted=unsubmitted,
            start_on=enrollment.start_on,
            enrollment_end_on=enrollment.enrollment_end_on,
            last_reminded_on=enrollment.last_reminded_on,
        ):
            continue
        learner = learners.get(enrollment.user_id)
        course = courses.get(enrollment.course_id)
        if learner is None or course is None or learner.status is not AccountStatus.active:
            continue
        await notify_user(
            session,
            learner,
            template="report_reminder",
            now=now,
            context={
                "course_title": course.title,
                "unsubmitted_count": unsubmitted,
                "enrollment_ends_on": enrollment.enrollment_end_on.isoformat(),
                "reports_url": reports_url,
            },
        )
        enrollment.last_reminded_on = today
        sent += 1
    await session.flush()
    logger.info("report reminders sent", extra={"count": sent})
    return sent
