"""The contract of refund quotes and refunds (R-REF-1…11).

A quote names the rule that decides (R-REF-1…5, R-REF-7 when refused, R-REF-8 for goods), the
inputs it read (L, P in cash and points, N, W, T, E, the days, bonus items), each fee, and the
refund split into cash (back to Amazon Pay) and points (back as points, R-REF-10). Its `lines`
add up to the refund: + what was paid, − each deduction.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.kit.schemas import ResponseSchema, Schema
from app.models.commerce import ProductKind, RefundStatus
from app.models.payment import OrderStatus
from app.payments.rules.goods import GoodsRefundReason

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class GoodsConditions(BaseModel):
    """Physical goods only (R-REF-8): why the member cancels and the state the goods are in."""

    reason: GoodsRefundReason = Field(
        default=GoodsRefundReason.change_of_mind,
        description="`change_of_mind` (7 days from receipt) or `not_as_described` (3 months "
        "from receipt or 30 days from discovery).",
    )
    discovered_on: date | None = Field(
        default=None, description="Not as described: the day the member found out."
    )
    damaged_by_member: bool = False
    used: bool = False
    seal_broken: bool = Field(default=False, description="The seal of a copyable item is broken.")


class RefundExecute(Schema):
    reason: Reason = Field(description="Why the refund is made (kept and audited, R-ID-12).")
    bonus_items_returned: bool = Field(
        default=False,
        description="Every bonus item came back; otherwise their list prices are deducted "
        "(R-REF-6).",
    )
    requested_on: date | None = Field(
        default=None,
        description="Goods only: the day the member asked (defaults to today). Online products "
        "are always recomputed on the execution day (R-REF-11).",
    )
    goods: GoodsConditions | None = Field(default=None, description="Goods only.")


class BonusItemInput(ResponseSchema):
    name: str
    list_price_jpy: int
    is_returned: bool


class QuoteInputs(ResponseSchema):
    """What the formula read (SPEC §8 terms)."""

    list_price_jpy: int = Field(description="L")
    paid_cash_jpy: int
    paid_points: int
    paid_jpy: int = Field(description="P = cash + points")
    lectures_total: int = Field(description="N (0 for an extension)")
    lectures_watched: int = Field(
        description="W: lectures started or whose material was downloaded"
    )
    base_access_days: int = Field(description="T")
    days_used: int = Field(description="E: access start to the request day, both counted")
    paid_on: date
    access_starts_on: date | None
    access_ends_on: date
    certificate_issued: bool = Field(
        description="Always false for now: the platform issues no certificates yet."
    )
    bonus_items: list[BonusItemInput]
    refund_cost_jpy: int = Field(description="R-REF-9: borne by the member (configurable).")


class GoodsQuote(ResponseSchema):
    reason: GoodsRefundReason
    received_on: date | None
    deadline_on: date | None = Field(description="Last day a request is accepted.")
    shipped_on: date | None
    returned_on: date | None
    requires_return: bool = Field(description="The goods must come back before the refund.")
    refund_due_by_on: date | None = Field(description="5 business days after the return (R-REF-8).")


class QuoteLine(ResponseSchema):
    code: str = Field(
        description="`paid_cash`, `paid_points`, `lecture_fee`, `period_fee`, `penalty`, "
        "`bonus_deduction`, `refund_cost`."
    )
    amount_jpy: int = Field(description="+ paid, − deducted.")
    ja: str
    en: str


class RefundQuoteOut(ResponseSchema):
    purchase_id: uuid.UUID
    order_number: str
    kind: ProductKind
    requested_on: date
    rule: str = Field(description="The deciding rule: R-REF-1…5, R-REF-7 (refused), R-REF-8.")
    formula_rule: str | None = Field(description="The formula's rule, also when refused.")
    refundable: bool
    refusal_reason: str | None = Field(
        description="`period_ended`, `base_days_used_up`, `certificate_issued`, "
        "`deductions_exceed_paid` (R-REF-7); goods: `deadline_passed`, `damaged_by_member`, "
        "`used`, `seal_broken` (R-REF-8)."
    )
    is_within_7_days: bool | None
    is_full_refund: bool
    inputs: QuoteInputs | None = Field(description="Online products: the formula's inputs.")
    goods: GoodsQuote | None = Field(description="Goods: R-REF-8's dates.")
    lecture_fee_jpy: int | None
    period_fee_jpy: int | None
    usage_fee_jpy: int
    usage_fee_basis: str | None = Field(description="`lecture` or `period`: which fee applied.")
    penalty_jpy: int
    bonus_deduction_jpy: int
    refund_cost_jpy: int
    deductions_jpy: int
    refund_total_jpy: int
    refund_cash_jpy: int = Field(description="Back to Amazon Pay.")
    refund_points: int = Field(description="Back as points, never cash (R-REF-10).")
    currency: Literal["JPY"] = "JPY"
    lines: list[QuoteLine]


class RefundOut(ResponseSchema):
    id: uuid.UUID
    purchase_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    order_status: OrderStatus
    status: RefundStatus = Field(
        description="`initiated` (Amazon Pay is refunding), `refunded`, `declined`."
    )
    rule: str
    cash_jpy: int
    points: int
    points_expires_on: date | None = Field(description="Returned points usable through this day.")
    currency: Literal["JPY"] = "JPY"
    reason: str
    bonus_items_returned: bool
    requested_on: date
    executed_at: datetime
    executed_by_user_id: uuid.UUID | None
    provider_refund_id: str | None
    provider_state: str | None
    refunded_at: datetime | None
    due_by_on: date | None = Field(description="Goods: refund due by (R-REF-8).")
    quote: RefundQuoteOut
