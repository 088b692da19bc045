"""Refund use cases (R-REF-1…11, R-ID-12): quotes, staff execution, the provider's refund state.

Execution (`execute_refund`) happens exactly once per purchase, under retries and concurrency:

1. The purchase row is locked (`FOR UPDATE`); a second request waits, then finds the refund
   row and is refused (`purchase-already-refunded`); the unique index on `purchase_id` backs it.
2. The quote is recomputed on the execution day (R-REF-11); a refusal changes nothing.
3. The `PurchaseRefund` row is written with its deterministic provider key
   `ref-<purchase hex 24>-1` before the provider is called. If the provider cannot be reached
   the whole transaction rolls back (503) and a retry derives the same key, so the provider
   answers with the refund it may already have made instead of refunding twice.
4. The cash part is refunded through the provider (R-REF-9: back to the original payment
   method); the points part comes back as one points grant per R-REF-10; the order records the
   refunded amounts and becomes `refunded` or `partially_refunded`; the purchase's grants end
   now (for a paid extension: the target purchase loses the days not yet used); the refund is
   audited (`purchase.refunded`, R-ID-12) and the member emailed.

`apply_refund_state` is the webhook job's hook: RefundInitiated → Refunded (or Declined), forward
only, by the provider's `lastUpdatedTimestamp`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.entitlements.service import end_grants
from app.kit.calendar import jst_date
from app.kit.request_context import ClientInfo
from app.models.commerce import (
    ACCESS_KINDS,
    ProductKind,
    Purchase,
    PurchaseRefund,
    PurchaseStatus,
    RefundStatus,
)
from app.models.entitlement import GrantSource
from app.models.payment import OrderStatus, PaymentOrder
from app.payments.errors import PaymentProviderUnavailable
from app.payments.points.service import give_back_points
from app.payments.provider.client import ProviderClient
from app.payments.provider.errors import (
    ProviderIdempotencyConflict,
    ProviderRejected,
    ProviderUnavailable,
)
from app.payments.provider.objects import Refund, RefundState
from app.payments.purchases import emails
from app.payments.purchases import repository as purchases
from app.payments.purchases.errors import (
    PurchaseNotFound,
    PurchaseNotPaid,
)
from app.payments.purchases.settlement import grant_end
from app.payments.refunds import quotes, repository
from app.payments.refunds.errors import (
    GoodsNotReturned,
    ProviderRefusedRefund,
    PurchaseAlreadyRefunded,
    RefundNotAllowed,
)
from app.payments.refunds.schemas import GoodsConditions, RefundExecute, RefundQuoteOut

logger = logging.getLogger("manabi.payments.refunds")

PURCHASE_REFUNDED = "purchase.refunded"
REFUND_ATTEMPT = 1
"""One refund per purchase, so one provider key per purchase (`-1`)."""


def refund_key(purchase_id: uuid.UUID, attempt: int = REFUND_ATTEMPT) -> str:
    """The provider idempotency key: deterministic, ≤ 32 characters."""
    return f"ref-{purchase_id.hex[:24]}-{attempt}"


async def quote(
    session: AsyncSession,
    purchase: Purchase,
    order: PaymentOrder,
    *,
    now: datetime,
    refund_cost_jpy: int,
    bonus_items_returned: bool = False,
    requested_on: date | None = None,
    goods: GoodsConditions | None = None,
) -> RefundQuoteOut:
    """The quote of a paid purchase on today's date (JST)."""
    if purchase.status is PurchaseStatus.refunded:
        raise PurchaseAlreadyRefunded()
    if purchase.status is not PurchaseStatus.active:
        raise PurchaseNotPaid(status=purchase.status.value)
    today = jst_date(now)
    if purchase.kind is ProductKind.goods:
        return quotes.quote_goods(
            purchase,
            order,
            today=today,
            requested_on=requested_on,
            conditions=goods or GoodsConditions(),
            refund_cost_jpy=refund_cost_jpy,
        )
    return await quotes.quote_online(
        session,
        purchase,
        order,
        today=today,
        bonus_items_returned=bonus_items_returned,
        refund_cost_jpy=refund_cost_jpy,
    )


async def member_quote(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    purchase_id: uuid.UUID,
    now: datetime,
    refund_cost_jpy: int,
    bonus_items_returned: bool,
    goods: GoodsConditions | None,
) -> RefundQuoteOut:
    purchase = await purchases.member_purchase(session, user_id, purchase_id)
    if purchase is None:
        raise PurchaseNotFound()
    order = (await purchases.orders_by_id(session, [purchase.order_id]))[purchase.order_id]
    return await quote(
        session,
        purchase,
        order,
        now=now,
        refund_cost_jpy=refund_cost_jpy,
        bonus_items_returned=bonus_items_returned,
        goods=goods,
    )


async def staff_quote(
    session: AsyncSession,
    *,
    purchase_id: uuid.UUID,
    now: datetime,
    refund_cost_jpy: int,
    bonus_items_returned: bool,
    goods: GoodsConditions | None,
) -> RefundQuoteOut:
    purchase = await session.get(Purchase, purchase_id)
    if purchase is None:
        raise PurchaseNotFound()
    order = (await purchases.orders_by_id(session, [purchase.order_id]))[purchase.order_id]
    return await quote(
        session,
        purchase,
        order,
        now=now,
        refund_cost_jpy=refund_cost_jpy,
        bonus_items_returned=bonus_items_returned,
        goods=goods,
    )


async def execute_refund(
    session: AsyncSession,
    provider: ProviderClient,
    *,
    purchase_id: uuid.UUID,
    body: RefundExecute,
    actor_id: uuid.UUID | None,
    refund_cost_jpy: int,
    now: datetime,
    client: ClientInfo | None = None,
) -> PurchaseRefund:
    purchase = await purchases.purchase_for_update(session, purchase_id)
    if purchase is None:
        raise PurchaseNotFound()
    if await repository.refund_of_purchase(session, purchase.id) is not None:
        raise PurchaseAlreadyRefunded()
    order = await purchases.order_for_update(session, purchase.order_id)
    result = await quote(
        session,
        purchase,
        order,
        now=now,
        refund_cost_jpy=refund_cost_jpy,
        bonus_items_returned=body.bonus_items_returned,
        requested_on=body.requested_on,
        goods=body.goods,
    )
    if not result.refundable:
        raise RefundNotAllowed(
            rule=result.rule,
            reason=result.refusal_reason,
            extensions={"rule": result.rule, "refusal_reason": result.refusal_reason},
        )
    if purchase.kind is ProductKind.goods and purchase.shipped_on and not purchase.returned_on:
        raise GoodsNotReturned()

    refund = PurchaseRefund(
        id=uuid.uuid4(),
        purchase_id=purchase.id,
        order_id=order.id,
        user_id=purchase.user_id,
        status=RefundStatus.refunded,
        rule=result.rule,
        quote=result.model_dump(mode="json"),
        cash_jpy=result.refund_cash_jpy,
        points=result.refund_points,
        reason=body.reason,
        bonus_items_returned=body.bonus_items_returned,
        requested_on=result.requested_on,
        executed_at=now,
        executed_by_user_id=actor_id,
        idempotency_key=refund_key(purchase.id),
        refunded_at=now,
        due_by_on=result.goods.refund_due_by_on if result.goods else None,
    )
    session.add(refund)
    await session.flush()  # the key is stored before the provider is called
    if refund.cash_jpy > 0:
        await _refund_cash(provider, purchase, refund, now=now)
    grant = await give_back_points(
        session,
        user_id=purchase.user_id,
        purchase_id=purchase.id,
        now=now,
        amount=refund.points,
        refund=True,
        note=f"refund of order {order.order_number}",
    )
    refund.points_grant_id = grant.id if grant is not None else None

    order.refunded_cash_jpy += refund.cash_jpy
    order.refunded_points += refund.points
    order.status = _order_status(order)
    purchase.status = PurchaseStatus.refunded
    purchase.refunded_at = now
    await _end_access(session, purchase, now=now)
    await session.flush()

    await record_audit_event(
        session,
        action=PURCHASE_REFUNDED,
        now=now,
        actor_user_id=actor_id,
        target_type="purchase",
        target_id=purchase.id,
        client=client,
        data={
            "user_id": str(purchase.user_id),
            "order_number": order.order_number,
            "rule": refund.rule,
            "cash_jpy": refund.cash_jpy,
            "points": refund.points,
            "reason": body.reason,
            "provider_refund_id": refund.provider_refund_id,
        },
    )
    await emails.purchase_refunded(
        session,
        purchase,
        order,
        cash_jpy=refund.cash_jpy,
        points=refund.points,
        points_expires_on=grant.expires_on if grant is not None else None,
        breakdown=[(line.ja, line.en, line.amount_jpy) for line in result.lines],
        now=now,
    )
    return refund


async def _refund_cash(
    provider: ProviderClient, purchase: Purchase, refund: PurchaseRefund, *, now: datetime
) -> None:
    assert purchase.provider_charge_id is not None
    try:
        answer = await provider.create_refund(
            charge_id=purchase.provider_charge_id,
            amount_jpy=refund.cash_jpy,
            idempotency_key=refund.idempotency_key,
        )
    except ProviderUnavailable as error:
        raise PaymentProviderUnavailable(headers={"Retry-After": "5"}) from error
    except ProviderIdempotencyConflict as error:
        # A refund with this key and another amount exists (an earlier attempt on another day
        # whose answer was lost): never refund twice; staff reconcile by hand.
        logger.error("refund key reused with another amount", extra={"key": refund.idempotency_key})
        raise ProviderRefusedRefund(reason_code=error.reason_code) from error
    except ProviderRejected as error:
        raise ProviderRefusedRefund(reason_code=error.reason_code) from error
    if answer.state is RefundState.declined:
        raise ProviderRefusedRefund(reason_code=answer.status_details.reason_code or "Declined")
    refund.provider_refund_id = answer.refund_id
    _apply_state(refund, answer, now=now)


def _order_status(order: PaymentOrder) -> OrderStatus:
    if order.refunded_cash_jpy == order.cash_jpy and order.refunded_points == order.points_used:
        return OrderStatus.refunded
    if order.refunded_cash_jpy or order.refunded_points:
        return OrderStatus.partially_refunded
    return OrderStatus.paid


async def _end_access(session: AsyncSession, purchase: Purchase, *, now: datetime) -> None:
    """The refunded purchase's access ends now; an extension gives back its unused days."""
    if purchase.kind in ACCESS_KINDS:
        await end_grants(
            session, source=GrantSource.purchase, source_ref=str(purchase.id), ends_at=now
        )
        return
    if purchase.kind is not ProductKind.extension or purchase.extends_purchase_id is None:
        return
    assert purchase.access_starts_on is not None and purchase.access_ends_on is not None
    target = await purchases.purchase_for_update(session, purchase.extends_purchase_id)
    if target is None or target.status is not PurchaseStatus.active:
        return
    assert target.access_ends_on is not None
    first_unused = max(purchase.access_starts_on, jst_date(now) + timedelta(days=1))
    unused = (purchase.access_ends_on - first_unused).days + 1
    if unused <= 0:
        return
    target.access_ends_on -= timedelta(days=unused)
    target.extended_days = max(0, target.extended_days - unused)
    await end_grants(
        session,
        source=GrantSource.purchase,
        source_ref=str(target.id),
        ends_at=max(now, grant_end(target.access_ends_on)),
    )


_FINAL_REFUND_STATES = (RefundState.refunded, RefundState.declined)


def _apply_state(refund: PurchaseRefund, answer: Refund, *, now: datetime) -> bool:
    """Move `refund` forward to the provider's state; False when `answer` is older or would
    move a final state (Refunded, Declined) anywhere else."""
    seen = refund.provider_updated_at
    stamp = answer.status_details.last_updated_timestamp
    if seen is not None and stamp < seen:
        return False
    current = RefundState(refund.provider_state) if refund.provider_state else None
    if current in _FINAL_REFUND_STATES and answer.state is not current:
        return False
    refund.provider_state = answer.state.value
    refund.provider_reason = answer.status_details.reason_code
    refund.provider_updated_at = stamp
    if answer.state is RefundState.refund_initiated:
        refund.status = RefundStatus.initiated
        refund.refunded_at = None
    elif answer.state is RefundState.refunded:
        refund.status = RefundStatus.refunded
        refund.refunded_at = refund.refunded_at or now
    return True


async def apply_refund_state(session: AsyncSession, refund: Refund, *, now: datetime) -> bool:
    """The webhook job's hook: True when `refund` is one of ours (then moved forward only)."""
    row = await repository.refund_by_provider_id_for_update(session, refund.refund_id)
    if row is None:
        return False
    was_declined = row.status is RefundStatus.declined
    if not _apply_state(row, refund, now=now):
        return True
    if refund.state is RefundState.declined and not was_declined:
        row.status = RefundStatus.declined
        row.refunded_at = None
        order = await purchases.order_for_update(session, row.order_id)
        # The money did not move: the order shows what really came back (the points did).
        order.refunded_cash_jpy = max(0, order.refunded_cash_jpy - row.cash_jpy)
        order.status = _order_status(order)
        logger.error(
            "provider declined a purchase refund; staff must follow up",
            extra={"refund_id": str(row.id), "provider_refund_id": refund.refund_id},
        )
    await session.flush()
    return True


async def refund_of(session: AsyncSession, purchase: Purchase) -> PurchaseRefund:
    refund = await repository.refund_of_purchase(session, purchase.id)
    if refund is None:
        raise PurchaseNotFound()
    return refund
