"""Refund quotes (R-REF-1…11): gather the inputs of one purchase and apply the pure rules.

Online products (single course, package, pass, extension) go through
`app.payments.rules.refunds.quote_refund`; physical goods through
`app.payments.rules.goods.physical_goods_refund_decision`. This module only collects values:

- L, T and the bonus items are the purchase's own copy (what was sold); P is the order's cash
  and points; the payment day and the access window are the purchase's (JST).
- N = the lessons of the product's published course(s); W = those the member started or whose
  material they downloaded, counted up to now (`refunds.repository.lectures_watched`). An
  extension has no lectures of its own (N = W = 0; R-REF-5 reads only E).
- E counts from the purchase's access start (for an extension: the first added day) to the
  request day, both included; the request day is today (JST), since a quote and an execution
  are always computed on their own day (R-REF-11).
- Certificates: the platform issues none yet, so "certificate issued" (for a pass: all of its
  certificates) is always False here. The correspondence issue that adds certificates must feed
  the real value into `RefundCase.certificate_issued`.
- R-REF-9's refund cost comes from settings (`MANABI_PURCHASE_REFUND_COST_JPY`, default ¥0).
- Goods (R-REF-8): a refund before receipt is a plain cancellation (allowed); after receipt the
  deadline and condition rules apply; shipped goods must come back first and the refund is due
  within 5 business days of their return. P comes back minus the refund cost, deducted from the
  cash part first (R-REF-10).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.commerce import ProductKind, Purchase
from app.models.payment import PaymentOrder
from app.payments.products import repository as products
from app.payments.refunds import repository
from app.payments.refunds.errors import GoodsRequestInvalid, RefundQuoteUnavailable
from app.payments.refunds.schemas import (
    BonusItemInput,
    GoodsConditions,
    GoodsQuote,
    QuoteInputs,
    QuoteLine,
    RefundQuoteOut,
)
from app.payments.rules import goods as goods_rules
from app.payments.rules import refunds as rules


async def _lectures(session: AsyncSession, purchase: Purchase) -> tuple[int, int]:
    """(N, W) of an online product."""
    if purchase.kind is ProductKind.extension:
        return 0, 0
    product = await products.get(session, purchase.product_id)
    assert product is not None
    lessons = await products.lesson_ids(
        session, course_id=product.course_id, content_set_id=product.content_set_id
    )
    watched = await repository.lectures_watched(session, purchase.user_id, lessons)
    return len(lessons), watched


async def quote_online(
    session: AsyncSession,
    purchase: Purchase,
    order: PaymentOrder,
    *,
    today: date,
    bonus_items_returned: bool,
    refund_cost_jpy: int,
) -> RefundQuoteOut:
    assert purchase.paid_on is not None and purchase.access_ends_on is not None
    assert purchase.base_access_days is not None
    lectures_total, watched = await _lectures(session, purchase)
    if lectures_total == 0 and purchase.kind is not ProductKind.extension:
        raise RefundQuoteUnavailable()
    case = rules.RefundCase(
        kind=rules.ProductKind(purchase.kind.value),
        list_price_jpy=purchase.list_price_jpy,
        paid_cash_jpy=order.cash_jpy,
        paid_points=order.points_used,
        lectures_total=lectures_total,
        lectures_watched=min(watched, lectures_total),
        base_access_days=purchase.base_access_days,
        paid_on=purchase.paid_on,
        requested_on=max(today, purchase.paid_on),
        access_ends_on=purchase.access_ends_on,
        certificate_issued=False,  # no certificates exist yet (module docstring)
        bonus_items=[
            rules.BonusItem(
                name=str(item["name"]),
                list_price_jpy=int(item["list_price_jpy"]),
                is_returned=bonus_items_returned,
            )
            for item in purchase.bonus_items
        ],
        refund_cost_jpy=refund_cost_jpy,
        access_starts_on=purchase.access_starts_on,
    )
    quote = rules.quote_refund(case)
    inputs = QuoteInputs(
        list_price_jpy=case.list_price_jpy,
        paid_cash_jpy=case.paid_cash_jpy,
        paid_points=case.paid_points,
        paid_jpy=case.paid_jpy,
        lectures_total=case.lectures_total,
        lectures_watched=case.lectures_watched,
        base_access_days=case.base_access_days,
        days_used=quote.days_used,
        paid_on=case.paid_on,
        access_starts_on=case.access_starts_on,
        access_ends_on=case.access_ends_on,
        certificate_issued=case.certificate_issued,
        bonus_items=[BonusItemInput.model_validate(asdict(item)) for item in case.bonus_items],
        refund_cost_jpy=refund_cost_jpy,
    )
    return RefundQuoteOut(
        purchase_id=purchase.id,
        order_number=order.order_number,
        kind=purchase.kind,
        requested_on=case.requested_on,
        rule=quote.rule,
        formula_rule=quote.formula_rule,
        refundable=quote.refundable,
        refusal_reason=quote.refusal_reason.value if quote.refusal_reason else None,
        is_within_7_days=quote.is_within_7_days,
        is_full_refund=quote.is_full_refund,
        inputs=inputs,
        goods=None,
        lecture_fee_jpy=quote.lecture_fee_jpy,
        period_fee_jpy=quote.period_fee_jpy,
        usage_fee_jpy=quote.usage_fee_jpy,
        usage_fee_basis=quote.usage_fee_basis.value if quote.usage_fee_basis else None,
        penalty_jpy=quote.penalty_jpy,
        bonus_deduction_jpy=quote.bonus_deduction_jpy,
        refund_cost_jpy=quote.refund_cost_jpy,
        deductions_jpy=quote.deductions_jpy,
        refund_total_jpy=quote.refund_total_jpy,
        refund_cash_jpy=quote.refund_cash_jpy,
        refund_points=quote.refund_points,
        lines=[QuoteLine.model_validate(asdict(line)) for line in quote.lines],
    )


def quote_goods(
    purchase: Purchase,
    order: PaymentOrder,
    *,
    today: date,
    requested_on: date | None,
    conditions: GoodsConditions,
    refund_cost_jpy: int,
) -> RefundQuoteOut:
    """R-REF-8 (with R-REF-9/10 for the amounts)."""
    request_day = requested_on or today
    if request_day > today or (purchase.paid_on is not None and request_day < purchase.paid_on):
        raise GoodsRequestInvalid(errors={"body.requested_on": ["between_payment_and_today"]})
    received = purchase.received_on
    if received is not None and request_day < received:
        raise GoodsRequestInvalid(errors={"body.requested_on": ["before_receipt"]})
    if (
        conditions.discovered_on is not None
        and received is not None
        and conditions.discovered_on < received
    ):
        raise GoodsRequestInvalid(errors={"body.goods.discovered_on": ["before_receipt"]})
    if received is None:
        rule, allowed, deadline, refusal = "R-REF-8", True, None, None
    else:
        decision = goods_rules.physical_goods_refund_decision(
            received_on=received,
            requested_on=request_day,
            reason=conditions.reason,
            discovered_on=conditions.discovered_on,
            damaged_by_member=conditions.damaged_by_member,
            used=conditions.used,
            seal_broken_on_copyable=conditions.seal_broken and purchase.is_copyable,
        )
        rule, allowed, deadline = decision.rule, decision.is_allowed, decision.deadline_on
        refusal = decision.refusal_reason.value if decision.refusal_reason else None

    cash, points = order.cash_jpy, order.points_used
    cost = refund_cost_jpy if cash > 0 else 0
    if allowed and cost >= cash + points:
        rule, allowed, refusal = "R-REF-7", False, rules.RefundRefusal.deductions_exceed_paid.value
    refund_cash = max(0, cash - cost) if allowed else 0
    refund_points = points - max(0, cost - cash) if allowed else 0
    lines = []
    if cash:
        lines.append(
            QuoteLine(code="paid_cash", amount_jpy=cash, ja="お支払い金額(現金)", en="Paid in cash")
        )
    if points:
        lines.append(
            QuoteLine(
                code="paid_points",
                amount_jpy=points,
                ja="お支払い金額(ポイント)",
                en="Paid in points",
            )
        )
    if cost:
        lines.append(
            QuoteLine(
                code="refund_cost", amount_jpy=-cost, ja="返金手数料(会員負担)", en="Refund cost"
            )
        )
    return RefundQuoteOut(
        purchase_id=purchase.id,
        order_number=order.order_number,
        kind=purchase.kind,
        requested_on=request_day,
        rule=rule,
        formula_rule=None,
        refundable=allowed,
        refusal_reason=refusal,
        is_within_7_days=None,
        is_full_refund=cost == 0,
        inputs=None,
        goods=GoodsQuote(
            reason=conditions.reason,
            received_on=received,
            deadline_on=deadline,
            shipped_on=purchase.shipped_on,
            returned_on=purchase.returned_on,
            requires_return=purchase.shipped_on is not None,
            refund_due_by_on=goods_rules.refund_due_by(purchase.returned_on)
            if purchase.returned_on is not None
            else None,
        ),
        lecture_fee_jpy=None,
        period_fee_jpy=None,
        usage_fee_jpy=0,
        usage_fee_basis=None,
        penalty_jpy=0,
        bonus_deduction_jpy=0,
        refund_cost_jpy=cost,
        deductions_jpy=cost,
        refund_total_jpy=refund_cash + refund_points,
        refund_cash_jpy=refund_cash,
        refund_points=refund_points,
        lines=lines,
    )
