"""Storing a verified notification in the inbox with the job that processes it. R-PAY-2.

The row is keyed by the SNS `MessageId` (the same on every retry): the first delivery inserts
it and defers `process_payment_notification` in the same transaction; a duplicate only counts
one more delivery and defers nothing, so the same message is never processed twice.

Both happen in ONE statement (a data-modifying CTE, then procrastinate's defer function called
only for a new row), sent as a prepared statement on the request's own connection and
transaction: the webhook is a hot path on renewal days, and building the ORM insert per request
cost more than the round trip (bench/webhook_intake.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.hot_query import driver_connection
from app.models.payment import NotificationStatus
from app.payments.provider.sns import Envelope, IpnMessage

PROCESS_TASK = "app.payments.tasks.process_payment_notification"
QUEUE = "payments"

# The procrastinate function belongs to the pinned version's schema (see app/kit/jobs.py).
STORE_AND_DEFER = """
WITH stored AS (
    INSERT INTO payment_notification (
        message_id, topic_arn, object_type, object_id, charge_permission_id,
        notification_type, notification_id, body, status, received_at, attempts, deliveries
    )
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, 'received',
            $9, 0, 1)
    ON CONFLICT (message_id)
        DO UPDATE SET deliveries = payment_notification.deliveries + 1
    RETURNING (xmax = 0) AS inserted
)
SELECT inserted,
       CASE WHEN inserted THEN procrastinate_defer_jobs_v1(ARRAY[
           ROW('payments', 'app.payments.tasks.process_payment_notification', 0, $10::text, NULL, $11::text::jsonb, NULL)
           ::procrastinate_job_to_defer_v1
       ]) END AS job_ids
FROM stored
"""
assert f"'{PROCESS_TASK}'" in STORE_AND_DEFER and f"'{QUEUE}'" in STORE_AND_DEFER
assert f"'{NotificationStatus.received.value}'" in STORE_AND_DEFER


async def store(
    session: AsyncSession, envelope: Envelope, message: IpnMessage, *, now: datetime
) -> bool:
    """Insert the message with its job (True) or count a duplicate delivery (False)."""
    connection = await driver_connection(session)
    row = await connection.fetchrow(
        STORE_AND_DEFER,
        message.message_id,
        envelope.topic_arn,
        message.object_type.value,
        message.object_id,
        message.charge_permission_id,
        message.notification_type,
        message.notification_id,
        envelope.raw.decode("utf-8"),
        now,
        f"payment-object-{message.object_id}",
        json.dumps({"message_id": message.message_id}),
    )
    assert row is not None
    return bool(row["inserted"])
