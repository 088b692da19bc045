"""Refund properties over any case (R-REF-1 … R-REF-7, R-REF-10, R-REF-11)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.payments.rules.refunds import BonusItem, ProductKind, RefundCase, quote_refund


@st.composite
def refund_cases(draw: st.DrawFn) -> RefundCase:
    kind = draw(st.sampled_from(list(ProductKind)))
    list_price = draw(st.integers(min_value=0, max_value=500_000))
    paid = draw(st.integers(min_value=0, max_value=list_price + list_price // 10))
    cash = draw(st.integers(min_value=0, max_value=paid))
    lectures = draw(st.integers(min_value=0 if kind is ProductKind.extension else 1, max_value=60))
    paid_on = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)))
    starts_after = draw(st.integers(min_value=0, max_value=40))
    base_days = draw(st.integers(min_value=1, max_value=400))
    return RefundCase(
        kind=kind,
        list_price_jpy=list_price,
        paid_cash_jpy=cash,
        paid_points=paid - cash,
        lectures_total=lectures,
        lectures_watched=draw(st.integers(min_value=0, max_value=lectures)),
        base_access_days=base_days,
        paid_on=paid_on,
        requested_on=paid_on + timedelta(days=draw(st.integers(min_value=0, max_value=450))),
        access_starts_on=paid_on + timedelta(days=starts_after) if starts_after else None,
        access_ends_on=paid_on + timedelta(days=draw(st.integers(min_value=0, max_value=600))),
        certificate_issued=draw(st.integers(min_value=0, max_value=9)) == 0,
        bonus_items=draw(
            st.lists(
                st.builds(
                    BonusItem,
                    name=st.text(max_size=8),
                    list_price_jpy=st.integers(min_value=0, max_value=20_000),
                    is_returned=st.booleans(),
                ),
                max_size=3,
            )
        ),
        refund_cost_jpy=draw(st.sampled_from([0, 0, 0, 330, 770])),
    )


@given(refund_cases())
def test_r_ref_refund_is_never_negative_nor_above_what_was_paid(case: RefundCase) -> None:
    """R-REF-7/10: 0 ≤ cash back ≤ cash paid, 0 ≤ points back ≤ points paid."""
    quote = quote_refund(case)
    assert 0 <= quote.refund_cash_jpy <= case.paid_cash_jpy
    assert 0 <= quote.refund_points <= case.paid_points
    assert quote.refund_total_jpy == quote.refund_cash_jpy + quote.refund_points
    assert min(quote.usage_fee_jpy, quote.penalty_jpy, quote.bonus_deduction_jpy) >= 0


@given(refund_cases())
def test_r_ref_11_breakdown_adds_up(case: RefundCase) -> None:
    """R-REF-11: lines add up to P − deductions, which is the refund when refundable."""
    quote = quote_refund(case)
    assert sum(line.amount_jpy for line in quote.lines) == case.paid_jpy - quote.deductions_jpy
    assert quote.deductions_jpy == (
        quote.usage_fee_jpy + quote.penalty_jpy + quote.bonus_deduction_jpy + quote.refund_cost_jpy
    )
    if quote.refundable:
        assert quote.refund_total_jpy == case.paid_jpy - quote.deductions_jpy > 0
        assert quote.rule == quote.formula_rule
    else:
        assert quote.refund_total_jpy == 0
        assert quote.rule == "R-REF-7"
        assert quote.refusal_reason is not None


@given(refund_cases())
def test_r_ref_10_cash_absorbs_deductions_before_points(case: RefundCase) -> None:
    """R-REF-10: points are reduced only once the cash part is used up."""
    quote = quote_refund(case)
    if quote.refundable and quote.refund_points < case.paid_points:
        assert quote.refund_cash_jpy == 0


@given(refund_cases())
def test_r_ref_refund_does_not_grow_with_lectures_watched(case: RefundCase) -> None:
    """R-REF-1 … R-REF-3: one more lecture watched never raises the refund."""
    if case.lectures_watched < case.lectures_total:
        more = replace(case, lectures_watched=case.lectures_watched + 1)
        assert quote_refund(more).refund_total_jpy <= quote_refund(case).refund_total_jpy


@given(refund_cases())
def test_r_ref_refund_does_not_grow_with_days_used(case: RefundCase) -> None:
    """R-REF-1 … R-REF-5: one day later never raises the refund — within the same 7-day window,
    and across it for single courses and extensions. (Packages and passes switch from
    max(lecture, period) to period + penalty on day 8, which can be higher: see
    test_r_ref_3_4_as_written_a_package_watched_through_refunds_more_on_day_8.)"""
    later = replace(case, requested_on=case.requested_on + timedelta(days=1))
    same_window = quote_refund(later).is_within_7_days == quote_refund(case).is_within_7_days
    if same_window or case.kind in (ProductKind.single_course, ProductKind.extension):
        assert quote_refund(later).refund_total_jpy <= quote_refund(case).refund_total_jpy
