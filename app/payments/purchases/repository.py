"""SQL for purchases: the member's own (object-level authorization in one place), locks, and
the purchase's own entitlement grants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.commerce import Purchase, PurchaseStatus
from app.models.entitlement import EntitlementGrant, GrantSource
from app.models.payment import OrderKind, PaymentOrder


def readable_by(user_id: uuid.UUID) -> Select[Purchase]:
    """The member's own purchases; every member read starts here."""
    return select(Purchase).where(Purchase.user_id == user_id)


async def lock_member_purchases(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialize one member's purchase starts (transaction-scoped advisory lock), so "one live
    purchase per product" and "one pending checkout per product" hold under concurrency."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"purchase:{user_id}", 0)))
    )


async def member_purchase(
    session: AsyncSession, user_id: uuid.UUID, purchase_id: uuid.UUID, *, for_update: bool = False
) -> Purchase | None:
    statement = readable_by(user_id).where(Purchase.id == purchase_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def purchase_for_update(session: AsyncSession, purchase_id: uuid.UUID) -> Purchase | None:
    statement = (
        select(Purchase)
        .where(Purchase.id == purchase_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def pending_purchase(
    session: AsyncSession, user_id: uuid.UUID, product_id: uuid.UUID
) -> Purchase | None:
    statement = readable_by(user_id).where(
        Purchase.product_id == product_id, Purchase.status == PurchaseStatus.pending
    )
    return (await session.execute(statement.limit(1))).scalar_one_or_none()


async def live_purchase(
    session: AsyncSession, user_id: uuid.UUID, product_id: uuid.UUID, today: date
) -> Purchase | None:
    """The member's paid, unrefunded purchase of the product whose access has not ended."""
    statement = (
        readable_by(user_id)
        .where(
            Purchase.product_id == product_id,
            Purchase.status == PurchaseStatus.active,
            Purchase.access_ends_on >= today,
        )
        .order_by(Purchase.access_ends_on.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def purchase_for_charge(
    session: AsyncSession, *, charge_id: str, order_number: str | None
) -> Purchase | None:
    """The purchase a provider charge belongs to, locked: by the charge id we stored, else by
    our order number (`merchantReferenceId`) when our transaction never stored the charge."""
    found = await session.scalar(
        select(Purchase.id).where(Purchase.provider_charge_id == charge_id)
    )
    if found is None and order_number:
        found = await session.scalar(
            select(Purchase.id)
            .join(PaymentOrder, PaymentOrder.id == Purchase.order_id)
            .where(
                PaymentOrder.order_number == order_number,
                PaymentOrder.kind == OrderKind.purchase,
            )
        )
    return None if found is None else await purchase_for_update(session, found)


async def orders_by_id(
    session: AsyncSession, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PaymentOrder]:
    if not order_ids:
        return {}
    rows = await session.scalars(select(PaymentOrder).where(PaymentOrder.id.in_(order_ids)))
    return {order.id: order for order in rows.all()}


async def order_for_update(session: AsyncSession, order_id: uuid.UUID) -> PaymentOrder:
    statement = (
        select(PaymentOrder)
        .where(PaymentOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one()


def abandoned_candidates(before: datetime, limit: int) -> Select[Any]:
    """Pending purchases started before `before`, locked, skipping rows another worker holds."""
    return (
        select(Purchase)
        .where(Purchase.status == PurchaseStatus.pending, Purchase.created_at < before)
        .order_by(Purchase.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def set_grants_valid_until(
    session: AsyncSession, *, purchase_id: uuid.UUID, valid_until: datetime
) -> int:
    """Move the end of a purchase's own live grants to `valid_until` (a paid extension makes
    them longer). Only the writer's own grants (`source=purchase`, this purchase) are touched."""
    result = await session.execute(
        update(EntitlementGrant)
        .where(
            EntitlementGrant.source == GrantSource.purchase,
            EntitlementGrant.source_ref == str(purchase_id),
            EntitlementGrant.revoked_at.is_(None),
            EntitlementGrant.valid_until.is_not(None),
            EntitlementGrant.valid_from < valid_until,
        )
        .values(valid_until=valid_until)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
