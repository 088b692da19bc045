"""Abandoned checkouts (SPEC §8, R-REF-10): the hourly job closes pending purchases older than a
day and gives their points back; a checkout the provider did complete is settled instead."""

from __future__ import annotations

from datetime import date, timedelta

from app.models import ProductKind
from app.payments.purchases.service import expire_abandoned_purchases
from tests.payments.purchases.shop import PURCHASES, Shop, jst


async def test_r_ref_10_pending_purchases_older_than_a_day_are_canceled(shop: Shop) -> None:
    start = jst(2026, 12, 1, 10)
    await shop.at(start)
    member, headers = await shop.person()
    await shop.give_points(member, 500, date(2027, 1, 31))
    abandoned = (
        await shop.start(headers, await shop.product(ProductKind.goods, price=3000), points=500)
    ).json()
    lost_answer = (
        await shop.start(headers, await shop.product(ProductKind.goods, price=2000))
    ).json()
    checkout_id = lost_answer["redirect_url"].rsplit("/", 1)[-1]
    await shop.sim.control.approve_checkout(checkout_id)
    await shop.provider.complete_checkout_session(checkout_id, amount_jpy=2000)
    await shop.at(start + timedelta(hours=23))
    recent = (await shop.start(headers, await shop.product(ProductKind.goods, price=1000))).json()

    moment = start + timedelta(hours=24, minutes=1)
    await shop.at(moment)
    handled = await expire_abandoned_purchases(shop.session, shop.provider, now=moment)
    await shop.session.commit()

    assert handled == 2
    states = {
        key: (await shop.client.get(f"{PURCHASES}/{p['id']}", headers=headers)).json()
        for key, p in (("abandoned", abandoned), ("lost", lost_answer), ("recent", recent))
    }
    assert (states["abandoned"]["status"], states["abandoned"]["failed_reason"]) == (
        "canceled",
        "checkout_abandoned",
    )
    assert states["abandoned"]["order_status"] == "canceled"
    assert (states["lost"]["status"], states["lost"]["order_status"]) == ("active", "paid")
    assert states["recent"]["status"] == "pending"
    assert (await shop.points(headers))["usable_points"] == 500
