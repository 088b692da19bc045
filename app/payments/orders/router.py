"""The member's order history and order detail (R-SUB-9). HTTP only.

Every charge — membership months, one-off purchases, fees — is an order with a human order
number. No receipts (領収書) are issued: the order detail is the record.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import select

from app.auth.auth import CurrentStaff, CurrentUser
from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.kit.errors import InvalidCursor
from app.kit.pagination import Page, PageQuery, paginate_as
from app.kit.problems import problem_responses
from app.models.payment import PaymentOrder
from app.payments.orders import service
from app.payments.orders.errors import OrderNotFound
from app.payments.orders.schemas import OrderLineOut, OrderOut, OrderSummaryOut

router = APIRouter(tags=["payments"])


@router.get(
    "/me/orders",
    operation_id="payments_list_orders",
    summary="My order history",
    description="Every charge is an order with an order number (R-SUB-9), newest first.",
    responses=problem_responses(*PERSON_AUTH_ERRORS, InvalidCursor),
)
async def list_orders(
    subject: CurrentUser, session: DbSession, page: PageQuery
) -> Page[OrderSummaryOut]:
    statement = select(PaymentOrder).where(PaymentOrder.user_id == subject.require_user().id)
    return await paginate_as(
        OrderSummaryOut,
        session,
        statement,
        order_by=[PaymentOrder.created_at, PaymentOrder.id],
        descending=True,
        params=page,
    )


@router.get(
    "/me/orders/{order_id}",
    operation_id="payments_get_order",
    summary="One of my orders",
    description="The order detail: lines, tax contained, cash and points parts, refunds, and the "
    "period paid for a membership charge. It is the record of the payment: no receipts are "
    "issued (R-SUB-9). Another member's order is not found.",
    responses=problem_responses(*PERSON_AUTH_ERRORS, OrderNotFound),
)
async def get_order(order_id: uuid.UUID, subject: CurrentUser, session: DbSession) -> OrderOut:
    order = await service.get_member_order(
        session, user_id=subject.require_user().id, order_id=order_id
    )
    return present_order(order)


def present_order(order: PaymentOrder) -> OrderOut:
    method = "amazon_pay" if order.cash_jpy > 0 else ("points" if order.points_used > 0 else "none")
    return OrderOut(
        id=order.id,
        order_number=order.order_number,
        kind=order.kind,
        status=order.status,
        title=order.title,
        total_jpy=order.total_jpy,
        created_at=order.created_at,
        paid_at=order.paid_at,
        cash_jpy=order.cash_jpy,
        points_used=order.points_used,
        tax_included_jpy=order.tax_included_jpy,
        refunded_cash_jpy=order.refunded_cash_jpy,
        refunded_points=order.refunded_points,
        payment_method=method,
        failed_reason=order.failed_reason,
        period_start_on=order.period_start_on,
        period_end_on=order.period_end_on,
        lines=[OrderLineOut.model_validate(line) for line in order.lines],
    )


# --- Staff (support desk): find a member's orders, or an order by the number they quote --------


@router.get(
    "/admin/users/{user_id}/orders",
    operation_id="payments_list_user_orders",
    summary="A member's orders (staff)",
    description="Every order of the member, newest first (R-SUB-9), for the support desk.",
    responses=problem_responses(*PERSON_AUTH_ERRORS, InvalidCursor),
)
async def list_user_orders(
    user_id: uuid.UUID, subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[OrderSummaryOut]:
    return await paginate_as(
        OrderSummaryOut,
        session,
        select(PaymentOrder).where(PaymentOrder.user_id == user_id),
        order_by=[PaymentOrder.created_at, PaymentOrder.id],
        descending=True,
        params=page,
    )


@router.get(
    "/admin/orders/{order_number}",
    operation_id="payments_get_order_by_number",
    summary="An order by its order number (staff)",
    description="The order detail for the number a member quotes (注文番号, R-SUB-9).",
    responses=problem_responses(*PERSON_AUTH_ERRORS, OrderNotFound),
)
async def get_order_by_number(
    order_number: str, subject: CurrentStaff, session: DbSession
) -> OrderOut:
    return present_order(await service.get_order_by_number(session, order_number))
