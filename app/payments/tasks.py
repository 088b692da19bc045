"""Payment jobs: notification processing, subscription billing, re-checks. R-PAY-2, R-SUB-3…7.

- `process_payment_notification`: deferred by the webhook with the inbox row (same transaction).
- `charge_subscription_now`: a past-due or unpaid subscription whose payment method was fixed.
- `run_subscription_billing` (every 15 minutes): renewals on their day (00:00 JST onwards),
  retries, period ends, unpaid expiry, trial-ending emails. Re-running is harmless: each
  subscription is locked (`SKIP LOCKED`) and every charge attempt has its stored key.
- `recheck_payment_notifications` (every 10 minutes): messages whose job failed or was lost
  are processed again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from app.kit.clock import read_now
from app.payments.provider.client import ProviderClient, build_provider_client
from app.payments.subscriptions import billing
from app.payments.webhook import processing
from app.worker import app, task_sessionmaker, worker_settings

logger = logging.getLogger("manabi.payments")

_provider: ProviderClient | None = None


def provider() -> ProviderClient:
    """The worker's adapter, built on first use from the worker's settings."""
    global _provider
    if _provider is None:
        _provider = build_provider_client(worker_settings())
    return _provider


def use_provider(client: ProviderClient | None) -> None:
    """Point the tasks at another adapter (tests: the simulator's)."""
    global _provider
    _provider = client


@app.task(
    name="app.payments.tasks.process_payment_notification",
    queue="payments",
    retry=10,
)
async def process_payment_notification(message_id: str) -> str:
    async with task_sessionmaker()() as session:
        now = await read_now(session, worker_settings())
    status = await processing.process_notification(
        task_sessionmaker(), provider(), message_id, now=now
    )
    return status.value


@app.task(name="app.payments.tasks.charge_subscription_now", queue="payments", retry=5)
async def charge_subscription_now(subscription_id: str) -> str:
    async with task_sessionmaker()() as session:
        now = await read_now(session, worker_settings())
    outcome = await billing.run_subscription(
        task_sessionmaker(), provider(), uuid.UUID(subscription_id), now=now, force_retry=True
    )
    return outcome.value


@app.periodic(cron="*/15 * * * *", periodic_id="subscription_billing")
@app.task(
    name="app.payments.tasks.run_subscription_billing",
    queue="payments",
    lock="payments.subscription_billing",
)
async def run_subscription_billing(timestamp: int) -> dict[str, int]:
    async with task_sessionmaker()() as session:
        now = await read_now(session, worker_settings())
    counts = await billing.run_due_subscriptions(task_sessionmaker(), provider(), now=now)
    logger.info("subscription billing run", extra={"outcomes": counts})
    return counts


@app.periodic(cron="*/10 * * * *", periodic_id="recheck_payment_notifications")
@app.task(
    name="app.payments.tasks.recheck_payment_notifications",
    queue="payments",
    lock="payments.recheck_notifications",
)
async def recheck_payment_notifications(timestamp: int) -> int:
    async with task_sessionmaker()() as session:
        now = await read_now(session, worker_settings())
        ids = await processing.unfinished_message_ids(
            session, received_before=now - timedelta(minutes=10)
        )
    done = 0
    for message_id in ids:
        try:
            await processing.process_notification(
                task_sessionmaker(), provider(), message_id, now=now
            )
            done += 1
        except Exception:
            logger.exception(
                "payment notification re-check failed", extra={"message_id": message_id}
            )
    return done
