"""Daily housekeeping jobs (03:30 JST): expired platform rows and finished procrastinate jobs."""

from __future__ import annotations

import logging

from procrastinate import JobContext, builtin_tasks

from app.kit.clock import read_now
from app.ops.housekeeping import purge_expired
from app.worker import app, task_sessionmaker, worker_settings

logger = logging.getLogger("manabi.housekeeping")

FINISHED_JOB_RETENTION_HOURS = 72


@app.periodic(cron="30 18 * * *", periodic_id="daily_housekeeping")  # 18:30 UTC = 03:30 JST
@app.task(
    name="app.ops.tasks.daily_housekeeping",
    queue="maintenance",
    lock="ops.daily_housekeeping",
    pass_context=True,
)
async def daily_housekeeping(context: JobContext, timestamp: int) -> None:
    settings = worker_settings()
    async with task_sessionmaker()() as session:
        now = await read_now(session, settings)
        counts = await purge_expired(session, now)
        await session.commit()
    # Succeeded jobs only: failed/cancelled jobs stay for investigation.
    await builtin_tasks.remove_old_jobs(context, max_hours=FINISHED_JOB_RETENTION_HOURS)
    logger.info("housekeeping done", extra={"purged": counts.__dict__})
