"""Purchase jobs (SPEC §8, R-REF-10).

- `expire_abandoned_purchases` (hourly): pending purchases whose one-time checkout was not
  completed within a day are read at the provider — a completed one is settled from its charge,
  the rest are canceled and their points come back. Re-running is harmless: rows are locked
  with `SKIP LOCKED` and only pending purchases move.
"""

from __future__ import annotations

import logging

from app.kit.clock import read_now
from app.payments.purchases import service
from app.payments.tasks import provider
from app.worker import app, task_sessionmaker, worker_settings

logger = logging.getLogger("manabi.payments.purchases")


@app.periodic(cron="7 * * * *", periodic_id="expire_abandoned_purchases")
@app.task(
    name="app.payments.purchases.tasks.expire_abandoned_purchases",
    queue="payments",
    lock="payments.expire_abandoned_purchases",
)
async def expire_abandoned_purchases(timestamp: int) -> int:
    async with task_sessionmaker()() as session:
        now = await read_now(session, worker_settings())
        handled = await service.expire_abandoned_purchases(session, provider(), now=now)
        await session.commit()
    logger.info("abandoned purchases handled", extra={"count": handled})
    return handled
