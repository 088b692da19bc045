"""Background jobs of the notifications domain (R-NTF-2).

- `deliver_email(email_id)`: deferred by `enqueue_email` in the transaction that wrote the
  email; sends it within seconds of the commit.
- `deliver_due_emails` (every minute): the sweep that retries after SMTP failures and catches any
  email whose job was lost.

SMTP failures are not job failures: the outbox row records them and carries its own backoff, and
the sweep retries. The procrastinate retry strategy only covers infrastructure trouble around the
send (the database connection dropped, the pool timed out); if even those retries run out, the
row is still pending and the sweep delivers it.
"""

from __future__ import annotations

import logging
import uuid

from procrastinate import RetryStrategy
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.kit.clock import read_now
from app.notifications import delivery
from app.notifications.service import DELIVER_TASK
from app.worker import app, task_sessionmaker, worker_settings

logger = logging.getLogger(__name__)

QUEUE = "email"
SWEEP_LIMIT = 100

_INFRASTRUCTURE_RETRY = RetryStrategy(
    max_attempts=5,
    wait=5,
    exponential_wait=2,  # 5 s, 10 s, 20 s, 40 s, 80 s
    retry_exceptions={OperationalError, InterfaceError, PoolTimeout, ConnectionError, TimeoutError},
)


@app.task(name=DELIVER_TASK, queue=QUEUE, retry=_INFRASTRUCTURE_RETRY)
async def deliver_email(email_id: str) -> str:
    """Send one outbox email now (if still pending and due); returns the outcome."""
    settings = worker_settings()
    async with task_sessionmaker()() as session:
        now = await read_now(session, settings)
        result = await delivery.deliver_email(
            session, uuid.UUID(email_id), settings=settings, now=now
        )
        await session.commit()
    return result.outcome.value


@app.periodic(cron="* * * * *", periodic_id="deliver_due_emails")
@app.task(
    name="app.notifications.tasks.deliver_due_emails",
    queue=QUEUE,
    # At most one sweep waiting and one running: a slow sweep never piles up more.
    queueing_lock="notifications.deliver_due_emails",
    lock="notifications.deliver_due_emails",
    retry=_INFRASTRUCTURE_RETRY,
)
async def deliver_due_emails(timestamp: int) -> int:
    """Every minute: send pending emails whose next attempt is due; returns how many were sent."""
    settings = worker_settings()
    sessionmaker = task_sessionmaker()
    async with sessionmaker() as session:
        now = await read_now(session, settings)
    return await delivery.deliver_due_emails(
        sessionmaker, settings=settings, limit=SWEEP_LIMIT, now=now
    )


# Later: a daily periodic purge (old sent/failed outbox rows, finished procrastinate jobs) belongs
# here, registered the same way with its own periodic_id.
