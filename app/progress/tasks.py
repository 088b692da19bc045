"""Daily purge of correspondence learning data past its 3-year retention (R-PRG-6), 04:00 JST."""

from __future__ import annotations

import logging

from app.kit.clock import read_now
from app.progress.retention import BATCH_SIZE, purge_batch
from app.worker import app, task_sessionmaker, worker_settings

logger = logging.getLogger("manabi.progress")


async def purge_expired_learning_data() -> int:
    """Purge batch after batch (each committed on its own) until none is left; the pair count."""
    settings = worker_settings()
    purged = 0
    while True:
        async with task_sessionmaker()() as session:
            now = await read_now(session, settings)
            result = await purge_batch(session, now=now, limit=BATCH_SIZE)
            await session.commit()
        purged += result.pairs
        if result.pairs < BATCH_SIZE:
            return purged


@app.periodic(cron="0 19 * * *", periodic_id="purge_correspondence_learning_data")  # 04:00 JST
@app.task(
    name="app.progress.tasks.purge_correspondence_learning_data",
    queue="maintenance",
    lock="progress.purge_correspondence_learning_data",
)
async def purge_correspondence_learning_data(timestamp: int) -> None:
    purged = await purge_expired_learning_data()
    logger.info("correspondence learning data purged", extra={"pairs": purged})
