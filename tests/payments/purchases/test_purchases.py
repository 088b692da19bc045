"""Buying products through a one-time Amazon Pay checkout (SPEC §8, R-SUB-9, R-REF-10), over the
real simulator: orders with order numbers, access windows in JST, grants, points, declines,
abandonment, extensions, object-level authorization."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.entitlements.service import may_open_course
from app.kit.calendar import jst_start_of_day
from app.models import (
    EntitlementGrant,
    GrantSource,
    PaymentOrder,
    ProductKind,
    Purchase,
    Role,
)
from app.payments.provider.client import ProviderClient
from tests.payments.purchases.shop import PURCHASES, Shop, jst


async def test_r_sub_9_single_course_bought_through_amazon_pay(shop: Shop) -> None:
    """Pending with a redirect URL, approved by the buyer, completed: paid order with an order
    number, access from the JST payment day through start + T − 1, a course grant, an email."""
    await shop.at(jst(2026, 12, 1, 0, 30))  # 2026-11-30 15:30 UTC: already Dec 1 in Japan
    member, headers = await shop.person()
    course = await shop.course(lessons=10)
    product = await shop.product(ProductKind.single_course, price=12000, days=90, course=course)

    started = await shop.start(headers, product)
    assert started.status_code == 201, started.text
    pending = started.json()
    assert started.headers["Location"] == f"{PURCHASES}/{pending['id']}"
    assert (pending["status"], pending["order_status"]) == ("pending", "pending")
    assert pending["redirect_url"] and pending["order_number"].startswith("20261201-")
    assert (pending["cash_jpy"], pending["points_used"], pending["has_access"]) == (12000, 0, False)
    checkout_id = pending["redirect_url"].rsplit("/", 1)[-1]
    at_provider = await shop.sim.control.get_object(checkout_id)
    assert at_provider["chargePermissionType"] == "OneTime"
    assert at_provider["paymentDetails"]["chargeAmount"]["amount"] == "12000"
    assert at_provider["merchantMetadata"]["merchantReferenceId"] == pending["order_number"]

    await shop.sim.control.approve_checkout(checkout_id)
    done = await shop.client.post(f"{PURCHASES}/{pending['id']}/complete", headers=headers)
    assert done.status_code == 200, done.text
    paid = done.json()
    assert (paid["status"], paid["order_status"]) == ("active", "paid")
    assert paid["paid_on"] == "2026-12-01"
    # T = 90 days counting the first: Dec 1 … Feb 28.
    assert (paid["access_starts_on"], paid["access_ends_on"]) == ("2026-12-01", "2027-02-28")
    assert paid["has_access"] is True and paid["redirect_url"] is None

    grant = (
        await shop.session.scalars(
            select(EntitlementGrant).where(
                EntitlementGrant.source == GrantSource.purchase,
                EntitlementGrant.source_ref == paid["id"],
            )
        )
    ).one()
    assert grant.course_id == course.id
    assert grant.valid_until == jst_start_of_day(date(2027, 3, 1))
    last_minute = jst(2027, 2, 28, 23, 59)
    assert await may_open_course(
        shop.session, user_id=member.id, role=member.role, course_id=course.id, now=last_minute
    )
    assert not await may_open_course(
        shop.session,
        user_id=member.id,
        role=member.role,
        course_id=course.id,
        now=last_minute + timedelta(minutes=1),
    )
    assert "purchase_completed" in await shop.emails(member)

    again = await shop.client.post(f"{PURCHASES}/{pending['id']}/complete", headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "active"


async def test_r_ref_10_mixed_payment_spends_points_earliest_expiry_first(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    late = await shop.give_points(member, 1000, date(2027, 6, 30))
    early = await shop.give_points(member, 500, date(2026, 12, 31))
    course = await shop.course(lessons=3)
    product = await shop.product(ProductKind.single_course, price=5000, days=30, course=course)

    paid = await shop.buy(headers, product, points=800)

    assert (paid["status"], paid["cash_jpy"], paid["points_used"]) == ("active", 4200, 800)
    points = await shop.points(headers)
    assert points["usable_points"] == 700
    assert [(g["id"], g["remaining"]) for g in points["grants"]] == [(str(late.id), 700)]
    ledger = (await shop.client.get("/api/v1/me/points/ledger", headers=headers)).json()
    spent = [(e["grant_id"], e["points"]) for e in ledger["items"] if e["kind"] == "spent"]
    assert sorted(spent) == sorted([(str(early.id), -500), (str(late.id), -300)])


async def test_paid_only_by_points_needs_no_provider(shop: Shop) -> None:
    """Points pay it all: active at once, no checkout; a dead provider proves no call is made."""
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    await shop.give_points(member, 3000, date(2027, 3, 31))
    course = await shop.course(lessons=3)
    product = await shop.product(ProductKind.single_course, price=3000, days=30, course=course)
    shop.app.state.payment_provider = ProviderClient(
        base_url="http://127.0.0.1:9/v2",
        public_key_id="none",
        private_key_pem=shop.sim.private_key_pem,
        store_id="none",
        max_attempts=1,
    )

    started = await shop.start(headers, product, points=3000)

    assert started.status_code == 201, started.text
    body = started.json()
    assert (body["status"], body["order_status"], body["cash_jpy"]) == ("active", "paid", 0)
    assert body["redirect_url"] is None and body["access_ends_on"] == "2026-12-30"
    assert (await shop.points(headers))["usable_points"] == 0


async def test_declined_checkout_fails_the_order_and_gives_the_points_back(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    await shop.give_points(member, 1000, date(2026, 12, 20))
    course = await shop.course(lessons=3)
    product = await shop.product(ProductKind.single_course, price=5000, days=30, course=course)

    failed = await shop.buy(headers, product, points=1000, outcome="HardDeclined")

    assert (failed["status"], failed["order_status"]) == ("failed", "failed")
    assert failed["failed_reason"] == "Declined" and failed["has_access"] is False
    points = await shop.points(headers)
    assert points["usable_points"] == 1000
    assert points["grants"][0]["expires_on"] == "2026-12-20"  # R-REF-10: original expiry
    kinds = [
        e["kind"]
        for e in (await shop.client.get("/api/v1/me/points/ledger", headers=headers)).json()[
            "items"
        ]
    ]
    assert sorted(kinds) == ["granted", "restored", "spent"]
    grants = await shop.session.scalar(
        select(func.count())
        .select_from(EntitlementGrant)
        .where(EntitlementGrant.source_ref == failed["id"])
    )
    assert grants == 0
    # The product can be bought again.
    assert (await shop.buy(headers, product))["status"] == "active"


async def test_complete_before_approval_is_refused_and_changes_nothing(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    product = await shop.product(ProductKind.goods, price=3000)
    pending = (await shop.start(headers, product)).json()

    response = await shop.client.post(f"{PURCHASES}/{pending['id']}/complete", headers=headers)

    assert response.status_code == 409 and response.json()["type"] == "checkout-not-approved"
    still = await shop.client.get(f"{PURCHASES}/{pending['id']}", headers=headers)
    assert still.json()["status"] == "pending"


async def test_r_ref_10_abandoned_checkout_gives_the_points_back(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    await shop.give_points(member, 400, date(2027, 1, 31))
    product = await shop.product(ProductKind.goods, price=3000)
    pending = (await shop.start(headers, product, points=400)).json()
    assert (await shop.points(headers))["usable_points"] == 0

    canceled = await shop.client.post(f"{PURCHASES}/{pending['id']}/cancel", headers=headers)

    assert canceled.status_code == 200, canceled.text
    assert (canceled.json()["status"], canceled.json()["order_status"]) == ("canceled", "canceled")
    assert (await shop.points(headers))["usable_points"] == 400
    twice = await shop.client.post(f"{PURCHASES}/{pending['id']}/cancel", headers=headers)
    assert twice.status_code == 409 and twice.json()["type"] == "purchase-not-pending"
    late = await shop.client.post(f"{PURCHASES}/{pending['id']}/complete", headers=headers)
    assert late.status_code == 409 and late.json()["type"] == "purchase-not-pending"


async def test_one_product_is_not_bought_twice_while_its_purchase_is_live(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    course = await shop.course(lessons=3)
    product = await shop.product(ProductKind.single_course, price=2000, days=10, course=course)
    first = await shop.buy(headers, product)
    assert first["access_ends_on"] == "2026-12-10"

    await shop.at(jst(2026, 12, 10, 23, 59))  # the last day of access
    again = await shop.start(headers, product)
    assert again.status_code == 409
    assert again.json()["type"] == "product-already-purchased"
    assert again.json()["access_ends_on"] == "2026-12-10"

    await shop.at(jst(2026, 12, 11, 0, 0))  # access has ended: a new purchase is allowed
    assert (await shop.buy(headers, product))["access_starts_on"] == "2026-12-11"


async def test_a_second_checkout_of_the_same_product_waits_for_the_first(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    product = await shop.product(ProductKind.goods, price=3000)
    first = (await shop.start(headers, product)).json()

    second = await shop.start(headers, product)

    assert second.status_code == 409 and second.json()["type"] == "purchase-in-progress"
    assert second.json()["purchase_id"] == first["id"]


async def test_points_beyond_balance_or_price_are_refused_and_nothing_is_written(
    shop: Shop,
) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    await shop.give_points(member, 100, date(2027, 1, 31))
    product = await shop.product(ProductKind.goods, price=3000)

    short = await shop.start(headers, product, points=101)
    assert short.status_code == 409 and short.json()["type"] == "points-insufficient"
    assert short.json()["available_points"] == 100
    over = await shop.start(headers, product, points=3001)
    assert over.status_code == 400 and over.json()["type"] == "points-exceed-price"

    assert await shop.session.scalar(select(func.count()).select_from(Purchase)) == 0
    assert (
        await shop.session.scalar(
            select(func.count()).select_from(PaymentOrder).where(PaymentOrder.user_id == member.id)
        )
        == 0
    )
    assert (await shop.points(headers))["usable_points"] == 100


async def test_expired_points_cannot_pay(shop: Shop) -> None:
    """A grant is usable through the end of its expiry day (JST), not after."""
    member, headers = await shop.person()
    await shop.at(jst(2026, 12, 1))
    await shop.give_points(member, 500, date(2026, 12, 31))
    product = await shop.product(ProductKind.goods, price=500)
    await shop.at(jst(2027, 1, 1, 0, 0))
    refused = await shop.start(headers, product, points=500)
    assert refused.status_code == 409 and refused.json()["type"] == "points-insufficient"
    await shop.at(jst(2026, 12, 31, 23, 59))
    assert (await shop.start(headers, product, points=500)).json()["status"] == "active"


async def test_paid_extension_extends_the_purchase_and_its_grant(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    course = await shop.course(lessons=3)
    base = await shop.product(ProductKind.single_course, price=6000, days=30, course=course)
    extension = await shop.product(ProductKind.extension, price=2000, days=60, extends=base)

    missing = await shop.start(headers, extension)
    assert missing.status_code == 409 and missing.json()["type"] == "extension-target-missing"

    bought = await shop.buy(headers, base)
    assert bought["access_ends_on"] == "2026-12-30"
    extended = await shop.buy(headers, extension)

    assert extended["extends_purchase_id"] == bought["id"]
    assert (extended["access_starts_on"], extended["access_ends_on"]) == (
        "2026-12-31",
        "2027-02-28",
    )
    target = (await shop.client.get(f"{PURCHASES}/{bought['id']}", headers=headers)).json()
    assert (target["access_ends_on"], target["extended_days"]) == ("2027-02-28", 60)
    grant = (
        await shop.session.scalars(
            select(EntitlementGrant)
            .where(EntitlementGrant.source_ref == bought["id"])
            .execution_options(populate_existing=True)
        )
    ).one()
    assert grant.valid_until == jst_start_of_day(date(2027, 3, 1))


async def test_another_members_purchase_is_not_found(shop: Shop) -> None:
    """Object-level authorization: reading, completing or cancelling someone else's purchase."""
    await shop.at(jst(2026, 12, 1))
    _, owner = await shop.person()
    _, other = await shop.person()
    product = await shop.product(ProductKind.goods, price=3000)
    pending = (await shop.start(owner, product)).json()

    for method, path in (
        ("GET", f"{PURCHASES}/{pending['id']}"),
        ("POST", f"{PURCHASES}/{pending['id']}/complete"),
        ("POST", f"{PURCHASES}/{pending['id']}/cancel"),
        ("GET", f"{PURCHASES}/{pending['id']}/refund-quote"),
    ):
        response = await shop.client.request(method, path, headers=other)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["type"] == "purchase-not-found"
    assert (await shop.client.get(PURCHASES, headers=other)).json()["items"] == []
    mine = (await shop.client.get(PURCHASES, headers=owner)).json()["items"]
    assert [p["id"] for p in mine] == [pending["id"]]
    assert (await shop.client.get(f"{PURCHASES}/{pending['id']}", headers=owner)).json()[
        "status"
    ] == "pending"


async def test_idempotency_key_replays_the_purchase(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    product = await shop.product(ProductKind.goods, price=3000)
    first = await shop.start(headers, product, **{"Idempotency-Key": "buy-once"})
    again = await shop.start(headers, product, **{"Idempotency-Key": "buy-once"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert await shop.session.scalar(select(func.count()).select_from(Purchase)) == 1


async def test_staff_record_goods_delivery(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    _, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    product = await shop.product(ProductKind.goods, price=3000)
    bought = await shop.buy(headers, product)
    assert bought["delivery"] == {
        "shipped_on": None,
        "received_on": None,
        "returned_on": None,
        "note": None,
    }
    path = f"/api/v1/admin/purchases/{bought['id']}/delivery"

    wrong = await shop.client.patch(path, json={"received_on": "2026-12-01"}, headers=staff)
    assert wrong.status_code == 400 and wrong.json()["type"] == "delivery-dates-invalid"
    future = await shop.client.patch(path, json={"shipped_on": "2026-12-02"}, headers=staff)
    assert future.status_code == 400

    await shop.at(jst(2026, 12, 4))
    ok = await shop.client.patch(
        path,
        json={"shipped_on": "2026-12-02", "received_on": "2026-12-03", "note": "ヤマト 1234"},
        headers=staff,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["delivery"]["received_on"] == "2026-12-03"
    member_view = await shop.client.patch(path, json={"returned_on": "2026-12-04"}, headers=headers)
    assert member_view.status_code == 403


async def test_webhook_settles_a_purchase_whose_completion_answer_was_lost(shop: Shop) -> None:
    """`apply_charge_state`: the charge was captured at the provider but our transaction never
    stored it; the notification's job finds the purchase by order number and opens it."""
    from app.models import NotificationStatus, PaymentNotification
    from app.payments.provider.sns import NotificationVerifier
    from app.payments.webhook import processing

    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    course = await shop.course(lessons=2)
    product = await shop.product(ProductKind.single_course, price=4000, days=30, course=course)
    pending = (await shop.start(headers, product)).json()
    checkout_id = pending["redirect_url"].rsplit("/", 1)[-1]
    await shop.sim.control.approve_checkout(checkout_id)
    await shop.provider.complete_checkout_session(checkout_id, amount_jpy=4000)  # answer "lost"

    verifier = NotificationVerifier.from_settings(shop.sim.settings)
    shop.app.state.notification_verifier = verifier
    try:
        for held in await shop.sim.control.held_notifications():
            delivered = await held.deliver(shop.client, "/api/v1/webhooks/amazon-pay")
            assert delivered.status_code in (200, 202), delivered.text
        ids = (
            await shop.session.scalars(
                select(PaymentNotification.message_id).where(
                    PaymentNotification.status == NotificationStatus.received
                )
            )
        ).all()
        assert ids
        statuses = [
            await processing.process_notification(
                shop.app.state.sessionmaker, shop.provider, message_id, now=shop.now
            )
            for message_id in ids
        ]
    finally:
        shop.app.state.notification_verifier = None
        await verifier.aclose()
    assert NotificationStatus.processed in statuses
    now_paid = (await shop.client.get(f"{PURCHASES}/{pending['id']}", headers=headers)).json()
    assert (now_paid["status"], now_paid["order_status"]) == ("active", "paid")
    assert "purchase_completed" in await shop.emails(member)
