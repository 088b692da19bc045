"""The simulator's IPN notifications, sent the way Amazon SNS sends them (R-PAY-3).

One notification per state change (`store.StateChange`): an SNS envelope (Type Notification,
MessageId, TopicArn, Message = the IPN JSON as a string, Timestamp, SignatureVersion, Signature,
SigningCertURL, UnsubscribeURL) signed by `certificates.SnsSigner`, POSTed as `text/plain` with
`x-amz-sns-message-type`.

Delivery modes (set through the control API):
- `push`: after `delay_seconds`, POST to the webhook URL `duplicate` times (the same MessageId
  each time, as an SNS redelivery would), retrying non-2xx answers and transport errors with
  exponential backoff up to `max_attempts` per copy;
- `hold`: keep them; `release(order)` delivers the held ones in order or reversed, and
  `take_held()` hands the raw bodies to a test that delivers them itself.
Every attempt is recorded with its status code (or error) for `GET /_sim/notifications`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from app.payments.provider.sns import NOTIFICATION, SUBSCRIPTION_CONFIRMATION, signing_string
from app.payments.simulator.certificates import SnsSigner
from app.payments.simulator.config import SimulatorClock, SimulatorConfig
from app.payments.simulator.store import StateChange

MAX_RECORDS = 10_000


@dataclass
class DeliveryAttempt:
    copy: int
    attempt: int
    status_code: int | None
    error: str | None
    at: datetime

    def summary(self) -> dict[str, Any]:
        return {
            "copy": self.copy,
            "attempt": self.attempt,
            "statusCode": self.status_code,
            "error": self.error,
            "at": self.at.isoformat(),
        }


@dataclass
class NotificationRecord:
    sequence: int
    message_type: str
    message_id: str
    object_type: str | None
    object_id: str | None
    charge_permission_id: str | None
    body: str
    headers: dict[str, str]
    status: str = "pending"  # held | pending | delivered | failed | taken
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "type": self.message_type,
            "messageId": self.message_id,
            "objectType": self.object_type,
            "objectId": self.object_id,
            "chargePermissionId": self.charge_permission_id,
            "status": self.status,
            "deliveries": [attempt.summary() for attempt in self.attempts],
        }

    def raw(self) -> dict[str, Any]:
        return {**self.summary(), "body": self.body, "headers": self.headers}


class Notifier:
    def __init__(self, config: SimulatorConfig, signer: SnsSigner, clock: SimulatorClock) -> None:
        self.config = config
        self.signer = signer
        self.clock = clock
        self.records: list[NotificationRecord] = []
        self._sequence = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self.reset_modes()

    def reset_modes(self) -> None:
        self.mode = self.config.notification_mode
        self.webhook_url = self.config.webhook_url
        self.duplicate = 1
        self.delay_seconds = 0.0
        self.signature_version = self.config.signature_version
        self.max_attempts = self.config.delivery_max_attempts
        self.backoff_seconds = self.config.delivery_backoff_seconds

    def clear(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self.records.clear()

    # --- Building ------------------------------------------------------------------------------

    def _timestamp(self) -> str:
        return (
            self.clock.now()
            .astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )

    def _envelope(self, message_type: str, message: str, extra: dict[str, str]) -> tuple[str, str]:
        message_id = str(uuid.uuid4())
        topic = self.config.topic_arn
        region = self.config.sns_region
        fields: dict[str, str] = {
            "Type": message_type,
            "MessageId": message_id,
            "TopicArn": topic,
            "Message": message,
            "Timestamp": self._timestamp(),
            "SignatureVersion": self.signature_version,
            "SigningCertURL": self.signer.signing_cert_url,
            **extra,
        }
        fields["Signature"] = self.signer.sign(
            signing_string(fields), signature_version=self.signature_version
        )
        if message_type == NOTIFICATION:
            fields["UnsubscribeURL"] = (
                f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe"
                f"&SubscriptionArn={topic}:{uuid.uuid4()}"
            )
        return message_id, json.dumps(fields, ensure_ascii=False, indent=2)

    def _record(
        self, message_type: str, message_id: str, body: str, change: StateChange | None
    ) -> NotificationRecord:
        self._sequence += 1
        record = NotificationRecord(
            sequence=self._sequence,
            message_type=message_type,
            message_id=message_id,
            object_type=change.object_type if change else None,
            object_id=change.object_id if change else None,
            charge_permission_id=change.charge_permission_id if change else None,
            body=body,
            headers={
                "content-type": "text/plain; charset=UTF-8",
                "x-amz-sns-message-type": message_type,
                "x-amz-sns-message-id": message_id,
                "x-amz-sns-topic-arn": self.config.topic_arn,
                "user-agent": "Amazon Simple Notification Service Agent",
            },
        )
        self.records.append(record)
        if len(self.records) > MAX_RECORDS:
            del self.records[: len(self.records) - MAX_RECORDS]
        self._dispatch(record)
        return record

    def publish(self, change: StateChange) -> NotificationRecord:
        """The IPN for one state change (called by the store, synchronously)."""
        message = json.dumps(
            {
                "ReleaseEnvironment": self.config.release_environment,
                "MerchantID": self.config.merchant_id,
                "ObjectType": change.object_type,
                "ObjectId": change.object_id,
                "ChargePermissionId": change.charge_permission_id,
                "NotificationType": "STATE_CHANGE",
                "NotificationId": str(uuid.uuid4()),
                "NotificationVersion": "V2",
            }
        )
        message_id, body = self._envelope(NOTIFICATION, message, {})
        return self._record(NOTIFICATION, message_id, body, change)

    def subscription_confirmation(self) -> NotificationRecord:
        """A SubscriptionConfirmation (its SubscribeURL points nowhere: never fetch it)."""
        topic = self.config.topic_arn
        token = uuid.uuid4().hex * 2
        extra = {
            "Token": token,
            "SubscribeURL": (
                f"https://sns.{self.config.sns_region}.amazonaws.com/?Action=ConfirmSubscription"
                f"&TopicArn={topic}&Token={token}"
            ),
        }
        message = f"You have chosen to subscribe to the topic {topic}."
        message_id, body = self._envelope(SUBSCRIPTION_CONFIRMATION, message, extra)
        return self._record(SUBSCRIPTION_CONFIRMATION, message_id, body, None)

    # --- Delivery ------------------------------------------------------------------------------

    def _dispatch(self, record: NotificationRecord) -> None:
        if self.mode == "hold":
            record.status = "held"
            return
        task = asyncio.get_running_loop().create_task(self._push(record, self.delay_seconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, record: NotificationRecord, delay_seconds: float) -> None:
        if delay_seconds > 0:
            await asyncio.sleep(delay_seconds)
        await self.deliver(record)

    async def deliver(self, record: NotificationRecord) -> None:
        """Send `duplicate` copies, each retried with backoff; record every attempt."""
        record.status = "pending"
        delivered = False
        for copy in range(1, self.duplicate + 1):
            delivered = await self._deliver_copy(record, copy) or delivered
        record.status = "delivered" if delivered else "failed"

    async def _deliver_copy(self, record: NotificationRecord, copy: int) -> bool:
        if not self.webhook_url:
            record.attempts.append(
                DeliveryAttempt(copy, 1, None, "no webhook URL configured", datetime.now(UTC))
            )
            return False
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.config.delivery_timeout_seconds)
        for attempt in range(1, self.max_attempts + 1):
            status: int | None = None
            error: str | None = None
            try:
                response = await self._http.post(
                    self.webhook_url, content=record.body.encode("utf-8"), headers=record.headers
                )
                status = response.status_code
            except httpx.HTTPError as failure:
                error = f"{type(failure).__name__}: {failure}"
            record.attempts.append(DeliveryAttempt(copy, attempt, status, error, datetime.now(UTC)))
            if status is not None and 200 <= status < 300:
                return True
            if attempt < self.max_attempts:
                await asyncio.sleep(self.backoff_seconds * (2 ** (attempt - 1)))
        return False

    def held(self) -> list[NotificationRecord]:
        return [record for record in self.records if record.status == "held"]

    async def release(self, *, reverse: bool = False) -> list[NotificationRecord]:
        """Deliver the held notifications one after another (oldest first, or newest first)."""
        records = self.held()
        if reverse:
            records.reverse()
        for record in records:
            record.status = "pending"
        for record in records:
            await self.deliver(record)
        return records

    def take_held(self, *, remove: bool = True) -> list[NotificationRecord]:
        records = self.held()
        if remove:
            for record in records:
                record.status = "taken"
        return records

    @property
    def in_flight(self) -> set[asyncio.Task[None]]:
        return set(self._tasks)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._http is not None:
            await self._http.aclose()
