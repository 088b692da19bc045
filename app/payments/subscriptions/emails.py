"""Subscription emails (R-NTF-1): trial ending, charge succeeded, charge failed, cancellation.

Written to the outbox in the transaction of the change that causes them (R-NTF-2).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.models.payment import PaymentOrder, Subscription
from app.models.user import User
from app.notifications.formatting import format_email_date, format_email_yen
from app.notifications.service import notify_user
from app.payments.rules import subscription as rules

AMAZON_PAY_ACCOUNT_URL = "https://pay.amazon.co.jp/"
"""Where a buyer manages the payment method behind a recurring permission (Amazon Pay)."""


def _links() -> dict[str, str]:
    base = get_settings().frontend_base_url.rstrip("/")
    return {
        "manage_url": f"{base}/account/membership",
        "orders_url": f"{base}/account/orders",
        "fix_url": AMAZON_PAY_ACCOUNT_URL,
    }


async def _user(session: AsyncSession, subscription: Subscription) -> User:
    user = await session.get(User, subscription.user_id)
    assert user is not None
    return user


async def trial_ending(session: AsyncSession, subscription: Subscription, *, now: datetime) -> None:
    user = await _user(session, subscription)
    _, last = rules.trial_days(subscription.signup_on)
    await notify_user(
        session,
        user,
        template="subscription_trial_ending",
        now=now,
        context={
            "trial_end_on": format_email_date(last, user.locale),
            "first_charge_on": format_email_date(subscription.first_renewal_on, user.locale),
            "amount": format_email_yen(subscription.price_jpy, user.locale),
            **_links(),
        },
    )


async def charge_succeeded(
    session: AsyncSession, subscription: Subscription, order: PaymentOrder, *, now: datetime
) -> None:
    user = await _user(session, subscription)
    locale = user.locale
    assert order.period_start_on is not None and order.period_end_on is not None
    await notify_user(
        session,
        user,
        template="subscription_charge_succeeded",
        now=now,
        context={
            "order_number": order.order_number,
            "period_start_on": format_email_date(order.period_start_on, locale),
            "period_end_on": format_email_date(order.period_end_on, locale),
            "amount": format_email_yen(order.total_jpy, locale),
            "next_renewal_on": format_email_date(order.period_end_on + timedelta(days=1), locale),
            **_links(),
        },
    )


async def charge_failed(
    session: AsyncSession,
    subscription: Subscription,
    order: PaymentOrder | None,
    *,
    now: datetime,
    final: bool,
) -> None:
    user = await _user(session, subscription)
    locale = user.locale
    if final:
        what_next = (
            "再請求もできなかったため、会員サービスのご利用を停止しました。お支払い方法を更新いただくと、"
            "ご利用を再開できます。"
            if locale != "en"
            else "The retries failed too, so membership access has stopped. Update your payment "
            "method to get it back."
        )
    else:
        assert subscription.past_due_since_on is not None
        grace = format_email_date(rules.grace_ends_on(subscription.past_due_since_on), locale)
        retry = (
            format_email_date(subscription.next_retry_on, locale)
            if subscription.next_retry_on
            else ""
        )
        what_next = (
            f"{retry}に再度お支払いを試みます。{grace}までは引き続きご利用いただけます。"
            if locale != "en"
            else f"We will try again on {retry}. You keep access through {grace}."
        )
    await notify_user(
        session,
        user,
        template="subscription_charge_failed",
        now=now,
        context={
            "amount": format_email_yen(subscription.price_jpy, locale),
            "what_next": what_next,
            **_links(),
        },
    )


async def canceled(
    session: AsyncSession, subscription: Subscription, *, access_until_on: date, now: datetime
) -> None:
    user = await _user(session, subscription)
    await notify_user(
        session,
        user,
        template="subscription_canceled",
        now=now,
        context={"access_until_on": format_email_date(access_until_on, user.locale), **_links()},
    )
