"""Refund formulas, one table per rule (R-REF-1 … R-REF-7, R-REF-9 … R-REF-11).

Seed 003 has no worked numbers, so every expected amount below is computed by hand in a comment.
Defaults (see `make_case`): single course, L = P = ¥30,000 paid in cash on 2027-04-01, N = 10,
T = 90 days, access from the payment day through 2027-06-29 (day 89). "Day n" is the request day
n days after payment (payment day = day 0), so E = n + 1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from app.payments.rules.refunds import (
    BonusItem,
    ProductKind,
    RefundCase,
    RefundQuote,
    RefundRefusal,
    UsageFeeBasis,
    quote_refund,
)

PAID_ON = date(2027, 4, 1)


def day(n: int) -> date:
    return PAID_ON + timedelta(days=n)


def make_case(**overrides: Any) -> RefundCase:
    request_day = overrides.pop("request_day", 0)
    values: dict[str, Any] = {
        "kind": ProductKind.single_course,
        "list_price_jpy": 30_000,
        "paid_cash_jpy": 30_000,
        "paid_points": 0,
        "lectures_total": 10,
        "lectures_watched": 0,
        "base_access_days": 90,
        "paid_on": PAID_ON,
        "requested_on": day(request_day),
        "access_ends_on": day(89),
    }
    values.update(overrides)
    return RefundCase(**values)


def package_case(**overrides: Any) -> RefundCase:
    """A package: L = P = ¥100,000, N = 40, T = 180 days (access through day 179)."""
    values: dict[str, Any] = {
        "kind": ProductKind.package,
        "list_price_jpy": 100_000,
        "paid_cash_jpy": 100_000,
        "lectures_total": 40,
        "base_access_days": 180,
        "access_ends_on": day(179),
    }
    values.update(overrides)
    return make_case(**values)


def extension_case(**overrides: Any) -> RefundCase:
    """A paid extension: L = P = ¥20,000, T = 30 days (access through day 29), no lectures."""
    values: dict[str, Any] = {
        "kind": ProductKind.extension,
        "list_price_jpy": 20_000,
        "paid_cash_jpy": 20_000,
        "lectures_total": 0,
        "base_access_days": 30,
        "access_ends_on": day(29),
    }
    values.update(overrides)
    return make_case(**values)


def assert_refund(
    quote: RefundQuote,
    *,
    rule: str,
    total: int,
    basis: UsageFeeBasis | None = None,
    penalty: int = 0,
) -> None:
    assert quote.refundable, quote.refusal_reason
    assert quote.rule == quote.formula_rule == rule
    assert quote.refund_total_jpy == total
    assert quote.usage_fee_basis is basis
    assert quote.penalty_jpy == penalty
    assert quote.paid_jpy - quote.deductions_jpy == total


# --- R-REF-1 single course within 7 days --------------------------------------------------------


@pytest.mark.parametrize(
    ("lectures", "watched", "request_day", "total", "basis"),
    [
        (10, 0, 0, 30_000, None),  # nothing watched: full
        (10, 2, 7, 30_000, None),  # W ≤ 2 on day 7: full
        # W = 3, day 3 (E 4): lecture 30000×3/10 = 9000 > period 30000×4/90 = 1333 → 21000
        (10, 3, 3, 21_000, UsageFeeBasis.lecture),
        # W = 3, day 7 (E 8): lecture 9000 > period 2666 → 21000
        (10, 3, 7, 21_000, UsageFeeBasis.lecture),
        (6, 2, 0, 30_000, None),  # N = 6 > 5: W ≤ 2 is still full
        (5, 1, 0, 30_000, None),  # N ≤ 5: W ≤ 1 full
        # N ≤ 5, W = 2: lecture 30000×2/5 = 12000 > period 30000×1/90 = 333 → 18000
        (5, 2, 0, 18_000, UsageFeeBasis.lecture),
    ],
)
def test_r_ref_1_single_course_within_7_days(
    lectures: int, watched: int, request_day: int, total: int, basis: UsageFeeBasis | None
) -> None:
    """R-REF-1: full refund if W ≤ 2 (N ≤ 5: W ≤ 1), else P − max(lecture fee, period fee)."""
    quote = quote_refund(
        make_case(lectures_total=lectures, lectures_watched=watched, request_day=request_day)
    )
    assert_refund(quote, rule="R-REF-1", total=total, basis=basis)
    assert quote.is_within_7_days
    assert quote.is_full_refund is (basis is None)


def test_r_ref_1_takes_the_period_fee_when_it_is_higher() -> None:
    """R-REF-1: N 100, W 3, T 10, day 7 (E 8): lecture 30000×3/100 = 900, period 30000×8/10 =
    24000 → refund 6000."""
    quote = quote_refund(
        make_case(
            lectures_total=100,
            lectures_watched=3,
            base_access_days=10,
            access_ends_on=day(9),
            request_day=7,
        )
    )
    assert_refund(quote, rule="R-REF-1", total=6_000, basis=UsageFeeBasis.period)
    assert (quote.lecture_fee_jpy, quote.period_fee_jpy) == (900, 24_000)


# --- R-REF-2 single course after 7 days ---------------------------------------------------------


@pytest.mark.parametrize(
    ("lectures", "watched", "request_day", "total", "basis"),
    [
        (10, 0, 8, 27_000, UsageFeeBasis.period),  # E 9: period 30000×9/90 = 3000
        (10, 2, 8, 27_000, UsageFeeBasis.period),  # W 2 < 3: period fee only
        # W 3, day 29 (E 30): period 10000 ≥ lecture 9000 → 20000
        (10, 3, 29, 20_000, UsageFeeBasis.period),
        # W 5, day 29: lecture 15000 > period 10000 → 15000
        (10, 5, 29, 15_000, UsageFeeBasis.lecture),
        (5, 1, 8, 27_000, UsageFeeBasis.period),  # N ≤ 5, W 1 < 2: period only
        # N ≤ 5, W 2: lecture 30000×2/5 = 12000 > period 3000 → 18000
        (5, 2, 8, 18_000, UsageFeeBasis.lecture),
        (6, 2, 8, 27_000, UsageFeeBasis.period),  # N 6: W 2 < 3, period only
    ],
)
def test_r_ref_2_single_course_after_7_days(
    lectures: int, watched: int, request_day: int, total: int, basis: UsageFeeBasis
) -> None:
    """R-REF-2: P − period fee; W ≥ 3 (N ≤ 5: W ≥ 2) → P − max(lecture fee, period fee)."""
    quote = quote_refund(
        make_case(lectures_total=lectures, lectures_watched=watched, request_day=request_day)
    )
    assert_refund(quote, rule="R-REF-2", total=total, basis=basis)
    assert not quote.is_within_7_days
    assert not quote.is_full_refund


def test_r_ref_1_2_day_7_is_within_and_day_8_is_after() -> None:
    """R-REF-1/2: payment day is day 0; day 7 → full (R-REF-1); day 8 → 30000 − 3000 (R-REF-2)."""
    assert_refund(
        quote_refund(make_case(lectures_watched=2, request_day=7)), rule="R-REF-1", total=30_000
    )
    assert_refund(
        quote_refund(make_case(lectures_watched=2, request_day=8)),
        rule="R-REF-2",
        total=27_000,
        basis=UsageFeeBasis.period,
    )


def test_r_ref_2_period_fee_rounds_down() -> None:
    """R-REF-2/11: L 10000, T 365, E 9: 90000/365 = 246.57… → 246; refund 9754. (The seed
    writes (L / T) × E; SPEC's floor(L × E / T) is exact and is the one used.)"""
    quote = quote_refund(
        make_case(
            list_price_jpy=10_000,
            paid_cash_jpy=10_000,
            base_access_days=365,
            access_ends_on=day(364),
            request_day=8,
        )
    )
    assert quote.period_fee_jpy == 246
    assert_refund(quote, rule="R-REF-2", total=9_754, basis=UsageFeeBasis.period)


# --- R-REF-3 package or pass within 7 days ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "lectures", "watched", "request_day", "total", "basis"),
    [
        (ProductKind.package, 40, 0, 0, 100_000, None),
        (ProductKind.package, 40, 2, 7, 100_000, None),
        # W 3, day 7 (E 8): lecture 100000×3/40 = 7500 > period 100000×8/180 = 4444 → 92500
        (ProductKind.package, 40, 3, 7, 92_500, UsageFeeBasis.lecture),
        # No N ≤ 5 variant for packages: N 5, W 2 is still full.
        (ProductKind.package, 5, 2, 0, 100_000, None),
        # Pass, W 3, day 0 (E 1): lecture 7500 > period 555 → 92500
        (ProductKind.pass_, 40, 3, 0, 92_500, UsageFeeBasis.lecture),
        (ProductKind.pass_, 40, 2, 5, 100_000, None),
    ],
)
def test_r_ref_3_package_or_pass_within_7_days(
    kind: ProductKind,
    lectures: int,
    watched: int,
    request_day: int,
    total: int,
    basis: UsageFeeBasis | None,
) -> None:
    """R-REF-3: full refund if W ≤ 2, else P − max(lecture fee, period fee)."""
    quote = quote_refund(
        package_case(
            kind=kind, lectures_total=lectures, lectures_watched=watched, request_day=request_day
        )
    )
    assert_refund(quote, rule="R-REF-3", total=total, basis=basis)


def test_r_ref_3_period_fee_when_higher() -> None:
    """R-REF-3: T 10, day 7 (E 8): period 100000×8/10 = 80000 > lecture 7500 → 20000."""
    quote = quote_refund(
        package_case(lectures_watched=3, base_access_days=10, access_ends_on=day(9), request_day=7)
    )
    assert_refund(quote, rule="R-REF-3", total=20_000, basis=UsageFeeBasis.period)


# --- R-REF-4 package or pass after 7 days -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "watched", "request_day", "total"),
    [
        # Day 8 (E 9): period 100000×9/180 = 5000, penalty 10000 → 85000
        (ProductKind.package, 0, 8, 85_000),
        (ProductKind.package, 40, 8, 85_000),  # W does not count after 7 days
        # Pass, day 30 (E 31): period 100000×31/180 = 17222.2 → 17222, penalty 10000 → 72778
        (ProductKind.pass_, 10, 30, 72_778),
    ],
)
def test_r_ref_4_package_or_pass_after_7_days(
    kind: ProductKind, watched: int, request_day: int, total: int
) -> None:
    """R-REF-4: P − period fee − penalty (10% of P)."""
    quote = quote_refund(package_case(kind=kind, lectures_watched=watched, request_day=request_day))
    assert_refund(quote, rule="R-REF-4", total=total, basis=UsageFeeBasis.period, penalty=10_000)
    assert quote.lecture_fee_jpy is None


def test_r_ref_4_penalty_and_period_fee_round_down() -> None:
    """R-REF-4/11: P 99999, day 8 (E 9): period 99999×9/180 = 4999.95 → 4999, penalty 9999.9 →
    9999; refund 99999 − 4999 − 9999 = 85001."""
    quote = quote_refund(package_case(list_price_jpy=99_999, paid_cash_jpy=99_999, request_day=8))
    assert (quote.period_fee_jpy, quote.penalty_jpy) == (4_999, 9_999)
    assert_refund(quote, rule="R-REF-4", total=85_001, basis=UsageFeeBasis.period, penalty=9_999)


def test_r_ref_3_4_as_written_a_package_watched_through_refunds_more_on_day_8() -> None:
    """R-REF-3/4 as SPEC writes them: all 40 lectures watched, day 7 → lecture fee = L = P →
    no refund; day 8 → R-REF-4 ignores W → 85000. Pinned so a change of rule is deliberate."""
    day_7 = quote_refund(package_case(lectures_watched=40, request_day=7))
    assert day_7.refusal_reason is RefundRefusal.deductions_exceed_paid
    assert quote_refund(package_case(lectures_watched=40, request_day=8)).refund_total_jpy == 85_000


# --- R-REF-5 paid extension ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_day", "total", "penalty"),
    [
        (0, 19_334, 0),  # E 1: 20000×1/30 = 666 → 19334
        (7, 14_667, 0),  # E 8: 20000×8/30 = 5333 → 14667
        (8, 12_000, 2_000),  # E 9: 6000, penalty 2000 → 12000
    ],
)
def test_r_ref_5_paid_extension(request_day: int, total: int, penalty: int) -> None:
    """R-REF-5: within 7 days P − period fee; after, P − period fee − 10% of P."""
    quote = quote_refund(extension_case(request_day=request_day))
    assert_refund(quote, rule="R-REF-5", total=total, basis=UsageFeeBasis.period, penalty=penalty)


def test_r_ref_5_extension_bought_ahead_has_used_no_days() -> None:
    """R-REF-5: access starts on day 20; on day 3 E = 0 → 20000; on day 10 E = 0 → 20000 −
    penalty 2000 = 18000."""
    ahead = {"access_starts_on": day(20), "access_ends_on": day(49)}
    within = quote_refund(extension_case(request_day=3, **ahead))
    assert within.days_used == 0
    assert_refund(within, rule="R-REF-5", total=20_000, basis=UsageFeeBasis.period)
    after = quote_refund(extension_case(request_day=10, **ahead))
    assert_refund(after, rule="R-REF-5", total=18_000, basis=UsageFeeBasis.period, penalty=2_000)


# --- R-REF-6 bonus items ------------------------------------------------------------------------

BONUSES = (BonusItem("問題集", 3_000, is_returned=False), BonusItem("DVD", 2_000, is_returned=True))


@pytest.mark.parametrize(
    ("request_day", "total", "rule"),
    [
        (0, 97_000, "R-REF-3"),  # full refund 100000 − unreturned book 3000
        (8, 82_000, "R-REF-4"),  # 85000 − 3000
    ],
)
def test_r_ref_6_unreturned_bonus_items_are_deducted_at_list_price(
    request_day: int, total: int, rule: str
) -> None:
    """R-REF-6: only the unreturned item's list price is deducted, within 7 days too."""
    quote = quote_refund(package_case(bonus_items=BONUSES, request_day=request_day))
    assert quote.bonus_deduction_jpy == 3_000
    assert quote.refund_total_jpy == total
    assert quote.rule == rule


def test_r_ref_6_returned_bonus_items_cost_nothing() -> None:
    returned = tuple(replace(item, is_returned=True) for item in BONUSES)
    quote = quote_refund(package_case(bonus_items=returned))
    assert quote.bonus_deduction_jpy == 0
    assert quote.refund_total_jpy == 100_000


def test_r_ref_6_bonus_with_an_extension() -> None:
    """R-REF-6 with R-REF-5: day 0 → 19334 − 1000 = 18334."""
    quote = quote_refund(extension_case(bonus_items=[BonusItem("冊子", 1_000, False)]))
    assert quote.refund_total_jpy == 18_334


# --- R-REF-7 refusals ---------------------------------------------------------------------------


def test_r_ref_7_no_refund_after_the_access_period_ended() -> None:
    """R-REF-7: access through day 10; day 10 → 30000 − 30000×11/90 (3666) = 26334; day 11 → none."""
    on_last_day = quote_refund(make_case(access_ends_on=day(10), request_day=10))
    assert_refund(on_last_day, rule="R-REF-2", total=26_334, basis=UsageFeeBasis.period)
    after = quote_refund(make_case(access_ends_on=day(10), request_day=11))
    assert (after.refundable, after.rule, after.refusal_reason) == (
        False,
        "R-REF-7",
        RefundRefusal.period_ended,
    )
    assert (after.refund_total_jpy, after.refund_cash_jpy, after.refund_points) == (0, 0, 0)


def test_r_ref_7_base_days_used_up_even_with_bonus_days_left() -> None:
    """R-REF-7: T 30, access through day 59 (bonus days). E 29 → 30000 − 29000 = 1000;
    E = T = 30 → period fee = L = P → deductions_exceed_paid; E = 31 → base_days_used_up."""
    base = {"base_access_days": 30, "access_ends_on": day(59)}
    assert_refund(
        quote_refund(make_case(request_day=28, **base)),
        rule="R-REF-2",
        total=1_000,
        basis=UsageFeeBasis.period,
    )
    at_t = quote_refund(make_case(request_day=29, **base))
    assert at_t.days_used == 30
    assert at_t.refusal_reason is RefundRefusal.deductions_exceed_paid
    past_t = quote_refund(make_case(request_day=30, **base))
    assert past_t.days_used == 31
    assert past_t.refusal_reason is RefundRefusal.base_days_used_up


@pytest.mark.parametrize("kind", [ProductKind.single_course, ProductKind.pass_])
def test_r_ref_7_no_refund_once_the_certificate_is_issued(kind: ProductKind) -> None:
    """R-REF-7: even on the payment day with nothing watched (a pass: all certificates)."""
    quote = quote_refund(make_case(kind=kind, certificate_issued=True))
    assert quote.rule == "R-REF-7"
    assert quote.formula_rule == ("R-REF-1" if kind is ProductKind.single_course else "R-REF-3")
    assert quote.refusal_reason is RefundRefusal.certificate_issued
    assert quote.refund_total_jpy == 0


def test_r_ref_7_deductions_equal_to_what_was_paid_refund_nothing() -> None:
    """R-REF-7: W = N = 10 within 7 days: lecture fee 30000 = P → refused; one yen less of
    deductions (refund cost 29999 on a full refund) leaves a ¥1 refund."""
    quote = quote_refund(make_case(lectures_watched=10))
    assert quote.deductions_jpy == 30_000
    assert quote.refusal_reason is RefundRefusal.deductions_exceed_paid
    assert quote_refund(make_case(refund_cost_jpy=29_999)).refund_total_jpy == 1


def test_r_ref_7_deductions_above_what_was_paid() -> None:
    """R-REF-7: a ¥40,000 unreturned bonus on a ¥30,000 payment."""
    quote = quote_refund(make_case(bonus_items=[BonusItem("教材セット", 40_000, False)]))
    assert quote.refusal_reason is RefundRefusal.deductions_exceed_paid
    assert quote.refund_total_jpy == 0


def test_r_ref_7_free_product_has_nothing_to_refund() -> None:
    quote = quote_refund(make_case(paid_cash_jpy=0))
    assert quote.refusal_reason is RefundRefusal.deductions_exceed_paid


# --- R-REF-9 refund cost ------------------------------------------------------------------------


def test_r_ref_9_member_bears_the_refund_cost() -> None:
    """R-REF-9: a ¥500 refund cost on a cash full refund → 29500."""
    quote = quote_refund(make_case(refund_cost_jpy=500))
    assert quote.refund_cost_jpy == 500
    assert quote.refund_total_jpy == quote.refund_cash_jpy == 29_500
    assert quote.rule == "R-REF-1"


def test_r_ref_9_default_refund_cost_is_zero() -> None:
    assert quote_refund(make_case()).refund_cost_jpy == 0


def test_r_ref_9_points_only_refund_has_no_refund_cost() -> None:
    """R-REF-9/10: points come back in kind; nothing is transferred, so no cost."""
    quote = quote_refund(make_case(paid_cash_jpy=0, paid_points=30_000, refund_cost_jpy=500))
    assert quote.refund_cost_jpy == 0
    assert quote.refund_points == 30_000


# --- R-REF-10 cash and points -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cash", "points", "watched", "request_day", "refund_cash", "refund_points"),
    [
        # Mixed, day 8: deductions 3000 from the cash first → cash 7000, points 20000
        (10_000, 20_000, 0, 8, 7_000, 20_000),
        # Mixed, W 5 day 29: lecture 15000 > cash 10000 → cash 0, points 20000 − 5000
        (10_000, 20_000, 5, 29, 0, 15_000),
        # Points only, day 8: points 30000 − 3000
        (0, 30_000, 0, 8, 0, 27_000),
        # Discounted: L 30000, paid 20000 cash + 5000 points, day 8: period 3000 → 17000 / 5000
        (20_000, 5_000, 0, 8, 17_000, 5_000),
        # Full refund (R-REF-1) gives both parts back
        (10_000, 20_000, 0, 0, 10_000, 20_000),
    ],
)
def test_r_ref_10_deductions_come_from_cash_first(
    cash: int, points: int, watched: int, request_day: int, refund_cash: int, refund_points: int
) -> None:
    """R-REF-10: deductions from the cash part first; the rest comes back in kind."""
    quote = quote_refund(
        make_case(
            paid_cash_jpy=cash,
            paid_points=points,
            lectures_watched=watched,
            request_day=request_day,
        )
    )
    assert (quote.refund_cash_jpy, quote.refund_points) == (refund_cash, refund_points)
    assert quote.refund_total_jpy == refund_cash + refund_points
    assert quote.paid_jpy == cash + points


# --- R-REF-11 breakdown -------------------------------------------------------------------------


def test_r_ref_11_breakdown_names_rule_fees_and_parts() -> None:
    """R-REF-11: mixed payment, package after 7 days, one bonus unreturned, ¥300 refund cost:
    paid 40000 + 60000; period 5000; penalty 10000; bonus 3000; cost 300 → 81700 (cash 21700)."""
    quote = quote_refund(
        package_case(
            paid_cash_jpy=40_000,
            paid_points=60_000,
            bonus_items=BONUSES,
            refund_cost_jpy=300,
            request_day=8,
        )
    )
    assert quote.rule == "R-REF-4"
    assert [(line.code, line.amount_jpy) for line in quote.lines] == [
        ("paid_cash", 40_000),
        ("paid_points", 60_000),
        ("period_fee", -5_000),
        ("penalty", -10_000),
        ("bonus_deduction", -3_000),
        ("refund_cost", -300),
    ]
    assert sum(line.amount_jpy for line in quote.lines) == quote.refund_total_jpy == 81_700
    assert (quote.refund_cash_jpy, quote.refund_points) == (21_700, 60_000)
    assert quote.deductions_jpy == 18_300
    period_line = quote.lines[2]
    assert "¥100,000 × 9 日 ÷ 基本受講期間 180 日" in period_line.ja
    assert "9 days used" in period_line.en
    assert "問題集" in quote.lines[4].ja


def test_r_ref_11_breakdown_says_which_usage_fee_won() -> None:
    """R-REF-11: when both fees count, the line names the one not taken."""
    lecture = quote_refund(make_case(lectures_watched=5, request_day=29)).lines[1]
    assert lecture.code == "lecture_fee"
    assert "¥10,000" in lecture.en  # the lower period fee
    period = quote_refund(make_case(lectures_watched=3, request_day=29)).lines[1]
    assert period.code == "period_fee"
    assert "¥9,000" in period.en  # the lower lecture fee


def test_r_ref_11_recomputed_on_the_execution_day() -> None:
    """R-REF-11: a quote on day 7 (full) and its execution on day 8 (period fee) differ."""
    case = make_case(lectures_watched=1, request_day=7)
    assert quote_refund(case).refund_total_jpy == 30_000
    assert quote_refund(replace(case, requested_on=day(8))).refund_total_jpy == 27_000


# --- Input checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"paid_cash_jpy": -1}, ValueError),
        ({"paid_points": 1.5}, TypeError),
        ({"list_price_jpy": True}, TypeError),
        ({"base_access_days": 0}, ValueError),
        ({"lectures_total": 0}, ValueError),
        ({"lectures_watched": 11}, ValueError),
        ({"requested_on": PAID_ON - timedelta(days=1)}, ValueError),
        ({"bonus_items": [BonusItem("x", -1, False)]}, ValueError),
    ],
)
def test_refund_case_refuses_impossible_values(overrides: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        make_case(**overrides)
