"""Staff refund execution (R-REF-9…11, R-ID-12) over the real simulator: recomputed on the day,
cash back through Amazon Pay with a stored key, points back as points, access ended, the order
updated, audited, emailed; refusals change nothing; exactly once under retries."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.entitlements.service import may_open_course
from app.models import (
    AuditEvent,
    NotificationStatus,
    PaymentNotification,
    ProductKind,
    PurchaseRefund,
    Role,
)
from app.payments.provider.sns import NotificationVerifier
from app.payments.refunds.service import refund_key
from app.payments.webhook import processing
from tests.payments.purchases.shop import PURCHASES, Shop, jst


def refund_path(purchase: dict[str, Any]) -> str:
    return f"/api/v1/admin/purchases/{purchase['id']}/refund"


async def refund(shop: Shop, staff: dict[str, str], purchase: dict[str, Any], **body: Any) -> Any:
    return await shop.client.post(
        refund_path(purchase), json={"reason": "お客様都合", **body}, headers=staff
    )


async def test_r_ref_11_refund_recomputed_on_the_day_and_sent_to_amazon_pay(shop: Shop) -> None:
    """Quoted on day 7 as a full refund; executed on day 8 the period fee applies:
    12000 − 12000·9/90 → ¥10,800 back to Amazon Pay. Access ends, the order shows it, the refund
    is audited and the member emailed; the provider's RefundInitiated → Refunded follows."""
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    staff_user, staff = await shop.person(Role.staff)
    course = await shop.course(lessons=10)
    product = await shop.product(ProductKind.single_course, price=12000, days=90, course=course)
    purchase = await shop.buy(headers, product)
    await shop.at(jst(2026, 12, 8))
    quoted = (
        await shop.client.get(f"{PURCHASES}/{purchase['id']}/refund-quote", headers=headers)
    ).json()
    assert quoted["refund_total_jpy"] == 12000

    await shop.at(jst(2026, 12, 9, 11, 0))
    response = await refund(shop, staff, purchase)

    assert response.status_code == 201, response.text
    done = response.json()
    assert response.headers["Location"] == refund_path(purchase)
    assert (done["rule"], done["cash_jpy"], done["points"]) == ("R-REF-2", 10800, 0)
    assert (done["status"], done["order_status"]) == ("initiated", "partially_refunded")
    assert done["quote"]["period_fee_jpy"] == 1200 and done["requested_on"] == "2026-12-09"
    key_row = (await shop.session.scalars(select(PurchaseRefund))).one()
    assert key_row.idempotency_key == refund_key(key_row.purchase_id)
    at_provider = await shop.sim.control.get_object(done["provider_refund_id"])
    assert at_provider["refundAmount"]["amount"] == "10800"

    mine = (await shop.client.get(f"{PURCHASES}/{purchase['id']}", headers=headers)).json()
    assert (mine["status"], mine["has_access"], mine["refunded_cash_jpy"]) == (
        "refunded",
        False,
        10800,
    )
    assert not await may_open_course(
        shop.session, user_id=member.id, role=member.role, course_id=course.id, now=shop.now
    )
    event = (
        await shop.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "purchase.refunded")
        )
    ).one()
    assert (event.actor_user_id, event.target_id) == (staff_user.id, purchase["id"])
    assert event.data["cash_jpy"] == 10800 and event.data["rule"] == "R-REF-2"
    assert "purchase_refunded" in await shop.emails(member)

    # The provider settles; its notification's job moves the refund forward (apply_refund_state).
    await shop.sim.control.settle_refund(done["provider_refund_id"])
    verifier = NotificationVerifier.from_settings(shop.sim.settings)
    shop.app.state.notification_verifier = verifier
    try:
        for held in await shop.sim.control.held_notifications():
            if held.object_type == "REFUND":
                delivered = await held.deliver(shop.client, "/api/v1/webhooks/amazon-pay")
                assert delivered.status_code in (200, 202)
        ids = (
            await shop.session.scalars(
                select(PaymentNotification.message_id).where(
                    PaymentNotification.status == NotificationStatus.received,
                    PaymentNotification.object_type == "REFUND",
                )
            )
        ).all()
        for message_id in ids:
            status = await processing.process_notification(
                shop.app.state.sessionmaker, shop.provider, message_id, now=shop.now
            )
            assert status is NotificationStatus.processed
    finally:
        shop.app.state.notification_verifier = None
        await verifier.aclose()
    settled = (await shop.client.get(refund_path(purchase), headers=staff)).json()
    assert (settled["status"], settled["provider_state"]) == ("refunded", "Refunded")
    member_view = await shop.client.get(f"{PURCHASES}/{purchase['id']}/refund", headers=headers)
    assert member_view.status_code == 200 and member_view.json()["status"] == "refunded"


async def test_a_purchase_is_refunded_once(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    product = await shop.product(
        ProductKind.single_course, price=3000, days=30, course=await shop.course(lessons=2)
    )
    purchase = await shop.buy(headers, product)
    keyed = {**staff, "Idempotency-Key": "refund-1"}
    body = {"reason": "お客様都合"}

    first = await shop.client.post(refund_path(purchase), json=body, headers=keyed)
    replay = await shop.client.post(refund_path(purchase), json=body, headers=keyed)
    again = await refund(shop, staff, purchase)

    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert again.status_code == 409 and again.json()["type"] == "purchase-already-refunded"
    quote_after = await shop.client.get(
        f"{PURCHASES}/{purchase['id']}/refund-quote", headers=headers
    )
    assert quote_after.status_code == 409
    assert await shop.session.scalar(select(func.count()).select_from(PurchaseRefund)) == 1


async def test_r_ref_7_refused_refund_changes_nothing(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    course = await shop.course(lessons=2)
    product = await shop.product(ProductKind.single_course, price=3000, days=10, course=course)
    purchase = await shop.buy(headers, product)
    await shop.at(jst(2026, 12, 11))

    response = await refund(shop, staff, purchase)

    assert response.status_code == 409
    assert response.json()["type"] == "refund-not-allowed"
    assert (response.json()["rule"], response.json()["refusal_reason"]) == (
        "R-REF-7",
        "period_ended",
    )
    assert await shop.session.scalar(select(func.count()).select_from(PurchaseRefund)) == 0
    mine = (await shop.client.get(f"{PURCHASES}/{purchase['id']}", headers=headers)).json()
    assert (mine["status"], mine["order_status"]) == ("active", "paid")
    assert "purchase_refunded" not in await shop.emails(member)


async def test_r_ref_10_points_only_refund_comes_back_as_one_grant_with_the_longest_expiry(
    shop: Shop,
) -> None:
    """Paid with 1,000 points expiring Dec 31 and 2,000 expiring Mar 31. Day 8 (E = 9, T = 30):
    3000 − floor(3000·9/30) = 900 → 2,100 points back, one grant usable through Mar 31; no
    money moves, no provider call."""
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    await shop.give_points(member, 1000, date(2026, 12, 31))
    await shop.give_points(member, 2000, date(2027, 3, 31))
    product = await shop.product(
        ProductKind.single_course, price=3000, days=30, course=await shop.course(lessons=2)
    )
    purchase = await shop.buy(headers, product, points=3000)
    await shop.at(jst(2026, 12, 9))

    done = (await refund(shop, staff, purchase)).json()

    assert (done["cash_jpy"], done["points"], done["points_expires_on"]) == (0, 2100, "2027-03-31")
    assert (done["status"], done["provider_refund_id"], done["order_status"]) == (
        "refunded",
        None,
        "partially_refunded",
    )
    points = await shop.points(headers)
    assert points["usable_points"] == 2100
    assert [(g["remaining"], g["expires_on"], g["source"]) for g in points["grants"]] == [
        (2100, "2027-03-31", "refund")
    ]


async def test_r_ref_10_expired_points_come_back_usable_through_the_return_day(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    await shop.give_points(member, 3000, date(2026, 12, 5))
    product = await shop.product(
        ProductKind.single_course, price=3000, days=30, course=await shop.course(lessons=2)
    )
    purchase = await shop.buy(headers, product, points=3000)
    await shop.at(jst(2026, 12, 8, 9, 0))  # day 7, nothing watched: full refund

    done = (await refund(shop, staff, purchase)).json()

    assert (done["points"], done["points_expires_on"], done["order_status"]) == (
        3000,
        "2026-12-08",
        "refunded",
    )
    await shop.at(jst(2026, 12, 8, 23, 59))
    assert (await shop.points(headers))["usable_points"] == 3000
    await shop.at(jst(2026, 12, 9, 0, 0))
    assert (await shop.points(headers))["usable_points"] == 0


async def test_r_ref_10_mixed_refund_splits_cash_and_points(shop: Shop) -> None:
    """¥7,000 + 3,000 points, day 8 (E = 9, T = 90): fee 1000 from the cash → ¥6,000 to Amazon
    Pay and 3,000 points back."""
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    await shop.give_points(member, 3000, date(2027, 6, 30))
    product = await shop.product(
        ProductKind.single_course, price=10000, days=90, course=await shop.course(lessons=10)
    )
    purchase = await shop.buy(headers, product, points=3000)
    await shop.at(jst(2026, 12, 9))

    done = (await refund(shop, staff, purchase)).json()

    assert (done["cash_jpy"], done["points"], done["points_expires_on"]) == (
        6000,
        3000,
        "2027-06-30",
    )
    assert (await shop.sim.control.get_object(done["provider_refund_id"]))["refundAmount"][
        "amount"
    ] == "6000"


async def test_r_ref_9_retry_after_a_provider_outage_reuses_the_refund_key(shop: Shop) -> None:
    """The provider made the refund but every answer was lost: our request fails (503) and rolls
    back; the retry derives the same key and the provider answers with the same refund."""
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    product = await shop.product(
        ProductKind.single_course, price=3000, days=30, course=await shop.course(lessons=2)
    )
    purchase = await shop.buy(headers, product)
    await shop.sim.control.inject_failure(
        503, count=4, path_prefix="/v2/refunds", method="POST", when="after"
    )

    failed = await refund(shop, staff, purchase)

    assert failed.status_code == 503 and failed.json()["type"] == "payment-provider-unavailable"
    assert await shop.session.scalar(select(func.count()).select_from(PurchaseRefund)) == 0
    mine = (await shop.client.get(f"{PURCHASES}/{purchase['id']}", headers=headers)).json()
    assert mine["status"] == "active"

    retried = await refund(shop, staff, purchase)

    assert retried.status_code == 201, retried.text
    refund_id = retried.json()["provider_refund_id"]
    await shop.sim.control.settle_refund(refund_id)
    charge_id = (await shop.provider.get_refund(refund_id)).charge_id
    charge = await shop.sim.control.get_object(charge_id)
    assert charge["refundedAmount"]["amount"] == "3000"  # refunded once, not twice


async def test_refunding_an_extension_gives_back_its_unused_days(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    course = await shop.course(lessons=3)
    base = await shop.product(ProductKind.single_course, price=6000, days=30, course=course)
    extension = await shop.product(ProductKind.extension, price=5000, days=60, extends=base)
    target = await shop.buy(headers, base)
    await shop.at(jst(2026, 12, 20))
    bought = await shop.buy(headers, extension)

    done = await refund(shop, staff, bought)

    assert done.status_code == 201, done.text
    assert (done.json()["rule"], done.json()["cash_jpy"]) == ("R-REF-5", 5000)
    after = (await shop.client.get(f"{PURCHASES}/{target['id']}", headers=headers)).json()
    assert (after["access_ends_on"], after["extended_days"], after["status"]) == (
        "2026-12-30",
        0,
        "active",
    )


async def test_r_ref_8_goods_refund_needs_the_return_and_is_due_in_5_business_days(
    shop: Shop,
) -> None:
    """Received Wed 2027-04-28: change of mind on day 7 (May 5) is allowed, on day 8 (May 6) it
    is not. Shipped goods must come back first. Returned Sat May 1, in Golden Week: the 5
    business days skip May 3–5 (holidays) → May 6, 7, 10, 11, 12: due May 12."""
    await shop.at(jst(2027, 4, 26))
    member, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    product = await shop.product(ProductKind.goods, price=4400)
    purchase = await shop.buy(headers, product)
    delivery = f"/api/v1/admin/purchases/{purchase['id']}/delivery"
    await shop.at(jst(2027, 4, 28, 18, 0))
    recorded = await shop.client.patch(
        delivery, json={"shipped_on": "2027-04-27", "received_on": "2027-04-28"}, headers=staff
    )
    assert recorded.status_code == 200, recorded.text

    await shop.at(jst(2027, 5, 5, 23, 59))  # day 7 after receipt: the member's quote
    quoted = await shop.client.get(f"{PURCHASES}/{purchase['id']}/refund-quote", headers=headers)
    assert quoted.status_code == 200, quoted.text
    assert (quoted.json()["rule"], quoted.json()["refundable"]) == ("R-REF-8", True)
    assert quoted.json()["goods"]["deadline_on"] == "2027-05-05"
    assert quoted.json()["goods"]["requires_return"] is True
    late_reason = await shop.client.get(
        f"{PURCHASES}/{purchase['id']}/refund-quote",
        params={"goods_reason": "not_as_described"},
        headers=headers,
    )
    assert late_reason.json()["goods"]["deadline_on"] == "2027-07-28"  # receipt + 3 months

    await shop.at(jst(2027, 5, 6))  # day 8 after receipt
    late = await refund(shop, staff, purchase, goods={"reason": "change_of_mind"})
    assert late.status_code == 409 and late.json()["refusal_reason"] == "deadline_passed"

    not_back = await refund(shop, staff, purchase, requested_on="2027-05-05")
    assert not_back.status_code == 409 and not_back.json()["type"] == "goods-not-returned"

    await shop.client.patch(delivery, json={"returned_on": "2027-05-01"}, headers=staff)
    done = await refund(shop, staff, purchase, requested_on="2027-05-05")
    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["rule"], body["cash_jpy"]) == ("R-REF-8", 4400)
    assert body["due_by_on"] == "2027-05-12"
    assert body["quote"]["goods"]["deadline_on"] == "2027-05-05"
    assert "purchase_refunded" in await shop.emails(member)


async def test_r_ref_8_damaged_goods_are_refused(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    product = await shop.product(ProductKind.goods, price=4400, is_copyable=True)
    purchase = await shop.buy(headers, product)
    await shop.at(jst(2026, 12, 4))
    await shop.client.patch(
        f"/api/v1/admin/purchases/{purchase['id']}/delivery",
        json={"shipped_on": "2026-12-02", "received_on": "2026-12-03", "returned_on": "2026-12-04"},
        headers=staff,
    )
    for conditions, reason in (
        ({"damaged_by_member": True}, "damaged_by_member"),
        ({"seal_broken": True}, "seal_broken"),
        ({"used": True}, "used"),
    ):
        refused = await refund(shop, staff, purchase, goods=conditions)
        assert refused.status_code == 409 and refused.json()["refusal_reason"] == reason
    not_as_described = await refund(
        shop, staff, purchase, goods={"reason": "not_as_described", "seal_broken": True}
    )
    assert not_as_described.status_code == 201, not_as_described.text
