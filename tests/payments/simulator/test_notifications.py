"""R-PAY-3: the simulator's notifications reach a webhook over HTTP, signed, and can be
duplicated, delayed, held, released in order or reversed, and retried on non-2xx answers."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI, Request, Response

from app.payments.provider.client import ProviderClient
from app.payments.provider.sns import NotificationVerifier, parse_envelope
from tests.payments.live_server import LiveServer
from tests.payments.simulator_client import SimulatorHandle


@dataclass
class Receiver:
    """A tiny webhook on its own loopback port: records bodies, answers scripted statuses."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message_ids(self) -> list[str]:
        with self.lock:
            return [json.loads(body)["MessageId"] for body, _headers in self.received]

    def object_ids(self) -> list[str]:
        with self.lock:
            return [
                json.loads(json.loads(body)["Message"])["ObjectId"]
                for body, _headers in self.received
            ]


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[LiveServer, list[Receiver]]]:
    current: list[Receiver] = []
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        receiver = current[-1]
        body = await request.body()
        with receiver.lock:
            receiver.received.append((body, dict(request.headers)))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
        return Response(status_code=status)

    with LiveServer(app) as server:
        yield server, current


@pytest.fixture
async def receiver(
    sim: SimulatorHandle, receiver_server: tuple[LiveServer, list[Receiver]]
) -> AsyncIterator[Receiver]:
    server, current = receiver_server
    receiver = Receiver(url=f"{server.base_url}/hook")
    current.append(receiver)
    await sim.control.set_notification_mode(webhook_url=receiver.url, backoff_seconds=0.01)
    yield receiver
    await sim.control.wait_idle()


@pytest.fixture
async def provider(sim: SimulatorHandle) -> AsyncIterator[ProviderClient]:
    async with sim.provider() as client:
        yield client


async def charge_once(sim: SimulatorHandle, provider: ProviderClient, permission: str) -> str:
    charge = await provider.create_charge(
        charge_permission_id=permission,
        amount_jpy=980,
        merchant_reference_id="M-NOTE",
        idempotency_key=f"note-{uuid.uuid4().hex[:20]}",
    )
    return charge.charge_id


async def new_permission(sim: SimulatorHandle, provider: ProviderClient) -> str:
    session = await sim.completed_checkout(provider)
    assert session.charge_permission_id is not None
    return session.charge_permission_id


async def test_r_pay_3_push_reaches_the_webhook_signed_and_verifiable(
    sim: SimulatorHandle, provider: ProviderClient, receiver: Receiver
) -> None:
    await sim.control.set_notification_mode("push")
    permission = await new_permission(sim, provider)
    charge_id = await charge_once(sim, provider, permission)
    assert await sim.control.wait_idle()
    assert receiver.object_ids() == [charge_id]
    body, headers = receiver.received[0]
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["content-type"].startswith("text/plain")
    verifier = NotificationVerifier.from_settings(sim.settings)
    try:
        message = await verifier.verify(
            parse_envelope(body, header_type=headers["x-amz-sns-message-type"], max_bytes=65_536)
        )
    finally:
        await verifier.aclose()
    assert message is not None
    assert message.object_id == charge_id
    assert message.charge_permission_id == permission
    records = await sim.control.notifications()
    assert records[-1]["status"] == "delivered"
    assert [attempt["statusCode"] for attempt in records[-1]["deliveries"]] == [200]


async def test_r_pay_3_non_2xx_answers_are_retried_and_recorded(
    sim: SimulatorHandle, provider: ProviderClient, receiver: Receiver
) -> None:
    await sim.control.set_notification_mode("push", max_attempts=3)
    receiver.statuses.extend([500, 503])
    permission = await new_permission(sim, provider)
    await charge_once(sim, provider, permission)
    assert await sim.control.wait_idle()
    assert len(set(receiver.message_ids())) == 1
    assert len(receiver.message_ids()) == 3
    record = (await sim.control.notifications())[-1]
    assert [attempt["statusCode"] for attempt in record["deliveries"]] == [500, 503, 200]
    assert record["status"] == "delivered"


async def test_r_pay_3_retries_are_bounded(
    sim: SimulatorHandle, provider: ProviderClient, receiver: Receiver
) -> None:
    await sim.control.set_notification_mode("push", max_attempts=2)
    receiver.statuses.extend([500, 500, 500])
    permission = await new_permission(sim, provider)
    await charge_once(sim, provider, permission)
    assert await sim.control.wait_idle()
    record = (await sim.control.notifications())[-1]
    assert [attempt["statusCode"] for attempt in record["deliveries"]] == [500, 500]
    assert record["status"] == "failed"


async def test_r_pay_3_duplicates_carry_the_same_message_id(
    sim: SimulatorHandle, provider: ProviderClient, receiver: Receiver
) -> None:
    await sim.control.set_notification_mode("push", duplicate=3)
    permission = await new_permission(sim, provider)
    await charge_once(sim, provider, permission)
    assert await sim.control.wait_idle()
    ids = receiver.message_ids()
    assert len(ids) == 3
    assert len(set(ids)) == 1


async def test_r_pay_3_delay_holds_delivery_back(
    sim: SimulatorHandle, provider: ProviderClient, receiver: Receiver
) -> None:
    await sim.control.set_notification_mode("push", delay_seconds=0.5)
    permission = await new_permission(sim, provider)
    await charge_once(sim, provider, permission)
    assert receiver.received == []
    assert await sim.control.wait_idle()
    assert len(receiver.received) == 1


async def test_r_pay_3_held_notifications_are_released_in_order_or_reversed(
    sim: SimulatorHandle, provider: ProviderClient, receiver: Receiver
) -> None:
    await sim.control.set_notification_mode("hold")
    permission = await new_permission(sim, provider)
    first = [await charge_once(sim, provider, permission) for _ in range(3)]
    assert receiver.received == []
    released = await sim.control.release_held("reversed")
    assert [record["objectId"] for record in released] == list(reversed(first))
    assert receiver.object_ids() == list(reversed(first))

    second = [await charge_once(sim, provider, permission) for _ in range(2)]
    await sim.control.release_held("in_order")
    assert receiver.object_ids()[3:] == second
    assert await sim.control.release_held() == []


async def test_r_pay_3_held_notifications_can_be_taken_raw(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    permission = await new_permission(sim, provider)
    charge_id = await charge_once(sim, provider, permission)
    peeked = await sim.control.held_notifications(take=False)
    assert [note.object_id for note in peeked] == [charge_id]
    taken = await sim.control.held_notifications()
    assert taken == peeked
    assert await sim.control.held_notifications() == []
    document = json.loads(taken[0].body)
    assert document["Type"] == "Notification"
    assert document["TopicArn"] == sim.settings.payment_sns_topic_arn
    assert document["SigningCertURL"].startswith("https://sns.ap-northeast-1.amazonaws.com/")
    assert document["UnsubscribeURL"].startswith("https://sns.ap-northeast-1.amazonaws.com/")
    inner = json.loads(document["Message"])
    assert inner["MerchantID"] == sim.settings.payment_merchant_id
    assert inner["NotificationVersion"] == "V2"
    assert inner["NotificationType"] == "STATE_CHANGE"


async def test_r_pay_3_one_notification_per_state_change(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    await sim.control.set_refund_settlement("manual")
    permission = await new_permission(sim, provider)
    assert await sim.control.held_notifications() == []  # creation is not a change
    await sim.control.queue_charge_outcomes(permission, ["HardDeclined"])
    declined = await charge_once(sim, provider, permission)
    await sim.control.fix_payment_method(permission)
    captured = await charge_once(sim, provider, permission)
    refund = await provider.create_refund(
        charge_id=captured, amount_jpy=980, idempotency_key=f"rf-{uuid.uuid4().hex[:20]}"
    )
    await sim.control.settle_refund(refund.refund_id)
    await sim.control.buyer_close_permission(permission)
    held = await sim.control.held_notifications()
    assert [(note.object_type, note.object_id) for note in held] == [
        ("CHARGE", declined),
        ("CHARGE_PERMISSION", permission),  # NonChargeable
        ("CHARGE_PERMISSION", permission),  # Chargeable again
        ("CHARGE", captured),
        ("REFUND", refund.refund_id),  # Refunded (RefundInitiated is its creation)
        ("CHARGE_PERMISSION", permission),  # Closed by the buyer
    ]
    assert all(note.charge_permission_id == permission for note in held)


async def test_r_pay_3_simulator_clock_follows_the_test_clock(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    frozen = datetime(2027, 1, 31, 15, 0, tzinfo=UTC)
    assert await sim.control.set_clock(frozen_at=frozen) == frozen
    permission = await new_permission(sim, provider)
    charge = await provider.get_charge(await charge_once(sim, provider, permission))
    assert charge.creation_timestamp == frozen
    assert charge.status_details.last_updated_timestamp == frozen
    note = (await sim.control.held_notifications())[-1]
    assert json.loads(note.body)["Timestamp"] == "2027-01-31T15:00:00.000Z"
    shifted = await sim.control.set_clock(offset_seconds=86_400)
    assert timedelta(hours=23) < shifted - datetime.now(UTC) < timedelta(hours=25)
