"""Settling a purchase: paid (access window, grants, extension) or closed (points come back).

- `activate`: the order is paid (R-SUB-9) and the purchase opens. Access runs from the JST
  payment day through start + T − 1 (T = base access days, both ends counted). The grant
  (`source=purchase, source_ref=<purchase id>`) opens the course (single course) or the content
  set (package, pass) from the payment instant to the start of the day after the last access day.
  A paid extension adds its N days after the target's current last day (or from today if that
  has already passed) and moves the end of the target's grants with it. Goods open nothing;
  staff record their delivery.
- `close`: a declined charge (`failed`) or an abandoned checkout (`canceled`): the order follows,
  and the points the purchase spent come back as R-REF-10 says.
- `settle_with_charge`: what a provider charge's state means for a pending purchase — the same
  function serves the member's "complete" call and the webhook job, so the two cannot disagree.
  Only a pending purchase moves; a purchase is never moved backwards.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements.service import grant
from app.kit.calendar import jst_date, jst_start_of_day
from app.models.commerce import ACCESS_KINDS, Product, ProductKind, Purchase, PurchaseStatus
from app.models.entitlement import GrantScope, GrantSource
from app.models.payment import OrderStatus, PaymentOrder
from app.payments.orders.service import mark_failed, mark_paid
from app.payments.points.service import give_back_points
from app.payments.provider.objects import Charge, ChargeState
from app.payments.purchases import emails, repository

logger = logging.getLogger("manabi.payments.purchases")


def grant_end(access_ends_on: date) -> datetime:
    """The instant a grant ends: the start (JST) of the day after the last access day."""
    return jst_start_of_day(access_ends_on + timedelta(days=1))


async def activate(
    session: AsyncSession,
    purchase: Purchase,
    order: PaymentOrder,
    *,
    provider_charge_id: str | None,
    now: datetime,
) -> None:
    """The purchase is paid: settle the order, open access, email the member."""
    mark_paid(order, provider_charge_id=provider_charge_id, paid_at=now)
    purchase.status = PurchaseStatus.active
    purchase.provider_charge_id = provider_charge_id
    purchase.paid_at = now
    purchase.paid_on = jst_date(now)
    purchase.checkout_redirect_url = None
    if purchase.kind in ACCESS_KINDS:
        await _open_access(session, purchase, now=now)
    elif purchase.kind is ProductKind.extension:
        await _extend_target(session, purchase, now=now)
    await session.flush()
    await emails.purchase_completed(session, purchase, order, now=now)


async def _open_access(session: AsyncSession, purchase: Purchase, *, now: datetime) -> None:
    assert purchase.base_access_days is not None and purchase.paid_on is not None
    product = await session.get(Product, purchase.product_id)
    assert product is not None
    starts = purchase.paid_on
    ends = starts + timedelta(days=purchase.base_access_days - 1)
    purchase.access_starts_on, purchase.access_ends_on = starts, ends
    is_course = product.kind is ProductKind.single_course
    await grant(
        session,
        user_id=purchase.user_id,
        scope=GrantScope.course if is_course else GrantScope.content_set,
        course_id=product.course_id if is_course else None,
        content_set_id=None if is_course else product.content_set_id,
        source=GrantSource.purchase,
        source_ref=str(purchase.id),
        valid_from=now,
        valid_until=grant_end(ends),
        reason=f"purchase {purchase.id}",
    )


async def _extend_target(session: AsyncSession, purchase: Purchase, *, now: datetime) -> None:
    assert purchase.base_access_days is not None and purchase.extends_purchase_id is not None
    target = await repository.purchase_for_update(session, purchase.extends_purchase_id)
    assert target is not None and target.access_ends_on is not None
    today = jst_date(now)
    starts = max(target.access_ends_on + timedelta(days=1), today)
    ends = starts + timedelta(days=purchase.base_access_days - 1)
    purchase.access_starts_on, purchase.access_ends_on = starts, ends
    if target.status is not PurchaseStatus.active:
        # Refunded while this extension was being paid for: nothing left to extend. The
        # extension stays paid and refundable in full (its days never start for the member).
        logger.warning(
            "paid extension for a purchase that is no longer active",
            extra={"purchase_id": str(purchase.id), "target_id": str(target.id)},
        )
        return
    target.extended_days += (ends - target.access_ends_on).days
    target.access_ends_on = ends
    await repository.set_grants_valid_until(
        session, purchase_id=target.id, valid_until=grant_end(ends)
    )


async def close(
    session: AsyncSession,
    purchase: Purchase,
    order: PaymentOrder,
    *,
    status: PurchaseStatus,
    reason: str,
    now: datetime,
) -> None:
    """A pending purchase ends unpaid (`failed` or `canceled`); its points come back."""
    assert status in (PurchaseStatus.failed, PurchaseStatus.canceled)
    purchase.status = status
    purchase.failed_reason = reason
    purchase.closed_at = now
    purchase.checkout_redirect_url = None
    if status is PurchaseStatus.failed:
        mark_failed(order, reason=reason)
    elif order.status is OrderStatus.pending:
        order.status = OrderStatus.canceled
        order.failed_reason = reason
    await give_back_points(
        session,
        user_id=purchase.user_id,
        purchase_id=purchase.id,
        now=now,
        refund=False,
        note=f"checkout {status.value}: {reason}",
    )
    await session.flush()


def _is_newer(purchase: Purchase, charge: Charge) -> bool:
    seen = purchase.provider_updated_at
    return seen is None or charge.status_details.last_updated_timestamp >= seen


async def settle_with_charge(
    session: AsyncSession,
    purchase: Purchase,
    order: PaymentOrder,
    charge: Charge,
    *,
    now: datetime,
) -> None:
    """Apply a charge's state to a purchase (locked by the caller), forward only."""
    if not _is_newer(purchase, charge):
        return
    purchase.provider_state = charge.state.value
    purchase.provider_updated_at = charge.status_details.last_updated_timestamp
    if purchase.status is not PurchaseStatus.pending:
        if purchase.status is not PurchaseStatus.active and charge.state is ChargeState.captured:
            # Money was taken for a purchase we had closed: staff must refund or reopen it.
            logger.error(
                "captured charge for a closed purchase",
                extra={"purchase_id": str(purchase.id), "charge_id": charge.charge_id},
            )
        return
    purchase.provider_charge_id = charge.charge_id
    if charge.state is ChargeState.captured:
        await activate(session, purchase, order, provider_charge_id=charge.charge_id, now=now)
    elif charge.state in (ChargeState.declined, ChargeState.canceled):
        reason = charge.reason_code or charge.state.value
        await close(session, purchase, order, status=PurchaseStatus.failed, reason=reason, now=now)
    await session.flush()
