"""Purchase and refund emails (R-NTF-1, R-NTF-2): written to the outbox in the transaction of
the change that causes them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.models.commerce import Purchase
from app.models.payment import PaymentOrder
from app.models.user import User
from app.notifications.formatting import format_email_date, format_email_yen
from app.notifications.service import notify_user


def _orders_url() -> str:
    return f"{get_settings().frontend_base_url.rstrip('/')}/account/orders"


async def _user(session: AsyncSession, purchase: Purchase) -> User:
    user = await session.get(User, purchase.user_id)
    assert user is not None
    return user


def _access_line(purchase: Purchase, locale: str) -> str:
    starts, ends = purchase.access_starts_on, purchase.access_ends_on
    if starts is None or ends is None:
        return "商品は準備ができ次第発送いたします。" if locale != "en" else "We will ship it soon."
    period = f"{format_email_date(starts, locale)}〜{format_email_date(ends, locale)}"
    return f"受講期間: {period}" if locale != "en" else f"Access: {period}"


async def purchase_completed(
    session: AsyncSession, purchase: Purchase, order: PaymentOrder, *, now: datetime
) -> None:
    user = await _user(session, purchase)
    await notify_user(
        session,
        user,
        template="purchase_completed",
        now=now,
        context={
            "order_number": order.order_number,
            "title": purchase.title,
            "amount": format_email_yen(order.total_jpy, user.locale),
            "points_used": f"{order.points_used:,}",
            "access_line": _access_line(purchase, user.locale),
            "orders_url": _orders_url(),
        },
    )


async def purchase_refunded(
    session: AsyncSession,
    purchase: Purchase,
    order: PaymentOrder,
    *,
    cash_jpy: int,
    points: int,
    points_expires_on: date | None,
    breakdown: list[tuple[str, str, int]],
    now: datetime,
) -> None:
    """`breakdown`: (ja, en, signed yen) lines of the executed quote."""
    user = await _user(session, purchase)
    locale = user.locale
    lines = "\n".join(
        f"- {en if locale == 'en' else ja}: {'−' if amount < 0 else ''}¥{abs(amount):,}"
        for ja, en, amount in breakdown
    )
    expiry = ""
    if points and points_expires_on is not None:
        day = format_email_date(points_expires_on, locale)
        expiry = f" (usable through {day})" if locale == "en" else f"(有効期限 {day})"
    await notify_user(
        session,
        user,
        template="purchase_refunded",
        now=now,
        context={
            "order_number": order.order_number,
            "title": purchase.title,
            "cash": format_email_yen(cash_jpy, locale),
            "points": f"{points:,}",
            "points_expiry": expiry,
            "breakdown": lines or "-",
            "orders_url": _orders_url(),
        },
    )
