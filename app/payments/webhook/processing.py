"""Processing a stored notification: read the object's real state, move ours forward. R-PAY-2.

Notifications carry no state, so each one is only a reason to GET the object from the provider.
Applying is forward-only at every level (a state older than the one we hold — by
`lastUpdatedTimestamp` — is ignored; a settled charge attempt or refund is never settled
again), so duplicates and out-of-order deliveries change nothing twice.

Dispatch: a charge permission is the subscription's (`subscriptions.lifecycle`); a charge is a
subscription attempt's (found by charge id, or by our order number in `merchantReferenceId`
when the create call's answer was lost), a one-off purchase's or a re-enrollment fee's; a refund is a purchase
refund's. Anything else (chargebacks, another integration's objects) is marked `ignored` and
logged for staff.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models.payment import (
    ChargeAttemptStatus,
    NotificationStatus,
    PaymentNotification,
    PaymentOrder,
    Subscription,
    SubscriptionCharge,
)
from app.payments.provider.client import ProviderClient
from app.payments.provider.objects import Charge, ChargePermission, Refund
from app.payments.provider.sns import IpnObjectType
from app.payments.subscriptions import billing, lifecycle

logger = logging.getLogger("manabi.payments")

ChargeHandler = Callable[[AsyncSession, Charge, datetime], Awaitable[bool]]
RefundHandler = Callable[[AsyncSession, Refund, datetime], Awaitable[bool]]


def _purchase_charge_handler() -> ChargeHandler | None:
    try:
        from app.payments.purchases.service import apply_charge_state
    except ImportError:  # pragma: no cover - purchases not installed
        return None

    async def handle(session: AsyncSession, charge: Charge, now: datetime) -> bool:
        return bool(await apply_charge_state(session, charge, now=now))

    return handle


def _re_enrollment_charge_handler() -> ChargeHandler:
    from app.enrollments.re_enrollment import apply_charge_state

    async def handle(session: AsyncSession, charge: Charge, now: datetime) -> bool:
        return bool(await apply_charge_state(session, charge, now=now))

    return handle


def _other_charge_handlers() -> list[ChargeHandler]:
    """Charges that are not a subscription attempt's: a purchase's, a re-enrollment fee's."""
    handlers = [_re_enrollment_charge_handler()]
    purchase = _purchase_charge_handler()
    if purchase is not None:
        handlers.insert(0, purchase)
    return handlers


def _refund_handler() -> RefundHandler | None:
    try:
        from app.payments.refunds.service import apply_refund_state
    except ImportError:  # pragma: no cover
        return None

    async def handle(session: AsyncSession, refund: Refund, now: datetime) -> bool:
        return bool(await apply_refund_state(session, refund, now=now))

    return handle


async def process_notification(
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: ProviderClient,
    message_id: str,
    *,
    now: datetime,
) -> NotificationStatus:
    """Process one inbox row (raises on provider outages so the job is retried)."""
    async with sessionmaker() as session:
        notification = await session.get(PaymentNotification, message_id)
        if notification is None:
            return NotificationStatus.ignored
        if notification.status in (NotificationStatus.processed, NotificationStatus.ignored):
            return notification.status
        object_type = notification.object_type
        object_id = notification.object_id
    try:
        fetched: ChargePermission | Charge | Refund | None
        if object_type == IpnObjectType.charge_permission.value:
            fetched = await provider.get_charge_permission(object_id)
        elif object_type == IpnObjectType.charge.value:
            fetched = await provider.get_charge(object_id)
        elif object_type == IpnObjectType.refund.value:
            fetched = await provider.get_refund(object_id)
        else:
            fetched = None
    except Exception as error:
        await _record_failure(sessionmaker, message_id, error)
        raise

    async with sessionmaker() as session:
        notification = await session.get(PaymentNotification, message_id, with_for_update=True)
        assert notification is not None
        if notification.status in (NotificationStatus.processed, NotificationStatus.ignored):
            return notification.status
        handled = await _apply(session, fetched, now=now)
        notification.status = (
            NotificationStatus.processed if handled else NotificationStatus.ignored
        )
        notification.processed_at = now
        notification.attempts += 1
        notification.last_error = None
        if not handled:
            logger.info(
                "payment notification about no object of ours",
                extra={"message_id": message_id, "object_type": object_type},
            )
        await session.commit()
        return notification.status


async def _apply(
    session: AsyncSession,
    fetched: ChargePermission | Charge | Refund | None,
    *,
    now: datetime,
) -> bool:
    if isinstance(fetched, ChargePermission):
        subscription = (
            await session.execute(
                select(Subscription)
                .where(Subscription.charge_permission_id == fetched.charge_permission_id)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if subscription is None:
            return False
        await lifecycle.apply_permission_state(session, subscription, fetched, now=now)
        return True
    if isinstance(fetched, Charge):
        attempt = await _attempt_of(session, fetched)
        if attempt is not None:
            subscription = await billing.lock_subscription(session, attempt.subscription_id)
            assert subscription is not None
            locked = await session.get(
                SubscriptionCharge, attempt.id, with_for_update=True, populate_existing=True
            )
            assert locked is not None
            await billing.apply_charge(session, subscription, locked, fetched, now=now)
            return True
        for handler in _other_charge_handlers():
            if await handler(session, fetched, now):
                return True
        return False
    if isinstance(fetched, Refund):
        refund_handler = _refund_handler()
        return bool(refund_handler and await refund_handler(session, fetched, now))
    return False


async def _attempt_of(session: AsyncSession, charge: Charge) -> SubscriptionCharge | None:
    attempt = (
        await session.execute(
            select(SubscriptionCharge).where(
                SubscriptionCharge.provider_charge_id == charge.charge_id
            )
        )
    ).scalar_one_or_none()
    if attempt is not None:
        return attempt
    reference = charge.merchant_metadata.merchant_reference_id if charge.merchant_metadata else None
    if not reference:
        return None
    # The create call's answer was lost: the pending attempt of the order that the charge names.
    return (
        await session.execute(
            select(SubscriptionCharge)
            .join(PaymentOrder, PaymentOrder.id == SubscriptionCharge.order_id)
            .where(
                PaymentOrder.order_number == reference,
                SubscriptionCharge.status == ChargeAttemptStatus.pending,
                SubscriptionCharge.provider_charge_id.is_(None),
            )
            .order_by(SubscriptionCharge.attempt.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def _record_failure(
    sessionmaker: async_sessionmaker[AsyncSession], message_id: str, error: Exception
) -> None:
    async with sessionmaker() as session:
        notification = await session.get(PaymentNotification, message_id, with_for_update=True)
        if notification is not None and notification.status is not NotificationStatus.processed:
            notification.status = NotificationStatus.failed
            notification.attempts += 1
            notification.last_error = f"{type(error).__name__}: {str(error)[:500]}"
            await session.commit()


async def unfinished_message_ids(
    session: AsyncSession, *, received_before: datetime, limit: int = 200
) -> list[str]:
    """Messages still waiting (received or failed) since before `received_before`."""
    rows = await session.execute(
        select(PaymentNotification.message_id)
        .where(
            PaymentNotification.status.in_(
                [NotificationStatus.received, NotificationStatus.failed]
            ),
            PaymentNotification.received_at < received_before,
        )
        .order_by(PaymentNotification.received_at)
        .limit(limit)
    )
    return list(rows.scalars())
