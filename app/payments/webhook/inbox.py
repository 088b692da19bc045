"""Storing a verified notification in the inbox with the job that processes it. R-PAY-2.

The row is keyed by the SNS `MessageId` (the same on every retry): the first delivery inserts
it and defers `process_payment_notification` in the same transaction; a duplicate only counts
one more delivery and defers nothing, so the same message is never processed twice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import literal_column
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.jobs import defer_in_transaction
from app.models.payment import NotificationStatus, PaymentNotification
from app.payments.provider.sns import Envelope, IpnMessage

PROCESS_TASK = "app.payments.tasks.process_payment_notification"


async def store(
    session: AsyncSession, envelope: Envelope, message: IpnMessage, *, now: datetime
) -> bool:
    """Insert the message (True) or count a duplicate delivery (False)."""
    statement: Any = (  # INSERT … ON CONFLICT … RETURNING
        insert(PaymentNotification)
        .values(
            message_id=message.message_id,
            topic_arn=envelope.topic_arn,
            object_type=message.object_type.value,
            object_id=message.object_id,
            charge_permission_id=message.charge_permission_id,
            notification_type=message.notification_type,
            notification_id=message.notification_id,
            body=json.loads(envelope.raw),
            status=NotificationStatus.received,
            received_at=now,
            attempts=0,
            deliveries=1,
        )
        .on_conflict_do_update(
            index_elements=[PaymentNotification.message_id],
            set_={"deliveries": PaymentNotification.deliveries + 1},
        )
        .returning(literal_column("(xmax = 0)").label("inserted"))
    )
    inserted = bool((await session.execute(statement)).scalar_one())
    if inserted:
        await defer_in_transaction(
            session,
            PROCESS_TASK,
            args={"message_id": message.message_id},
            queue="payments",
            lock=f"payment-object-{message.object_id}",
        )
    return inserted
