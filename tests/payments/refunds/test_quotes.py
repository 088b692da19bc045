"""Refund quotes through the API, every R-REF rule with figures computed by hand (SPEC §8).

Terms: L list price, P paid (cash + points), N lectures, W watched (started or material
downloaded), T base days, E days used (access start to request day, both counted). "Within 7
days" = request day ≤ payment day + 7. Period fee = floor(L·E/T), lecture fee = floor(L·W/N),
penalty = floor(10% of P). Every purchase below is paid on 2026-12-01 (JST), day 0.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.models import Lesson, Product, ProductKind, Role, User
from tests.payments.purchases.shop import PURCHASES, Shop, jst

PAID = jst(2026, 12, 1)


async def quote(
    shop: Shop, headers: dict[str, str], purchase: dict[str, Any], **params: Any
) -> dict[str, Any]:
    response = await shop.client.get(
        f"{PURCHASES}/{purchase['id']}/refund-quote", params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    # R-REF-11: the lines add up to P − deductions, which is the refund when refundable.
    total = sum(line["amount_jpy"] for line in body["lines"])
    assert total == body["inputs"]["paid_jpy"] - body["deductions_jpy"]
    assert body["refund_total_jpy"] == (total if body["refundable"] else 0)
    return body


async def single_course(
    shop: Shop, *, price: int = 12000, days: int = 90, lessons: int = 10, points: int = 0
) -> tuple[User, dict[str, str], dict[str, Any], list[Lesson]]:
    await shop.at(PAID)
    member, headers = await shop.person()
    if points:
        await shop.give_points(member, points, date(2027, 12, 31))
    course = await shop.course(lessons=lessons)
    product = await shop.product(ProductKind.single_course, price=price, days=days, course=course)
    purchase = await shop.buy(headers, product, points=points)
    assert purchase["status"] == "active"
    return member, headers, purchase, await shop.lessons(course)


async def package(
    shop: Shop, kind: ProductKind = ProductKind.package, bonus: list[dict[str, Any]] | None = None
) -> tuple[User, dict[str, str], dict[str, Any], list[Lesson]]:
    """L = ¥30,000, T = 180, two courses of 5 lessons (N = 10)."""
    await shop.at(PAID)
    member, headers = await shop.person()
    first, second = await shop.course(lessons=5), await shop.course(lessons=5)
    content_set = await shop.content_set(first, second)
    product = await shop.product(
        kind, price=30000, days=180, content_set=content_set, bonus_items=bonus
    )
    purchase = await shop.buy(headers, product)
    return member, headers, purchase, [*await shop.lessons(first), *await shop.lessons(second)]


# --- R-REF-1: single course, within 7 days ----------------------------------------------------


async def test_r_ref_1_full_refund_on_day_7_when_two_watched(shop: Shop) -> None:
    member, headers, purchase, lessons = await single_course(shop)
    await shop.watch(member, lessons[:2])
    await shop.at(jst(2026, 12, 8, 23, 59))  # day 7
    body = await quote(shop, headers, purchase)
    assert (body["rule"], body["is_within_7_days"], body["is_full_refund"]) == (
        "R-REF-1",
        True,
        True,
    )
    assert (body["refund_total_jpy"], body["refund_cash_jpy"], body["refund_points"]) == (
        12000,
        12000,
        0,
    )
    assert body["inputs"]["lectures_total"] == 10 and body["inputs"]["lectures_watched"] == 2
    assert body["inputs"]["certificate_issued"] is False  # no certificates exist yet


async def test_r_ref_1_three_watched_pays_the_higher_lecture_fee(shop: Shop) -> None:
    """Day 3 (E = 4): lecture fee 12000·3/10 = 3600 > period fee floor(12000·4/90) = 533.
    A download counts as watching; a lecture started and downloaded counts once."""
    member, headers, purchase, lessons = await single_course(shop)
    await shop.watch(member, lessons[:2])
    await shop.download(member, lessons[1])  # already started: still 2
    await shop.download(member, lessons[5])  # W = 3
    await shop.at(jst(2026, 12, 4))
    body = await quote(shop, headers, purchase)
    assert body["inputs"]["lectures_watched"] == 3 and body["inputs"]["days_used"] == 4
    assert (body["rule"], body["is_full_refund"]) == ("R-REF-1", False)
    assert (body["lecture_fee_jpy"], body["period_fee_jpy"], body["usage_fee_basis"]) == (
        3600,
        533,
        "lecture",
    )
    assert body["refund_total_jpy"] == 8400


async def test_r_ref_1_small_course_threshold_is_one_lecture(shop: Shop) -> None:
    """N = 5, L = ¥6,000, T = 30, on the payment day (E = 1): W = 1 is a full refund; W = 2 pays
    max(6000·2/5 = 2400, floor(6000·1/30) = 200) → ¥3,600."""
    member, headers, purchase, lessons = await single_course(shop, price=6000, days=30, lessons=5)
    await shop.watch(member, lessons[:1])
    assert (await quote(shop, headers, purchase))["refund_total_jpy"] == 6000
    await shop.watch(member, lessons[1:2])
    body = await quote(shop, headers, purchase)
    assert (body["lecture_fee_jpy"], body["period_fee_jpy"], body["refund_total_jpy"]) == (
        2400,
        200,
        3600,
    )


# --- R-REF-2: single course, after 7 days ---------------------------------------------------


async def test_r_ref_2_day_8_pays_the_period_fee(shop: Shop) -> None:
    """Day 7: full ¥12,000 (R-REF-1). Day 8 (E = 9): 12000 − 12000·9/90 = ¥10,800."""
    _, headers, purchase, _ = await single_course(shop)
    await shop.at(jst(2026, 12, 8))
    assert (await quote(shop, headers, purchase))["refund_total_jpy"] == 12000
    await shop.at(jst(2026, 12, 9, 0, 0))
    body = await quote(shop, headers, purchase)
    assert (body["rule"], body["is_within_7_days"]) == ("R-REF-2", False)
    assert (body["period_fee_jpy"], body["lecture_fee_jpy"], body["refund_total_jpy"]) == (
        1200,
        None,
        10800,
    )


async def test_r_ref_2_three_watched_takes_the_higher_of_both_fees(shop: Shop) -> None:
    """Day 60 (2027-01-30, E = 61), W = 3: max(3600, floor(12000·61/90) = 8133) → ¥3,867."""
    member, headers, purchase, lessons = await single_course(shop)
    await shop.watch(member, lessons[:3])
    await shop.at(jst(2027, 1, 30))
    body = await quote(shop, headers, purchase)
    assert body["inputs"]["days_used"] == 61
    assert (body["lecture_fee_jpy"], body["period_fee_jpy"], body["usage_fee_basis"]) == (
        3600,
        8133,
        "period",
    )
    assert body["refund_total_jpy"] == 3867


async def test_r_ref_2_small_course_counts_lectures_from_two(shop: Shop) -> None:
    """N = 5, L = ¥6,000, T = 30, day 10 (E = 11): W = 1 → period only floor(6000·11/30) = 2200
    → ¥3,800; W = 2 → max(2400, 2200) → ¥3,600."""
    member, headers, purchase, lessons = await single_course(shop, price=6000, days=30, lessons=5)
    await shop.watch(member, lessons[:1])
    await shop.at(jst(2026, 12, 11))
    body = await quote(shop, headers, purchase)
    assert (body["lecture_fee_jpy"], body["refund_total_jpy"]) == (None, 3800)
    await shop.watch(member, lessons[1:2])
    body = await quote(shop, headers, purchase)
    assert (body["lecture_fee_jpy"], body["usage_fee_basis"], body["refund_total_jpy"]) == (
        2400,
        "lecture",
        3600,
    )


# --- R-REF-3 / R-REF-4: package or pass -------------------------------------------------------


async def test_r_ref_3_package_within_7_days(shop: Shop) -> None:
    """W = 2 on day 7: full ¥30,000. W = 4 on day 2 (E = 3): max(30000·4/10 = 12000,
    floor(30000·3/180) = 500) → ¥18,000."""
    member, headers, purchase, lessons = await package(shop)
    await shop.watch(member, [lessons[0], lessons[7]])
    await shop.at(jst(2026, 12, 8))
    body = await quote(shop, headers, purchase)
    assert (body["rule"], body["refund_total_jpy"]) == ("R-REF-3", 30000)
    await shop.at(jst(2026, 12, 3))
    await shop.watch(member, [lessons[1], lessons[8]])
    body = await quote(shop, headers, purchase)
    assert (body["lecture_fee_jpy"], body["period_fee_jpy"], body["refund_total_jpy"]) == (
        12000,
        500,
        18000,
    )


async def test_r_ref_4_pass_after_7_days_pays_period_fee_and_penalty(shop: Shop) -> None:
    """Day 30 (E = 31): 30000 − floor(30000·31/180) = 5166 − 10% penalty 3000 → ¥21,834."""
    _, headers, purchase, _ = await package(shop, ProductKind.pass_)
    await shop.at(jst(2026, 12, 31))
    body = await quote(shop, headers, purchase)
    assert (body["rule"], body["period_fee_jpy"], body["penalty_jpy"]) == ("R-REF-4", 5166, 3000)
    assert body["refund_total_jpy"] == 21834


# --- R-REF-5: paid extension ------------------------------------------------------------------


async def test_r_ref_5_extension_before_and_after_7_days(shop: Shop) -> None:
    """Base course T = 30 (Dec 1–30); extension L = ¥5,000, N = 60 days bought Dec 20 adds
    Dec 31 – Feb 28. Dec 25 (within 7 days, E = 0): ¥5,000. Jan 10 (E = 11): 5000 −
    floor(5000·11/60) = 916 − penalty 500 → ¥3,584."""
    await shop.at(PAID)
    _, headers = await shop.person()
    course = await shop.course(lessons=3)
    base = await shop.product(ProductKind.single_course, price=6000, days=30, course=course)
    extension = await shop.product(ProductKind.extension, price=5000, days=60, extends=base)
    await shop.buy(headers, base)
    await shop.at(jst(2026, 12, 20))
    bought = await shop.buy(headers, extension)
    assert bought["access_starts_on"] == "2026-12-31"

    await shop.at(jst(2026, 12, 25))
    body = await quote(shop, headers, bought)
    assert (body["rule"], body["inputs"]["days_used"], body["refund_total_jpy"]) == (
        "R-REF-5",
        0,
        5000,
    )
    await shop.at(jst(2027, 1, 10))
    body = await quote(shop, headers, bought)
    assert (body["period_fee_jpy"], body["penalty_jpy"], body["refund_total_jpy"]) == (
        916,
        500,
        3584,
    )


# --- R-REF-6: bonus items ---------------------------------------------------------------------


async def test_r_ref_6_unreturned_bonus_items_are_deducted(shop: Shop) -> None:
    """R-REF-4's ¥21,834 less the ¥2,000 text not returned → ¥19,834; returned → ¥21,834."""
    _, headers, purchase, _ = await package(
        shop, bonus=[{"name": "副読本", "list_price_jpy": 2000}]
    )
    await shop.at(jst(2026, 12, 31))
    kept = await quote(shop, headers, purchase)
    assert (kept["bonus_deduction_jpy"], kept["refund_total_jpy"]) == (2000, 19834)
    assert any(
        line["code"] == "bonus_deduction" and "副読本" in line["ja"] for line in kept["lines"]
    )
    returned = await quote(shop, headers, purchase, bonus_items_returned="true")
    assert (returned["bonus_deduction_jpy"], returned["refund_total_jpy"]) == (0, 21834)


# --- R-REF-7: no refund -----------------------------------------------------------------------


async def test_r_ref_7_no_refund_after_the_access_period(shop: Shop) -> None:
    """L = ¥2,000, T = 10: access Dec 1–10. Dec 9 (E = 9): ¥200; Dec 10 (E = T): the period fee
    is all of P; Dec 11: the period has ended (checked first)."""
    _, headers, purchase, _ = await single_course(shop, price=2000, days=10)
    await shop.at(jst(2026, 12, 9, 23, 59))
    assert (await quote(shop, headers, purchase))["refund_total_jpy"] == 200
    await shop.at(jst(2026, 12, 10, 23, 59))
    assert (await quote(shop, headers, purchase))["refusal_reason"] == "deductions_exceed_paid"
    await shop.at(jst(2026, 12, 11, 0, 0))
    body = await quote(shop, headers, purchase)
    assert (body["rule"], body["refundable"], body["refusal_reason"]) == (
        "R-REF-7",
        False,
        "period_ended",
    )
    assert (body["refund_total_jpy"], body["formula_rule"]) == (0, "R-REF-2")


async def test_r_ref_7_base_days_used_up_even_with_extension_days_left(shop: Shop) -> None:
    """L = ¥6,000, T = 30 from Dec 1. Dec 29 (E = 29): 6000 − 5800 → ¥200. Dec 30 (E = T): the
    period fee reaches P (deductions_exceed_paid). Dec 31 (E = 31 > T): base_days_used_up,
    although a paid extension keeps access until Feb 28."""
    await shop.at(PAID)
    _, headers = await shop.person()
    course = await shop.course(lessons=3)
    base = await shop.product(ProductKind.single_course, price=6000, days=30, course=course)
    extension = await shop.product(ProductKind.extension, price=2000, days=60, extends=base)
    purchase = await shop.buy(headers, base)
    await shop.buy(headers, extension)
    await shop.at(jst(2026, 12, 29))
    body = await quote(shop, headers, purchase)
    assert (body["refundable"], body["period_fee_jpy"], body["refund_total_jpy"]) == (
        True,
        5800,
        200,
    )
    await shop.at(jst(2026, 12, 30))
    body = await quote(shop, headers, purchase)
    assert (body["inputs"]["days_used"], body["refusal_reason"]) == (30, "deductions_exceed_paid")
    await shop.at(jst(2026, 12, 31))
    body = await quote(shop, headers, purchase)
    assert (body["refusal_reason"], body["inputs"]["access_ends_on"]) == (
        "base_days_used_up",
        "2027-02-28",
    )


async def test_r_ref_7_no_refund_when_deductions_reach_what_was_paid(shop: Shop) -> None:
    """All 10 lectures watched within 7 days: lecture fee = L = P."""
    member, headers, purchase, lessons = await single_course(shop)
    await shop.watch(member, lessons)
    body = await quote(shop, headers, purchase)
    assert (body["lecture_fee_jpy"], body["refusal_reason"]) == (12000, "deductions_exceed_paid")


# --- R-REF-9: refund cost ---------------------------------------------------------------------


async def test_r_ref_9_the_member_bears_the_configured_refund_cost(shop: Shop) -> None:
    """Day 8: ¥10,800 − ¥300 cost → ¥10,500. Points-only payments move no money: no cost."""
    _, headers, purchase, _ = await single_course(shop)
    original = shop.app.state.settings
    shop.app.state.settings = original.model_copy(update={"purchase_refund_cost_jpy": 300})
    try:
        await shop.at(jst(2026, 12, 9))
        body = await quote(shop, headers, purchase)
        assert (body["refund_cost_jpy"], body["refund_total_jpy"]) == (300, 10500)
        _, points_headers, points_purchase, _ = await single_course(shop, price=3000, points=3000)
        await shop.at(jst(2026, 12, 9))
        body = await quote(shop, points_headers, points_purchase)
        assert body["refund_cost_jpy"] == 0
    finally:
        shop.app.state.settings = original


# --- R-REF-10: points come back in kind ---------------------------------------------------------


async def test_r_ref_10_mixed_payment_deducts_from_cash_first(shop: Shop) -> None:
    """L = ¥10,000, T = 90, paid ¥7,000 + 3,000 points. Day 8 (E = 9): fee 1000 → ¥6,000 cash,
    3,000 points. Day 60 (E = 61): fee floor(10000·61/90) = 6777 → ¥223 cash, 3,000 points.
    W = 8 within 7 days: fee 8000 > cash → ¥0 cash, 2,000 points."""
    member, headers, purchase, lessons = await single_course(shop, price=10000, points=3000)
    assert (purchase["cash_jpy"], purchase["points_used"]) == (7000, 3000)
    await shop.at(jst(2026, 12, 9))
    body = await quote(shop, headers, purchase)
    assert (body["refund_cash_jpy"], body["refund_points"]) == (6000, 3000)
    await shop.at(jst(2027, 1, 30))
    body = await quote(shop, headers, purchase)
    assert (body["period_fee_jpy"], body["refund_cash_jpy"], body["refund_points"]) == (
        6777,
        223,
        3000,
    )
    await shop.at(jst(2026, 12, 2))
    await shop.watch(member, lessons[:8])
    body = await quote(shop, headers, purchase)
    assert (body["lecture_fee_jpy"], body["refund_cash_jpy"], body["refund_points"]) == (
        8000,
        0,
        2000,
    )


# --- Who may ask ------------------------------------------------------------------------------


async def test_quotes_refuse_unpaid_purchases_and_staff_see_any(shop: Shop) -> None:
    await shop.at(PAID)
    member, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    product: Product = await shop.product(ProductKind.goods, price=3000)
    pending = (await shop.start(headers, product)).json()
    refused = await shop.client.get(f"{PURCHASES}/{pending['id']}/refund-quote", headers=headers)
    assert refused.status_code == 409 and refused.json()["type"] == "purchase-not-paid"

    _, _, purchase, _ = await single_course(shop)
    staff_quote = await shop.client.get(
        f"/api/v1/admin/purchases/{purchase['id']}/refund-quote", headers=staff
    )
    assert staff_quote.status_code == 200 and staff_quote.json()["rule"] == "R-REF-1"
    other = await shop.client.get(f"{PURCHASES}/{purchase['id']}/refund-quote", headers=headers)
    assert other.status_code == 404 and member.id  # another member's purchase: not found
