"""Buying a product (SPEC §8, R-SUB-9, R-REF-10): start, complete, cancel, and the webhook's
`apply_charge_state`.

1. `start_purchase`: under a per-member advisory lock (so the checks below hold under
   concurrency) refuse a product that is not on sale, a second pending checkout of the same
   product, a product whose earlier purchase is still live (single course, package, pass), an
   extension without a live purchase to extend, more points than the price. Then a pending order
   (`OrderKind.purchase`, order number = the provider's `merchantReferenceId`) and purchase are
   written and the points are spent at once (row-locked, earliest expiry first). Paid entirely
   by points: settled at once, no provider call. Otherwise a one-time checkout session is
   created for the cash part with the idempotency key `pco-<purchase>` stored on the purchase;
   the member is sent to its redirect URL.
2. `complete_purchase` (after the buyer approved): under the purchase's row lock, complete the
   checkout session (AuthorizeWithCapture creates the charge), read the charge and settle:
   Captured → paid and open; Declined, or a session the provider canceled because the payment
   was declined at checkout → failed, points back; anything else stays pending and the webhook
   finishes it. Completing a paid purchase again answers it unchanged.
3. `cancel_purchase`: the member abandons a pending checkout; points come back. The provider
   charges nothing for a one-time session we never complete, and `complete` and `cancel` take
   the same row lock, so they cannot both win.
4. `expire_abandoned_purchases` (periodic job): pending purchases older than a day are read at
   the provider — completed ones are settled from their charge, the rest canceled.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.calendar import jst_date
from app.models.commerce import ACCESS_KINDS, Product, ProductKind, Purchase, PurchaseStatus
from app.models.payment import OrderKind, PaymentOrder
from app.payments.errors import PaymentProviderUnavailable
from app.payments.orders.service import OrderLineInput, create_order
from app.payments.points.service import spend_points
from app.payments.products.service import get_active_product
from app.payments.provider.client import ProviderClient
from app.payments.provider.errors import ProviderRejected, ProviderUnavailable
from app.payments.provider.objects import CHECKOUT_SESSION_LIFETIME, Charge, CheckoutSessionState
from app.payments.purchases import repository, settlement
from app.payments.purchases.errors import (
    CheckoutNotApproved,
    ExtensionTargetMissing,
    PointsExceedPrice,
    ProductAlreadyPurchased,
    PurchaseInProgress,
    PurchaseNotFound,
    PurchaseNotPending,
)

logger = logging.getLogger("manabi.payments.purchases")

ABANDONED_AFTER = CHECKOUT_SESSION_LIFETIME
"""A one-time checkout session the buyer has not completed in a day is treated as abandoned."""


def checkout_key(purchase_id: uuid.UUID) -> str:
    """The checkout session's idempotency key (≤ 32 characters, deterministic per purchase)."""
    return f"pco-{purchase_id.hex[:24]}"


def charge_key(purchase_id: uuid.UUID) -> str:
    return f"pch-{purchase_id.hex[:24]}"


async def _check_can_buy(
    session: AsyncSession, *, user_id: uuid.UUID, product: Product, now: datetime
) -> Purchase | None:
    """Refusals before anything is written; returns the purchase an extension extends."""
    today = jst_date(now)
    pending = await repository.pending_purchase(session, user_id, product.id)
    if pending is not None:
        raise PurchaseInProgress(extensions={"purchase_id": str(pending.id)})
    if product.kind in ACCESS_KINDS:
        live = await repository.live_purchase(session, user_id, product.id, today)
        if live is not None:
            raise ProductAlreadyPurchased(
                access_ends_on=live.access_ends_on,
                extensions={
                    "purchase_id": str(live.id),
                    "access_ends_on": str(live.access_ends_on),
                },
            )
    if product.kind is ProductKind.extension:
        assert product.extends_product_id is not None
        target = await repository.live_purchase(session, user_id, product.extends_product_id, today)
        if target is None:
            raise ExtensionTargetMissing()
        return target
    return None


async def start_purchase(
    session: AsyncSession,
    provider: ProviderClient,
    *,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    points_to_use: int,
    return_url: str,
    now: datetime,
) -> tuple[Purchase, PaymentOrder]:
    await repository.lock_member_purchases(session, user_id)
    product = await get_active_product(session, product_id)
    if points_to_use > product.list_price_jpy:
        raise PointsExceedPrice(
            price=product.list_price_jpy, errors={"body.points_to_use": ["exceeds_price"]}
        )
    target = await _check_can_buy(session, user_id=user_id, product=product, now=now)

    order = await create_order(
        session,
        user_id=user_id,
        kind=OrderKind.purchase,
        title=product.title,
        lines=[
            OrderLineInput(
                description=product.title,
                unit_price_jpy=product.list_price_jpy,
                product_id=product.id,
            )
        ],
        now=now,
        points_used=points_to_use,
    )
    purchase = Purchase(
        id=uuid.uuid4(),
        user_id=user_id,
        product_id=product.id,
        order_id=order.id,
        status=PurchaseStatus.pending,
        kind=product.kind,
        title=product.title,
        list_price_jpy=product.list_price_jpy,
        base_access_days=product.base_access_days,
        bonus_items=list(product.bonus_items),
        is_copyable=product.is_copyable,
        extends_purchase_id=target.id if target is not None else None,
        created_at=now,  # the app's clock: abandonment and history follow the test clock
    )
    session.add(purchase)
    await session.flush()
    await spend_points(
        session, user_id=user_id, amount=points_to_use, purchase_id=purchase.id, now=now
    )

    if order.cash_jpy == 0:
        await settlement.activate(session, purchase, order, provider_charge_id=None, now=now)
        return purchase, order

    purchase.checkout_idempotency_key = checkout_key(purchase.id)
    await session.flush()
    try:
        checkout = await provider.create_checkout_session(
            recurring=False,
            amount_jpy=order.cash_jpy,
            merchant_reference_id=order.order_number,
            return_url=f"{return_url}?purchase_id={purchase.id}",
            idempotency_key=purchase.checkout_idempotency_key,
            note=product.title[:200],
        )
    except ProviderUnavailable as error:
        raise PaymentProviderUnavailable(headers={"Retry-After": "5"}) from error
    purchase.checkout_session_id = checkout.checkout_session_id
    purchase.checkout_redirect_url = checkout.redirect_url
    await session.flush()
    return purchase, order


async def _own_locked(
    session: AsyncSession, user_id: uuid.UUID, purchase_id: uuid.UUID
) -> tuple[Purchase, PaymentOrder]:
    purchase = await repository.member_purchase(session, user_id, purchase_id, for_update=True)
    if purchase is None:
        raise PurchaseNotFound()
    return purchase, await repository.order_for_update(session, purchase.order_id)


@dataclass(frozen=True)
class _Outcome:
    """What completing the checkout gave: a charge, a canceled session (declined at checkout,
    or canceled by the buyer), or nothing yet (the buyer has not approved)."""

    charge: Charge | None = None
    canceled_reason: str | None = None


async def _complete_checkout(
    provider: ProviderClient, purchase: Purchase, order: PaymentOrder
) -> _Outcome:
    """Complete the buyer-approved session and read its charge."""
    assert purchase.checkout_session_id is not None
    try:
        checkout = await provider.complete_checkout_session(
            purchase.checkout_session_id, amount_jpy=order.cash_jpy
        )
    except ProviderRejected as error:
        # A one-time session whose payment is declined is canceled by the provider (422
        # CheckoutSessionCanceled); one the buyer has not approved yet stays open.
        checkout = await provider.get_checkout_session(purchase.checkout_session_id)
        if checkout.state is CheckoutSessionState.canceled:
            return _Outcome(canceled_reason=checkout.status_details.reason_code or "Canceled")
        if checkout.state is not CheckoutSessionState.completed:
            logger.info("checkout not approved yet", extra={"reason": error.reason_code})
            return _Outcome()
    if checkout.charge_permission_id is not None:
        purchase.charge_permission_id = checkout.charge_permission_id
    if checkout.charge_id is not None:
        return _Outcome(charge=await provider.get_charge(checkout.charge_id))
    if checkout.charge_permission_id is None:
        return _Outcome()
    # A session that only authorized: charge the permission once, with a stored key.
    charge = await provider.create_charge(
        charge_permission_id=checkout.charge_permission_id,
        amount_jpy=order.cash_jpy,
        merchant_reference_id=order.order_number,
        idempotency_key=charge_key(purchase.id),
    )
    return _Outcome(charge=charge)


async def complete_purchase(
    session: AsyncSession,
    provider: ProviderClient,
    *,
    user_id: uuid.UUID,
    purchase_id: uuid.UUID,
    now: datetime,
) -> tuple[Purchase, PaymentOrder]:
    """Settle the member's pending purchase after the buyer approved: paid (`active`), or
    declined (`failed`, points back). `CheckoutNotApproved` while the buyer has not approved."""
    purchase, order = await _own_locked(session, user_id, purchase_id)
    if purchase.status is PurchaseStatus.active:
        return purchase, order  # completed before: answer it unchanged
    if purchase.status is not PurchaseStatus.pending or purchase.checkout_session_id is None:
        raise PurchaseNotPending(status=purchase.status.value)
    try:
        outcome = await _complete_checkout(provider, purchase, order)
    except ProviderUnavailable as error:
        raise PaymentProviderUnavailable(headers={"Retry-After": "5"}) from error
    except ProviderRejected as error:
        logger.warning("provider refused completing a purchase", extra={"reason": str(error)})
        raise CheckoutNotApproved() from error
    if outcome.charge is not None:
        await settlement.settle_with_charge(session, purchase, order, outcome.charge, now=now)
    elif outcome.canceled_reason is not None:
        await settlement.close(
            session,
            purchase,
            order,
            status=PurchaseStatus.failed,
            reason=outcome.canceled_reason,
            now=now,
        )
    else:
        raise CheckoutNotApproved()
    return purchase, order


async def cancel_purchase(
    session: AsyncSession, *, user_id: uuid.UUID, purchase_id: uuid.UUID, now: datetime
) -> tuple[Purchase, PaymentOrder]:
    purchase, order = await _own_locked(session, user_id, purchase_id)
    if purchase.status is not PurchaseStatus.pending:
        raise PurchaseNotPending(status=purchase.status.value)
    await settlement.close(
        session,
        purchase,
        order,
        status=PurchaseStatus.canceled,
        reason="canceled_by_member",
        now=now,
    )
    return purchase, order


async def apply_charge_state(session: AsyncSession, charge: Charge, *, now: datetime) -> bool:
    """The webhook job's hook: True when `charge` belongs to a purchase (then moved forward
    only: a pending purchase becomes paid or failed; nothing else changes)."""
    order_number = (
        charge.merchant_metadata.merchant_reference_id if charge.merchant_metadata else None
    )
    purchase = await repository.purchase_for_charge(
        session, charge_id=charge.charge_id, order_number=order_number
    )
    if purchase is None:
        return False
    order = await repository.order_for_update(session, purchase.order_id)
    await settlement.settle_with_charge(session, purchase, order, charge, now=now)
    return True


async def expire_abandoned_purchases(
    session: AsyncSession, provider: ProviderClient, *, now: datetime, limit: int = 100
) -> int:
    """Close pending purchases whose checkout was not completed within a day (points come
    back); a checkout the provider did complete is settled from its charge instead."""
    rows = (
        await session.scalars(repository.abandoned_candidates(now - ABANDONED_AFTER, limit))
    ).all()
    handled = 0
    for purchase in rows:
        order = await repository.order_for_update(session, purchase.order_id)
        try:
            charge = await _charge_of_session(provider, purchase)
        except ProviderUnavailable:
            logger.warning("provider unavailable; abandoned purchase kept for the next run")
            continue
        if charge is not None:
            await settlement.settle_with_charge(session, purchase, order, charge, now=now)
        if purchase.status is PurchaseStatus.pending:
            await settlement.close(
                session,
                purchase,
                order,
                status=PurchaseStatus.canceled,
                reason="checkout_abandoned",
                now=now,
            )
        handled += 1
    return handled


async def _charge_of_session(provider: ProviderClient, purchase: Purchase) -> Charge | None:
    if purchase.checkout_session_id is None:
        return None
    checkout = await provider.get_checkout_session(purchase.checkout_session_id)
    if checkout.state is CheckoutSessionState.completed and checkout.charge_id is not None:
        return await provider.get_charge(checkout.charge_id)
    return None


async def member_purchase(
    session: AsyncSession, *, user_id: uuid.UUID, purchase_id: uuid.UUID
) -> tuple[Purchase, PaymentOrder]:
    purchase = await repository.member_purchase(session, user_id, purchase_id)
    if purchase is None:
        raise PurchaseNotFound()
    orders = await repository.orders_by_id(session, [purchase.order_id])
    return purchase, orders[purchase.order_id]


async def any_purchase(
    session: AsyncSession, purchase_id: uuid.UUID
) -> tuple[Purchase, PaymentOrder]:
    purchase = await session.get(Purchase, purchase_id)
    if purchase is None:
        raise PurchaseNotFound()
    orders = await repository.orders_by_id(session, [purchase.order_id])
    return purchase, orders[purchase.order_id]
