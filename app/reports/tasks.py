"""Daily completion run for enrollments whose end has passed (R-ENR-9, R-ENR-11), 00:30 JST.

A unit missing at the end, or a below-pass average that a resubmission can no longer raise, is
decided only once the enrollment has ended: nothing else triggers that evaluation.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.calendar import jst_date
from app.kit.clock import read_now
from app.models import CompletionStatus, Enrollment, EnrollmentStatus
from app.reports.completion import evaluate_and_store
from app.worker import app, task_sessionmaker, worker_settings

logger = logging.getLogger("manabi.reports")


async def evaluate_ended_enrollments(
    session: AsyncSession, *, now: datetime, frontend_base_url: str, limit: int = 500
) -> int:
    """Evaluate up to `limit` ended, still pending enrollments; the number evaluated."""
    ended = (
        await session.scalars(
            select(Enrollment)
            .where(
                Enrollment.completion_status == CompletionStatus.pending,
                Enrollment.enrollment_end_on < jst_date(now),
                Enrollment.status.not_in((EnrollmentStatus.cancelled, EnrollmentStatus.returned)),
            )
            .order_by(Enrollment.enrollment_end_on, Enrollment.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for enrollment in ended:
        await evaluate_and_store(session, enrollment, now=now, frontend_base_url=frontend_base_url)
    return len(ended)


@app.periodic(cron="30 15 * * *", periodic_id="evaluate_ended_enrollments")  # 00:30 JST
@app.task(
    name="app.reports.tasks.evaluate_ended_enrollments",
    queue="maintenance",
    lock="reports.evaluate_ended_enrollments",
)
async def evaluate_ended_enrollments_task(timestamp: int) -> None:
    settings = worker_settings()
    async with task_sessionmaker()() as session:
        now = await read_now(session, settings)
        count = await evaluate_ended_enrollments(
            session, now=now, frontend_base_url=settings.frontend_base_url
        )
        await session.commit()
    logger.info("ended enrollments evaluated", extra={"count": count})
