"""Creating and settling orders (R-SUB-9).

An order is created *before* the provider is asked for money (status `pending`), so the
order number can travel to the provider as `merchantReferenceId` and a lost answer still leaves
a trace. The charge's outcome settles it: `mark_paid` or `mark_failed`. Order numbers come from a
database sequence: `YYYYMMDD-NNNNNNN` (JST date of creation, then a platform-wide counter), so
they are unique, sortable and never reveal how many orders one member has.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.kit.calendar import jst_date
from app.kit.money import consumption_tax_included
from app.models.payment import (
    OrderKind,
    OrderStatus,
    PaymentOrder,
    PaymentOrderLine,
    order_number_sequence,
)
from app.payments.orders.errors import OrderNotFound


@dataclass(frozen=True)
class OrderLineInput:
    description: str
    unit_price_jpy: int
    quantity: int = 1
    product_id: uuid.UUID | None = None


def format_order_number(day: date, sequence_value: int) -> str:
    """`20261123-0000042`: the JST day the order was placed and the platform-wide counter."""
    return f"{day:%Y%m%d}-{sequence_value:07d}"


async def next_order_number(session: AsyncSession, now: datetime) -> str:
    value = (await session.execute(select(order_number_sequence.next_value()))).scalar_one()
    return format_order_number(jst_date(now), int(value))


async def create_order(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    kind: OrderKind,
    title: str,
    lines: Sequence[OrderLineInput],
    now: datetime,
    points_used: int = 0,
    charge_permission_id: str | None = None,
    period_start_on: date | None = None,
    period_end_on: date | None = None,
) -> PaymentOrder:
    """A pending order for `lines` (tax-inclusive consumer prices); cash = total − points."""
    total = sum(line.unit_price_jpy * line.quantity for line in lines)
    if points_used < 0 or points_used > total:
        raise ValueError("points_used must be between 0 and the order total")
    order = PaymentOrder(
        id=uuid.uuid4(),
        order_number=await next_order_number(session, now),
        user_id=user_id,
        kind=kind,
        status=OrderStatus.pending,
        title=title,
        total_jpy=total,
        cash_jpy=total - points_used,
        points_used=points_used,
        tax_included_jpy=consumption_tax_included(total),
        charge_permission_id=charge_permission_id,
        period_start_on=period_start_on,
        period_end_on=period_end_on,
        created_at=now,  # the app's clock, like the order number's date
    )
    session.add(order)
    for position, line in enumerate(lines, start=1):
        session.add(
            PaymentOrderLine(
                order_id=order.id,
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price_jpy=line.unit_price_jpy,
                amount_jpy=line.unit_price_jpy * line.quantity,
                product_id=line.product_id,
            )
        )
    await session.flush()
    return order


def mark_paid(order: PaymentOrder, *, provider_charge_id: str | None, paid_at: datetime) -> None:
    """Settle a pending (or failed, then recovered) order as paid. Paid orders stay paid."""
    if order.status in (OrderStatus.pending, OrderStatus.failed):
        order.status = OrderStatus.paid
        order.provider_charge_id = provider_charge_id
        order.paid_at = paid_at
        order.failed_reason = None


def mark_failed(order: PaymentOrder, *, reason: str) -> None:
    """A declined charge: the order shows as failed (a later retry may still pay it)."""
    if order.status == OrderStatus.pending:
        order.status = OrderStatus.failed
        order.failed_reason = reason


async def get_member_order(
    session: AsyncSession, *, user_id: uuid.UUID, order_id: uuid.UUID
) -> PaymentOrder:
    """One of the member's own orders with its lines; another member's order is not found."""
    order = (
        await session.execute(
            select(PaymentOrder)
            .where(PaymentOrder.id == order_id, PaymentOrder.user_id == user_id)
            .options(selectinload(PaymentOrder.lines))
        )
    ).scalar_one_or_none()
    if order is None:
        raise OrderNotFound()
    return order


async def get_order(session: AsyncSession, order_id: uuid.UUID) -> PaymentOrder:
    """Any order with its lines (staff)."""
    order = (
        await session.execute(
            select(PaymentOrder)
            .where(PaymentOrder.id == order_id)
            .options(selectinload(PaymentOrder.lines))
        )
    ).scalar_one_or_none()
    if order is None:
        raise OrderNotFound()
    return order


async def get_order_by_number(session: AsyncSession, order_number: str) -> PaymentOrder:
    """Any order by its human number, with its lines (staff)."""
    order = (
        await session.execute(
            select(PaymentOrder)
            .where(PaymentOrder.order_number == order_number.strip())
            .options(selectinload(PaymentOrder.lines))
        )
    ).scalar_one_or_none()
    if order is None:
        raise OrderNotFound()
    return order
