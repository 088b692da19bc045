"""The provider webhook: verification, inbox, duplicates, order, processing (R-PAY-2).

Every refused message changes nothing (no inbox row, no job); duplicates and out-of-order
deliveries change nothing twice.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select, text

from app.models.payment import NotificationStatus, PaymentNotification, Subscription
from app.payments.provider.sns import NotificationVerifier
from app.payments.subscriptions import lifecycle
from app.payments.webhook.inbox import PROCESS_TASK
from tests.payments.simulator_client import HeldNotification
from tests.payments.subscriptions.conftest import SUBSCRIPTION, WEBHOOK, Paying, jst


async def _inbox_count(paying: Paying) -> int:
    return int(
        await paying.session.scalar(select(func.count()).select_from(PaymentNotification)) or 0
    )


async def _jobs_for(paying: Paying, message_id: str) -> int:
    return int(
        await paying.session.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs "
                "WHERE task_name = :task AND args->>'message_id' = :id"
            ),
            {"task": PROCESS_TASK, "id": message_id},
        )
        or 0
    )


async def _subscribed(
    paying: Paying,
) -> tuple[dict[str, str], Subscription, list[HeldNotification]]:
    user, headers = await paying.member()
    await paying.sign_up(headers, jst(2027, 1, 5))
    subscription = (
        await paying.session.execute(select(Subscription).where(Subscription.user_id == user.id))
    ).scalar_one()
    held = await paying.sim.control.held_notifications()
    if not held:  # a state change of the permission makes the simulator notify
        assert subscription.charge_permission_id is not None
        await paying.sim.control.invalidate_payment_method(subscription.charge_permission_id)
        held = await paying.sim.control.held_notifications()
    assert held
    return headers, subscription, held


def _tampered(item: HeldNotification, **changes: str) -> HeldNotification:
    document = json.loads(item.body)
    document.update(changes)
    return HeldNotification(
        message_id=item.message_id,
        message_type=item.message_type,
        object_type=item.object_type,
        object_id=item.object_id,
        charge_permission_id=item.charge_permission_id,
        body=json.dumps(document).encode(),
        headers=item.headers,
    )


async def test_r_pay_2_verified_notification_is_stored_with_its_job(paying: Paying) -> None:
    _, subscription, held = await _subscribed(paying)
    response = await held[0].deliver(paying.client, WEBHOOK)
    assert response.status_code == 202
    row = await paying.session.get(PaymentNotification, held[0].message_id)
    assert row is not None and row.status is NotificationStatus.received
    assert row.charge_permission_id == subscription.charge_permission_id
    assert row.body["MessageId"] == held[0].message_id
    assert await _jobs_for(paying, held[0].message_id) == 1


async def test_r_pay_2_duplicates_are_stored_and_processed_once(paying: Paying) -> None:
    _, _, held = await _subscribed(paying)
    responses = [await held[0].deliver(paying.client, WEBHOOK) for _ in range(3)]
    assert [r.status_code for r in responses] == [202, 202, 202]
    row = await paying.session.get(PaymentNotification, held[0].message_id, populate_existing=True)
    assert row is not None and row.deliveries == 3
    assert await _inbox_count(paying) == 1
    assert await _jobs_for(paying, held[0].message_id) == 1


async def test_r_pay_2_forged_or_foreign_messages_change_nothing(paying: Paying) -> None:
    _, _, held = await _subscribed(paying)
    item = held[0]
    document = json.loads(item.body)
    signature = document["Signature"]
    forged = signature[:-8] + ("A" if signature[-8] != "A" else "B") + signature[-7:]
    inner = json.loads(document["Message"])
    inner["ObjectId"] = "S01-0000000-0000000"
    cases = {
        "signature_invalid": _tampered(item, Signature=forged),
        "unknown_topic": _tampered(item, TopicArn="arn:aws:sns:ap-northeast-1:111111111111:other"),
        "certificate_url_host": _tampered(
            item,
            SigningCertURL="https://sns.ap-northeast-1.amazonaws.com.evil.example/cert.pem",
        ),
        "certificate_url_not_https": _tampered(
            item, SigningCertURL=document["SigningCertURL"].replace("https://", "http://")
        ),
    }
    altered = _tampered(item, Message=json.dumps(inner))
    for reason, case in cases.items():
        response = await case.deliver(paying.client, WEBHOOK)
        assert response.status_code == 400, (reason, response.text)
        assert response.json()["type"] == "payment-notification-invalid"
        assert response.json()["reason"] == reason
    response = await altered.deliver(paying.client, WEBHOOK)
    assert response.status_code == 400 and response.json()["reason"] == "signature_invalid"
    mismatch = await paying.client.post(
        WEBHOOK,
        content=item.body,
        headers={**item.headers, "x-amz-sns-message-type": "SubscriptionConfirmation"},
    )
    assert mismatch.status_code == 400 and mismatch.json()["reason"] == "type_mismatch"
    too_big = await paying.client.post(
        WEBHOOK,
        content=b"x" * (paying.settings.payment_webhook_max_body_bytes + 1),
        headers=item.headers,
    )
    assert too_big.status_code == 400 and too_big.json()["reason"] == "body_too_large"
    assert await _inbox_count(paying) == 0
    assert await _jobs_for(paying, item.message_id) == 0


async def test_r_pay_2_foreign_merchant_is_refused(paying: Paying) -> None:
    _, _, held = await _subscribed(paying)
    other = NotificationVerifier(
        topic_arns=[paying.sim.settings.payment_sns_topic_arn],
        merchant_id="SOMEONEELSE",
        sns_region=paying.sim.settings.payment_sns_region,
        cert_fetch_base_url=paying.sim.settings.payment_sns_cert_fetch_base_url,
    )
    paying.app.state.notification_verifier = other
    try:
        response = await held[0].deliver(paying.client, WEBHOOK)
    finally:
        await other.aclose()
    assert response.status_code == 400 and response.json()["reason"] == "foreign_merchant"
    assert await _inbox_count(paying) == 0


async def test_r_pay_2_confirmation_messages_are_verified_not_stored(paying: Paying) -> None:
    confirmation = await paying.sim.control.subscription_confirmation()
    response = await confirmation.deliver(paying.client, WEBHOOK)
    assert response.status_code == 202
    assert await _inbox_count(paying) == 0


async def test_r_pay_2_out_of_order_notifications_move_state_forward_only(paying: Paying) -> None:
    headers, subscription, first = await _subscribed(paying)  # NonChargeable notified
    permission_id = subscription.charge_permission_id
    assert permission_id is not None
    broken = await paying.provider.get_charge_permission(permission_id)
    assert broken.state.value == "NonChargeable"
    await paying.sim.control.set_clock(offset_seconds=60)  # the fix comes a minute later
    await paying.sim.control.fix_payment_method(permission_id)
    # Delivered newest first: each processing reads the object's current state (Chargeable).
    held = first + await paying.sim.control.held_notifications()
    assert len(held) == 2
    for item in reversed(held):
        assert (await item.deliver(paying.client, WEBHOOK)).status_code == 202
    statuses = await paying.process_inbox(jst(2027, 1, 6))
    assert statuses == [NotificationStatus.processed, NotificationStatus.processed]
    status = await paying.status(headers)
    assert status["payment_issue"] is None
    # The older NonChargeable state, applied after the newer one, changes nothing.
    locked = await paying.session.get(Subscription, subscription.id, populate_existing=True)
    assert locked is not None
    assert not await lifecycle.apply_permission_state(
        paying.session, locked, broken, now=jst(2027, 1, 6)
    )
    assert locked.payment_issue is None and locked.provider_state == "Chargeable"
    # Processing a message twice (a re-delivered job) changes nothing either.
    again = await paying.process_inbox(jst(2027, 1, 6))
    assert again == []


async def test_r_sub_5_permission_closed_by_the_buyer_is_a_cancellation(paying: Paying) -> None:
    headers, subscription, _ = await _subscribed(paying)
    assert subscription.charge_permission_id is not None
    await paying.sim.control.fix_payment_method(subscription.charge_permission_id)
    await paying.sim.control.held_notifications()
    assert await paying.bill(jst(2027, 1, 12, 0, 5)) == {"charged": 1}
    await paying.sim.control.held_notifications()  # the charge's notifications: not needed here
    await paying.at(jst(2027, 1, 20))
    await paying.sim.control.buyer_close_permission(subscription.charge_permission_id)
    for item in await paying.sim.control.held_notifications():
        assert (await item.deliver(paying.client, WEBHOOK)).status_code == 202
    assert await paying.process_inbox(jst(2027, 1, 20)) == [NotificationStatus.processed]
    status = await paying.status(headers)
    assert status["cancel_at_period_end"] is True
    assert status["access_until_on"] == "2027-02-11"
    assert status["payment_issue"]["reason"] == "permission_closed"
    resume = await paying.client.post(f"{SUBSCRIPTION}/resume", headers=headers)
    assert resume.status_code == 409
    assert await paying.bill(jst(2027, 2, 12, 0, 5)) == {"ended": 1}
