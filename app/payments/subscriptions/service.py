"""Membership subscription use cases for the member: sign up, confirm, cancel, resume, read.
R-SUB-1…6, R-SUB-10; PAYMENTS.md "Subscription state machine".

Sign-up is two calls, as Amazon Pay's hosted checkout is:

1. `start_checkout` creates the subscription `pending` and a recurring checkout session; the
   client sends the buyer to `redirect_url`.
2. Back from Amazon Pay, `complete_checkout` completes the session, reads the charge permission
   and confirms: the sign-up day D is the day of confirmation (JST). With a trial (R-SUB-2) the
   subscription is `trialing` and nothing is charged until D+7; a person who already had a
   subscription gets no second trial, so the first month is charged at once and D is the anchor.

Decisions: a second `start_checkout` while one is pending replaces the abandoned one; members of
an organization are refused (R-SUB-1, organizations use contracts); cancelling while past due or
unpaid ends the subscription at once (nothing was paid for the current period).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.calendar import jst_date
from app.models.payment import Subscription
from app.models.user import Role, User
from app.payments.errors import PaymentProviderUnavailable
from app.payments.provider.client import ProviderClient
from app.payments.provider.errors import ProviderRejected, ProviderUnavailable
from app.payments.provider.objects import (
    ChargePermissionState,
    CheckoutSession,
    CheckoutSessionState,
)
from app.payments.rules import subscription as rules
from app.payments.rules.subscription import SubscriptionStatus
from app.payments.subscriptions import billing, emails, membership
from app.payments.subscriptions.errors import (
    CheckoutNotApproved,
    CheckoutSessionMismatch,
    InitialChargeDeclined,
    NothingToCancel,
    NothingToResume,
    PaymentMethodNotChargeable,
    SubscriptionAlreadyExists,
    SubscriptionNotForOrganizations,
    SubscriptionNotFound,
)

MEMBERSHIP_PRICE_JPY = 980
"""R-SUB-1: one plan, ¥980 a month, tax included."""


async def live_subscription(
    session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False
) -> Subscription | None:
    statement = select(Subscription).where(
        Subscription.user_id == user_id, Subscription.status != SubscriptionStatus.canceled
    )
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def latest_subscription(session: AsyncSession, user_id: uuid.UUID) -> Subscription:
    """The live subscription, or else the most recently created one (to show how it ended)."""
    row = (
        await session.execute(
            select(Subscription)
            .where(Subscription.user_id == user_id)
            .order_by(
                (Subscription.status != SubscriptionStatus.canceled).desc(),
                Subscription.created_at.desc(),
                Subscription.id.desc(),
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        raise SubscriptionNotFound()
    return row


async def has_started_before(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """R-SUB-2 one trial per person: did any earlier subscription ever start?"""
    statement = select(
        exists().where(
            Subscription.user_id == user_id,
            Subscription.has_trial.is_(True) | (Subscription.renewal_cycle > 0),
        )
    )
    return bool((await session.execute(statement)).scalar())


async def start_checkout(
    session: AsyncSession,
    provider: ProviderClient,
    *,
    user: User,
    return_url: str,
    now: datetime,
) -> tuple[Subscription, CheckoutSession]:
    """Step 1: a pending subscription and a recurring checkout session (R-SUB-1, R-SUB-8)."""
    if user.organization_id is not None or user.role is not Role.member:
        raise SubscriptionNotForOrganizations()
    current = await live_subscription(session, user.id, lock=True)
    if current is not None:
        if current.status is not SubscriptionStatus.pending:
            raise SubscriptionAlreadyExists()
        current.status = SubscriptionStatus.canceled
        current.canceled_at = now
        current.ended_on = jst_date(now)
        current.ended_reason = "checkout_replaced"
        await session.flush()
    today = jst_date(now)
    subscription = Subscription(
        id=uuid.uuid4(),
        user_id=user.id,
        status=SubscriptionStatus.pending,
        price_jpy=MEMBERSHIP_PRICE_JPY,
        signup_on=today,
        has_trial=False,
        first_renewal_on=today,
        anchor_day=today.day,
    )
    session.add(subscription)
    await session.flush()
    try:
        checkout = await provider.create_checkout_session(
            recurring=True,
            amount_jpy=MEMBERSHIP_PRICE_JPY,
            merchant_reference_id=f"SUB-{subscription.id.hex[:16]}",
            return_url=return_url,
            idempotency_key=f"chk-{subscription.id.hex[:24]}",
            note="学びオンライン 月額会員プラン",
        )
    except (ProviderUnavailable, ProviderRejected) as error:
        raise PaymentProviderUnavailable() from error
    subscription.checkout_session_id = checkout.checkout_session_id
    await session.flush()
    return subscription, checkout


async def complete_checkout(
    session: AsyncSession,
    provider: ProviderClient,
    *,
    user_id: uuid.UUID,
    checkout_session_id: str,
    now: datetime,
) -> Subscription:
    """Step 2: confirm after the buyer approved; trialing, or charged at once without a trial."""
    subscription = await live_subscription(session, user_id, lock=True)
    if subscription is None or subscription.checkout_session_id != checkout_session_id:
        raise CheckoutSessionMismatch()
    if subscription.status is not SubscriptionStatus.pending:
        return subscription  # completed already: the same answer again
    try:
        checkout = await provider.get_checkout_session(checkout_session_id)
        if checkout.state is CheckoutSessionState.canceled:
            raise CheckoutNotApproved()
        if checkout.state is CheckoutSessionState.open:
            try:
                checkout = await provider.complete_checkout_session(
                    checkout_session_id, amount_jpy=subscription.price_jpy
                )
            except ProviderRejected as error:
                raise CheckoutNotApproved() from error
        if checkout.charge_permission_id is None:
            raise CheckoutNotApproved()
        permission = await provider.get_charge_permission(checkout.charge_permission_id)
    except ProviderUnavailable as error:
        raise PaymentProviderUnavailable() from error
    if permission.state is not ChargePermissionState.chargeable:
        raise PaymentMethodNotChargeable()

    today = jst_date(now)
    with_trial = not await has_started_before(session, user_id)
    trial_days = rules.trial_length_days(has_started_subscription_before=not with_trial)
    first_renewal = rules.first_renewal_on(today, trial_length_days=trial_days)
    subscription.charge_permission_id = permission.charge_permission_id
    subscription.provider_state = permission.state.value
    subscription.provider_updated_at = permission.status_details.last_updated_timestamp
    subscription.signup_on = today
    subscription.has_trial = with_trial
    subscription.trial_last_on = rules.trial_days(today)[1] if with_trial else None
    subscription.first_renewal_on = first_renewal
    subscription.anchor_day = rules.anchor_day(first_renewal)
    subscription.renewal_cycle = 0
    subscription.next_renewal_on = first_renewal
    if with_trial:
        subscription.status = SubscriptionStatus.trialing
        subscription.paid_through_on = subscription.trial_last_on
        await membership.open_grant(session, subscription, now=now)
        await session.flush()
        return subscription

    # No second trial: the first month is charged now; the member waits for the answer.
    attempt = await billing.find_or_create_attempt(
        session, subscription, period_on=today, attempt=1, now=now
    )
    order = await billing.order_of(session, attempt)
    charge = await billing.call_provider(
        provider,
        attempt,
        permission_id=permission.charge_permission_id,
        order_number=order.order_number,
    )
    if charge is None:
        raise PaymentProviderUnavailable()
    await billing.apply_charge(session, subscription, attempt, charge, now=now)
    await session.flush()
    outcome_status: SubscriptionStatus = subscription.status
    if outcome_status is SubscriptionStatus.canceled:
        await billing.close_permission(provider, subscription)
        raise InitialChargeDeclined()
    return subscription


async def cancel(
    session: AsyncSession, provider: ProviderClient, *, user_id: uuid.UUID, now: datetime
) -> Subscription:
    """R-SUB-4/5: stop renewing; access continues through the day before the next renewal."""
    subscription = await live_subscription(session, user_id, lock=True)
    if subscription is None:
        raise NothingToCancel()
    today = jst_date(now)
    if subscription.cancel_at_period_end:
        raise NothingToCancel()
    if subscription.status in (
        SubscriptionStatus.pending,
        SubscriptionStatus.past_due,
        SubscriptionStatus.unpaid,
    ):
        subscription.status = SubscriptionStatus.canceled
        subscription.canceled_at = now
        subscription.cancel_requested_at = now
        subscription.ended_on = today
        subscription.ended_reason = "canceled"
        subscription.next_retry_on = None
        await membership.end_grant(session, subscription, ends_at=now)
        await billing.close_permission(provider, subscription)
        await emails.canceled(session, subscription, access_until_on=today, now=now)
        await session.flush()
        return subscription
    assert subscription.next_renewal_on is not None
    last_day = subscription.next_renewal_on - timedelta(days=1)
    subscription.cancel_at_period_end = True
    subscription.cancel_requested_at = now
    await membership.end_grant_after(session, subscription, last_day=last_day)
    await emails.canceled(session, subscription, access_until_on=last_day, now=now)
    await session.flush()
    return subscription


async def resume(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> Subscription:
    """R-SUB-6: a cancelled subscription resumes before its access ends, without a new charge."""
    subscription = await live_subscription(session, user_id, lock=True)
    if (
        subscription is None
        or not subscription.cancel_at_period_end
        or subscription.next_renewal_on is None
        or subscription.status not in (SubscriptionStatus.trialing, SubscriptionStatus.active)
        or subscription.provider_state == ChargePermissionState.closed.value
        or jst_date(now) >= subscription.next_renewal_on
    ):
        raise NothingToResume()
    subscription.cancel_at_period_end = False
    subscription.cancel_requested_at = None
    await membership.open_grant(session, subscription, now=now)
    await session.flush()
    return subscription


# --- Reading --------------------------------------------------------------------------------------


def access_until_on(subscription: Subscription) -> date | None:
    """The last day with access if nothing changes."""
    status = subscription.status
    if status in (SubscriptionStatus.trialing, SubscriptionStatus.active):
        assert subscription.next_renewal_on is not None
        return subscription.next_renewal_on - timedelta(days=1)
    if status is SubscriptionStatus.past_due:
        assert subscription.past_due_since_on is not None
        return rules.grace_ends_on(subscription.past_due_since_on)
    if status is SubscriptionStatus.canceled:
        return subscription.ended_on
    return None


def has_access(subscription: Subscription, today: date) -> bool:
    """R-SUB-10."""
    return rules.has_access(
        subscription.status,
        cancel_at_period_end=subscription.cancel_at_period_end,
        access_until=access_until_on(subscription),
        grace_ends_on=(
            rules.grace_ends_on(subscription.past_due_since_on)
            if subscription.past_due_since_on
            else None
        ),
        today=today,
    )


def next_charge_on(subscription: Subscription) -> date | None:
    if subscription.cancel_at_period_end:
        return None
    if subscription.status in (SubscriptionStatus.trialing, SubscriptionStatus.active):
        return subscription.next_renewal_on
    if subscription.status is SubscriptionStatus.past_due:
        return subscription.next_retry_on
    return None
