"""Orders: human order numbers, the member's history and detail, scoped to the member (R-SUB-9)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Role
from app.models.payment import OrderKind, OrderStatus
from app.payments.orders.service import (
    OrderLineInput,
    create_order,
    format_order_number,
    mark_failed,
    mark_paid,
)
from tests.factories import bearer_for, make_user

NOW = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 2026-12-01 00:30 JST


def test_r_sub_9_order_number_is_the_jst_day_and_a_counter() -> None:
    assert format_order_number(date(2026, 12, 1), 42) == "20261201-0000042"
    assert format_order_number(date(2027, 1, 9), 1_234_567) == "20270109-1234567"


async def test_r_sub_9_order_numbers_are_unique_and_follow_the_jst_day(
    session: AsyncSession,
) -> None:
    user = await make_user(session)
    orders = [
        await create_order(
            session,
            user_id=user.id,
            kind=OrderKind.subscription,
            title="月額会員プラン",
            lines=[OrderLineInput("月額会員プラン(税込)", 980)],
            now=NOW,
        )
        for _ in range(3)
    ]
    numbers = [order.order_number for order in orders]
    assert len(set(numbers)) == 3
    # 15:30 UTC on Nov 30 is already Dec 1 in Japan.
    assert all(number.startswith("20261201-") for number in numbers)
    first = orders[0]
    assert (first.total_jpy, first.cash_jpy, first.points_used) == (980, 980, 0)
    assert first.tax_included_jpy == 89  # 980 × 10/110 = 89.09… rounded down
    assert first.status is OrderStatus.pending


async def test_r_sub_9_points_and_cash_parts_add_up(session: AsyncSession) -> None:
    user = await make_user(session)
    order = await create_order(
        session,
        user_id=user.id,
        kind=OrderKind.purchase,
        title="講座",
        lines=[OrderLineInput("講座A", 3_300), OrderLineInput("教材", 1_100, quantity=2)],
        now=NOW,
        points_used=500,
    )
    assert (order.total_jpy, order.cash_jpy, order.points_used) == (5_500, 5_000, 500)


async def test_settling_moves_forward_only(session: AsyncSession) -> None:
    user = await make_user(session)
    order = await create_order(
        session,
        user_id=user.id,
        kind=OrderKind.subscription,
        title="月額会員プラン",
        lines=[OrderLineInput("月額会員プラン(税込)", 980)],
        now=NOW,
    )
    mark_failed(order, reason="SoftDeclined")
    assert order.status is OrderStatus.failed
    mark_paid(order, provider_charge_id="C-1", paid_at=NOW)  # a retry paid it
    assert order.status is OrderStatus.paid
    mark_failed(order, reason="SoftDeclined")  # a late decline notice changes nothing
    assert order.status is OrderStatus.paid and order.failed_reason is None


async def test_r_sub_9_history_and_detail_are_the_members_own(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await make_user(session)
    other = await make_user(session)
    orders = []
    for month in (1, 2, 3):
        order = await create_order(
            session,
            user_id=owner.id,
            kind=OrderKind.subscription,
            title=f"月額会員プラン 2027/{month:02d}",
            lines=[OrderLineInput("月額会員プラン(税込)", 980)],
            now=NOW,
            period_start_on=date(2027, month, 1),
            period_end_on=date(2027, month, 28),
        )
        mark_paid(order, provider_charge_id=f"C-{month}", paid_at=NOW)
        orders.append(order)
    await session.flush()
    headers = await bearer_for(session, owner, settings)

    first = await client.get("/api/v1/me/orders", params={"limit": 2}, headers=headers)
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    second = await client.get(
        "/api/v1/me/orders", params={"limit": 2, "cursor": page["next_cursor"]}, headers=headers
    )
    listed = page["items"] + second.json()["items"]
    assert {item["order_number"] for item in listed} == {o.order_number for o in orders}
    assert all(item["currency"] == "JPY" and item["total_jpy"] == 980 for item in listed)

    detail = await client.get(f"/api/v1/me/orders/{orders[0].id}", headers=headers)
    assert detail.status_code == 200
    body = detail.json()
    assert body["order_number"] == orders[0].order_number
    assert body["status"] == "paid" and body["payment_method"] == "amazon_pay"
    assert body["tax_included_jpy"] == 89
    assert body["period_start_on"] == "2027-01-01"
    assert body["lines"] == [
        {
            "position": 1,
            "description": "月額会員プラン(税込)",
            "quantity": 1,
            "unit_price_jpy": 980,
            "amount_jpy": 980,
        }
    ]

    foreign = await client.get(
        f"/api/v1/me/orders/{orders[0].id}", headers=await bearer_for(session, other, settings)
    )
    assert foreign.status_code == 404
    assert foreign.json()["type"] == "order-not-found"
    assert (
        await client.get("/api/v1/me/orders", headers=await bearer_for(session, other, settings))
    ).json()["items"] == []


async def test_r_sub_9_staff_find_orders_by_member_and_by_number(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member = await make_user(session)
    staff = await make_user(session, role=Role.staff)
    order = await create_order(
        session,
        user_id=member.id,
        kind=OrderKind.subscription,
        title="月額会員プラン",
        lines=[OrderLineInput("月額会員プラン(税込)", 980)],
        now=NOW,
    )
    staff_headers = await bearer_for(session, staff, settings)
    listed = await client.get(f"/api/v1/admin/users/{member.id}/orders", headers=staff_headers)
    assert [item["order_number"] for item in listed.json()["items"]] == [order.order_number]
    found = await client.get(f"/api/v1/admin/orders/{order.order_number}", headers=staff_headers)
    assert found.status_code == 200 and found.json()["id"] == str(order.id)
    missing = await client.get("/api/v1/admin/orders/20991231-0000001", headers=staff_headers)
    assert missing.status_code == 404 and missing.json()["type"] == "order-not-found"
    member_headers = await bearer_for(session, member, settings)
    refused = await client.get(f"/api/v1/admin/orders/{order.order_number}", headers=member_headers)
    assert refused.status_code == 403
