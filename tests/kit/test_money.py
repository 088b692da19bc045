"""Yen arithmetic (SPEC §0 Money; R-B2B-8 tax, R-B2B-9/10, R-REF-4/5/11 rounding down)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.kit.money import (
    TAX_RATE_PERCENT,
    Money,
    apply_rate,
    consumption_tax,
    consumption_tax_included,
    invoice_total,
    percent_of,
    prorate,
    with_tax,
)

yen = st.integers(min_value=0, max_value=10**12)


def test_tax_rate_is_ten_percent() -> None:
    assert TAX_RATE_PERCENT == 10


@pytest.mark.parametrize(
    ("amount", "tax"),
    [(0, 0), (9, 0), (10, 1), (19, 1), (1_500, 150), (64_000, 6_400), (1_234_567, 123_456)],
)
def test_r_b2b_8_consumption_tax_is_rounded_down(amount: int, tax: int) -> None:
    """R-B2B-8: 10% tax, rounded down."""
    assert consumption_tax(amount) == tax
    assert with_tax(amount) == amount + tax


def test_r_b2b_8_tax_is_computed_once_per_invoice_not_per_line() -> None:
    """R-B2B-8: three ¥15 lines → tax on ¥45 is ¥4; per-line flooring would give ¥3."""
    total = invoice_total([15, 15, 15])
    assert total.subtotal_excl_tax_jpy == 45
    assert total.consumption_tax_jpy == 4
    assert total.total_jpy == 49
    assert sum(consumption_tax(15) for _ in range(3)) == 3  # the error the rule prevents


def test_invoice_of_seats_and_initial_fee() -> None:
    """R-B2B-2: 12 seats of the recommended plan (¥1,500) plus the ¥64,000 initial fee."""
    total = invoice_total([12 * 1_500, 64_000])
    assert total == (82_000, 8_200, 90_200)


def test_empty_invoice_is_zero() -> None:
    assert invoice_total([]) == (0, 0, 0)


@pytest.mark.parametrize(("incl", "tax"), [(4_400, 400), (1_100, 100), (1_000, 90), (0, 0)])
def test_tax_contained_in_a_consumer_price_is_rounded_down(incl: int, tax: int) -> None:
    """SPEC §0: consumer prices are tax-inclusive; the receipt shows the tax they contain."""
    assert consumption_tax_included(incl) == tax


@given(yen)
def test_tax_included_in_with_tax_recovers_the_tax(amount: int) -> None:
    assert consumption_tax_included(with_tax(amount)) == consumption_tax(amount)


@given(yen)
def test_consumption_tax_is_the_floor_of_ten_percent(amount: int) -> None:
    tax = consumption_tax(amount)
    assert tax * 10 <= amount < (tax + 1) * 10


# --- prorate / percent_of / apply_rate ----------------------------------------------------------


def test_r_ref_period_fee_is_rounded_down() -> None:
    """R-REF-11: period fee L × E / T rounded down: ¥10,000 × 10 / 30 = ¥3,333."""
    assert prorate(10_000, 10, 30) == 3_333


def test_r_b2b_9_outage_credit() -> None:
    """R-B2B-9: 2 whole days out in a 31-day month of ¥150,000 → ¥9,677 (9,677.4… down)."""
    assert prorate(150_000, 2, 31) == 9_677


def test_r_b2b_10_late_interest_floors_once_at_the_end() -> None:
    """R-B2B-10: 14.6% a year, for the days overdue, ÷ 365, rounded down."""
    # ¥1,000,000 × 14.6% × 30 / 365 = ¥12,000 exactly.
    assert apply_rate(1_000_000, Decimal("14.6"), 30, 365) == 12_000
    # ¥99,999 × 14.6% × 1 / 365 = 39.9996 → ¥39 (a float or an early floor could say 40 or 38).
    assert apply_rate(99_999, Decimal("14.6"), 1, 365) == 39


def test_r_ref_4_penalty_is_ten_percent_rounded_down() -> None:
    """R-REF-4/5: penalty = 10% of P, rounded down."""
    assert percent_of(12_345, 10) == 1_234
    assert percent_of(12_345, Decimal("12.5")) == 1_543  # 1,543.125


def test_prorate_allows_ratios_above_one() -> None:
    assert prorate(1_000, 3, 2) == 1_500


@given(yen, st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_prorate_is_the_exact_floor(amount: int, numerator: int, denominator: int) -> None:
    result = prorate(amount, numerator, denominator)
    exact = Fraction(amount * numerator, denominator)
    assert result <= exact < result + 1


@given(yen, st.data())
def test_prorate_never_exceeds_the_amount_for_a_share(amount: int, data: st.DataObject) -> None:
    denominator = data.draw(st.integers(min_value=1, max_value=10**6))
    numerator = data.draw(st.integers(min_value=0, max_value=denominator))
    result = prorate(amount, numerator, denominator)
    assert 0 <= result <= amount


@given(yen, st.decimals(min_value=0, max_value=100, places=3, allow_nan=False))
def test_percent_of_is_the_exact_floor(amount: int, percent: Decimal) -> None:
    result = percent_of(amount, percent)
    exact = Fraction(amount) * Fraction(percent) / 100
    assert result <= exact < result + 1
    assert 0 <= result <= amount


@given(yen, st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=3650))
def test_apply_rate_never_below_flooring_in_steps(amount: int, percent: int, days: int) -> None:
    """Flooring once never loses more than flooring twice (customer-favour, one yen at most)."""
    once = apply_rate(amount, percent, days, 365)
    twice = prorate(percent_of(amount, percent), days, 365)
    assert twice <= once


# --- Input validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: consumption_tax(-1),
        lambda: with_tax(-100),
        lambda: consumption_tax_included(-1),
        lambda: prorate(-1, 1, 2),
        lambda: prorate(100, -1, 2),
        lambda: prorate(100, 1, 0),
        lambda: prorate(100, 1, -3),
        lambda: percent_of(-5, 10),
        lambda: percent_of(100, -1),
        lambda: percent_of(100, Decimal("NaN")),
        lambda: invoice_total([100, -1]),
    ],
)
def test_negative_or_impossible_inputs_raise_value_error(call: Any) -> None:
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: consumption_tax(100.0),  # type: ignore[arg-type]
        lambda: prorate(100, 0.5, 1),  # type: ignore[arg-type]
        lambda: percent_of(100, 14.6),  # type: ignore[arg-type]
        lambda: percent_of(True, 10),
        lambda: with_tax("100"),  # type: ignore[arg-type]
    ],
)
def test_floats_and_non_integers_are_refused(call: Any) -> None:
    """SPEC §0: integer yen, never floats."""
    with pytest.raises(TypeError):
        call()


# --- Money --------------------------------------------------------------------------------------


def test_money_serializes_with_currency_beside_the_amount() -> None:
    """API.md: `currency: "JPY"` beside every amount."""
    assert Money.of(4_400).model_dump(mode="json") == {"amount_jpy": 4_400, "currency": "JPY"}


def test_money_refuses_other_currencies_and_fractional_yen() -> None:
    with pytest.raises(ValidationError):
        Money(amount_jpy=100, currency="USD")
    with pytest.raises(ValidationError):
        Money(amount_jpy=100.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Money(amount_jpy="100")  # type: ignore[arg-type]


def test_money_schema_names_jpy() -> None:
    schema = Money.model_json_schema()
    assert schema["properties"]["amount_jpy"]["type"] == "integer"
    assert schema["properties"]["currency"]["const"] == "JPY"
