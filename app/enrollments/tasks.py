"""Enrollment jobs (R-ENR-18, R-ENR-3, R-ENR-16).

- `send_report_reminders` (daily at 09:00 JST): the monthly reminder for unsubmitted report
  units; `rules.reminder_due` and `last_reminded_on` make it fire once a month per enrollment,
  so a daily schedule only catches up after an outage.
- `close_ended_enrollments` (daily just after midnight JST): live enrollments past their
  (leave-extended) end become `ended`.
- `close_unpaid_re_enrollments` (hourly): re-enrollment fee checkouts left open for a day are
  read at the provider; paid ones are settled, the rest closed (the learner's place is freed).
"""

from __future__ import annotations

import logging

from app.enrollments import re_enrollment, reminders, service
from app.kit.calendar import jst_date
from app.kit.clock import read_now
from app.payments.tasks import provider
from app.worker import app, task_sessionmaker, worker_settings

logger = logging.getLogger("manabi.enrollments")


@app.periodic(cron="0 0 * * *", periodic_id="send_report_reminders")  # 00:00 UTC = 09:00 JST
@app.task(
    name="app.enrollments.tasks.send_report_reminders",
    queue="default",
    lock="enrollments.send_report_reminders",
)
async def send_report_reminders(timestamp: int) -> int:
    settings = worker_settings()
    async with task_sessionmaker()() as session:
        now = await read_now(session, settings)
        sent = await reminders.send_report_reminders(
            session, now=now, reports_url=f"{settings.frontend_base_url}/me/enrollments"
        )
        await session.commit()
    return sent


@app.periodic(cron="5 15 * * *", periodic_id="close_ended_enrollments")  # 00:05 JST
@app.task(
    name="app.enrollments.tasks.close_ended_enrollments",
    queue="default",
    lock="enrollments.close_ended_enrollments",
)
async def close_ended_enrollments(timestamp: int) -> int:
    async with task_sessionmaker()() as session:
        now = await read_now(session, worker_settings())
        closed = await service.close_ended(session, today=jst_date(now))
        await session.commit()
    logger.info("ended enrollments closed", extra={"count": closed})
    return closed


@app.periodic(cron="37 * * * *", periodic_id="close_unpaid_re_enrollments")
@app.task(
    name="app.enrollments.tasks.close_unpaid_re_enrollments",
    queue="payments",
    lock="enrollments.close_unpaid_re_enrollments",
)
async def close_unpaid_re_enrollments(timestamp: int) -> int:
    async with task_sessionmaker()() as session:
        now = await read_now(session, worker_settings())
        handled = await re_enrollment.close_unpaid(session, provider(), now=now)
        await session.commit()
    logger.info("unpaid re-enrollments handled", extra={"count": handled})
    return handled
