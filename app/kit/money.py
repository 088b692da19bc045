"""Yen arithmetic: integer yen, consumption tax, proration and percentages, all rounded down.

SPEC §0 Money: amounts are integer yen, never floats (a float cannot hold 0.1 exactly, and
14.6% of an invoice computed in floats can land one yen off). Consumer prices are tax-inclusive;
B2B prices are tax-exclusive with 10% consumption tax computed **once per invoice** and rounded
down (R-B2B-8); fractions of a yen in fees and deductions are rounded down in the customer's
favour (R-REF-11, R-B2B-9 outage credit, R-B2B-10 late interest).

Every function takes and returns `int`; ratios are integer numerator/denominator pairs or exact
`Decimal`s, and the floor is taken once, at the end, on exact rational arithmetic. Negative
amounts are refused (`ValueError`): a refund or credit is a positive amount moving the other way,
never a negative price. Floats (and bools, which Python treats as ints) are refused (`TypeError`).

`Money` is the API shape of an amount: `{"amount_jpy": 1500, "currency": "JPY"}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

TAX_RATE_PERCENT = 10
"""Japanese consumption tax (標準税率), percent."""

CURRENCY = "JPY"


def _yen(value: int, name: str = "amount_jpy") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of yen, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _floor(value: Fraction) -> int:
    # Exact floor of a rational; no intermediate float ever exists.
    return value.numerator // value.denominator


# --- Tax ----------------------------------------------------------------------------------------


def consumption_tax(amount_excl_tax_jpy: int) -> int:
    """10% consumption tax on a tax-exclusive amount, rounded down (R-B2B-8).

    Call it once on an invoice's subtotal, not per line: per-line flooring undercharges by up to
    one yen per line. `invoice_total` does that for you.
    """
    return _yen(amount_excl_tax_jpy, "amount_excl_tax_jpy") * TAX_RATE_PERCENT // 100


def with_tax(amount_excl_tax_jpy: int) -> int:
    """The tax-inclusive amount: the amount plus its (rounded-down) consumption tax."""
    return amount_excl_tax_jpy + consumption_tax(amount_excl_tax_jpy)


def consumption_tax_included(amount_incl_tax_jpy: int) -> int:
    """The consumption tax contained in a tax-inclusive consumer price (内消費税), rounded down.

    For receipts: ¥4,400 contains ¥400; ¥1,000 contains ¥90 (90.9… rounded down).
    """
    amount = _yen(amount_incl_tax_jpy, "amount_incl_tax_jpy")
    return amount * TAX_RATE_PERCENT // (100 + TAX_RATE_PERCENT)


class InvoiceTotal(NamedTuple):
    subtotal_excl_tax_jpy: int
    consumption_tax_jpy: int
    total_jpy: int


def invoice_total(line_amounts_excl_tax_jpy: Iterable[int]) -> InvoiceTotal:
    """Subtotal, tax once on the subtotal (rounded down), and total of a B2B invoice (R-B2B-8)."""
    subtotal = sum(_yen(amount, "line amount") for amount in line_amounts_excl_tax_jpy)
    tax = consumption_tax(subtotal)
    return InvoiceTotal(subtotal, tax, subtotal + tax)


# --- Fractions of an amount ---------------------------------------------------------------------


def prorate(amount_jpy: int, numerator: int, denominator: int) -> int:
    """floor(amount × numerator / denominator), in exact integer arithmetic.

    The period fee L × E / T and lecture fee L × W / N (R-REF), the outage credit
    days × fee / days-in-month (R-B2B-9). The result exceeds `amount_jpy` only when
    `numerator > denominator`, which is allowed (a period fee computed for E > T, before R-REF-7
    refuses the refund).
    """
    _yen(amount_jpy)
    return _floor(Fraction(amount_jpy) * _ratio(numerator, denominator))


def percent_of(amount_jpy: int, percent: int | Decimal) -> int:
    """floor(amount × percent / 100); `percent` is an int or an exact `Decimal("14.6")`.

    The 10% penalty of R-REF-4/5, the volume discount of R-B2B-2.
    """
    _yen(amount_jpy)
    return _floor(Fraction(amount_jpy) * _percent(percent) / 100)


def apply_rate(amount_jpy: int, percent: int | Decimal, numerator: int, denominator: int) -> int:
    """floor(amount × percent / 100 × numerator / denominator), rounded down once at the end.

    For a rate over part of a period, where flooring the percentage first could lose a yen:
    late interest is `apply_rate(overdue_jpy, Decimal("14.6"), days, 365)` (R-B2B-10).
    """
    _yen(amount_jpy)
    return _floor(Fraction(amount_jpy) * _percent(percent) / 100 * _ratio(numerator, denominator))


def _ratio(numerator: int, denominator: int) -> Fraction:
    if isinstance(numerator, bool) or not isinstance(numerator, int):
        raise TypeError("numerator must be an int")
    if isinstance(denominator, bool) or not isinstance(denominator, int):
        raise TypeError("denominator must be an int")
    if numerator < 0:
        raise ValueError("numerator must be >= 0")
    if denominator <= 0:
        raise ValueError("denominator must be > 0")
    return Fraction(numerator, denominator)


def _percent(percent: int | Decimal) -> Fraction:
    if isinstance(percent, bool) or not isinstance(percent, int | Decimal):
        raise TypeError(f"percent must be an int or Decimal, got {type(percent).__name__}")
    if isinstance(percent, Decimal) and not percent.is_finite():
        raise ValueError("percent must be finite")
    if percent < 0:
        raise ValueError("percent must be >= 0")
    return Fraction(percent)


# --- API shape ----------------------------------------------------------------------------------


class Money(BaseModel):
    """An amount in the API: integer yen with its currency beside it (API.md "Money")."""

    model_config = ConfigDict(frozen=True)

    amount_jpy: int = Field(strict=True, description="Integer yen.", examples=[1500])
    currency: Literal["JPY"] = "JPY"

    @classmethod
    def of(cls, amount_jpy: int) -> Money:
        return cls(amount_jpy=amount_jpy)
