"""Charging the membership: renewals, retries, recovery, period ends. R-SUB-2…7, R-SUB-9.

The periodic job (`tasks.run_subscription_billing`) asks `due_subscription_ids` which
subscriptions need something today and runs `run_subscription` for each, one subscription per
transaction. Money moves exactly once because:

1. **The attempt is stored before the provider is called.** Transaction 1 locks the subscription
   row (`FOR UPDATE SKIP LOCKED`: a second runner skips it), finds or creates the attempt row
   for (subscription, period, attempt) — unique — with its idempotency key
   `ren-<subscription>-<period>-<attempt>`, and commits.
2. **The provider call carries that key.** A crash, a timeout or a second runner repeats the
   call with the same key and gets the first answer back; no second charge exists.
3. **The answer is applied under the row lock, forward only** (`apply_charge`): an attempt that
   is already captured or declined is not applied twice, so a late notification of the same
   charge changes nothing.

Declines (PAYMENTS.md): soft declines and processing failures are retried on +1/+3/+7 while the
permission is Chargeable; after a hard decline the member must fix the payment method, so a
retry day first re-reads the permission and counts as failed while it is NonChargeable. When the
permission becomes Chargeable again (a notification), `tasks.charge_subscription_now` retries at
once. Every retry failed → unpaid (access ends); unpaid for 30 days → canceled.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.calendar import jst_date
from app.models.payment import (
    ChargeAttemptStatus,
    OrderKind,
    PaymentOrder,
    Subscription,
    SubscriptionCharge,
)
from app.payments.orders.service import OrderLineInput, create_order, mark_failed, mark_paid
from app.payments.provider.client import ProviderClient
from app.payments.provider.errors import ProviderRejected, ProviderUnavailable
from app.payments.provider.objects import Charge, ChargePermissionState, ChargeState
from app.payments.rules import subscription as rules
from app.payments.rules.subscription import DeclineKind, SubscriptionStatus
from app.payments.subscriptions import emails, membership

logger = logging.getLogger("manabi.payments")

_FINAL_CHARGE_STATES = frozenset({ChargeState.captured, ChargeState.declined, ChargeState.canceled})


class RunOutcome(StrEnum):
    busy = "busy"  # another runner holds the row
    nothing_due = "nothing_due"
    charged = "charged"
    declined = "declined"
    waiting = "waiting"  # the provider has not decided yet, or could not be reached
    ended = "ended"
    unpaid = "unpaid"
    noticed = "noticed"


def charge_key(subscription_id: uuid.UUID, period_on: date, attempt: int) -> str:
    """`ren-<16 hex>-<yymmdd>-<attempt>`: ≤ 32 characters of `[A-Za-z0-9_-]` (provider limit)."""
    return f"ren-{subscription_id.hex[:16]}-{period_on:%y%m%d}-{attempt}"


def order_title(period_on: date, period_end_on: date) -> str:
    return f"月額会員プラン({period_on:%Y/%m/%d}〜{period_end_on:%Y/%m/%d})"


def decline_kind(reason_code: str | None) -> DeclineKind:
    return DeclineKind.hard if reason_code == "HardDeclined" else DeclineKind.soft


def period_end_on(subscription: Subscription, period_on: date) -> date:
    cycle = rules.cycle_on(subscription.anchor_day, subscription.first_renewal_on, period_on)
    following = rules.renewal_on(subscription.anchor_day, subscription.first_renewal_on, cycle + 1)
    return following - timedelta(days=1)


# --- What is due ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    kind: str  # "charge" | "retry" | "end_period" | "expire_unpaid" | "trial_notice" | "none"
    period_on: date | None = None
    attempt: int | None = None
    """None: the period's next attempt (`find_or_create_attempt`)."""


def due_for(subscription: Subscription, today: date) -> Due:
    """What `subscription` needs on `today` (pure over the row)."""
    status = subscription.status
    if status in (SubscriptionStatus.trialing, SubscriptionStatus.active):
        renewal = subscription.next_renewal_on
        if renewal is not None and today >= renewal:
            if subscription.cancel_at_period_end:
                return Due("end_period")
            return Due("charge", period_on=renewal, attempt=1)
        if (
            status is SubscriptionStatus.trialing
            and subscription.trial_reminder_sent_at is None
            and not subscription.cancel_at_period_end
            and today >= rules.trial_ending_notice_on(subscription.signup_on)
        ):
            return Due("trial_notice")
        return Due("none")
    if status is SubscriptionStatus.past_due:
        if subscription.next_retry_on is not None and today >= subscription.next_retry_on:
            assert subscription.next_renewal_on is not None
            return Due(
                "retry",
                period_on=subscription.next_renewal_on,
                attempt=subscription.retry_count + 2,
            )
        return Due("none")
    if status is SubscriptionStatus.unpaid:
        assert subscription.unpaid_since_on is not None
        if today >= rules.unpaid_cancels_on(subscription.unpaid_since_on):
            return Due("expire_unpaid")
        return Due("none")
    return Due("none")


async def due_subscription_ids(
    session: AsyncSession, *, today: date, limit: int = 500
) -> list[uuid.UUID]:
    """Subscriptions that may need work today (a superset; `due_for` decides under the lock)."""
    # The trial-ending notice is due from D+4 on (`rules.trial_ending_notice_on`).
    notice_lag = rules.trial_ending_notice_on(today) - today
    statement = (
        select(Subscription.id)
        .where(
            or_(
                (Subscription.status.in_([SubscriptionStatus.trialing, SubscriptionStatus.active]))
                & (Subscription.next_renewal_on <= today),
                (Subscription.status == SubscriptionStatus.trialing)
                & Subscription.trial_reminder_sent_at.is_(None)
                & Subscription.cancel_at_period_end.is_(False)
                & (Subscription.signup_on <= today - notice_lag),
                (Subscription.status == SubscriptionStatus.past_due)
                & (Subscription.next_retry_on <= today),
                (Subscription.status == SubscriptionStatus.unpaid)
                & (
                    Subscription.unpaid_since_on
                    <= today - timedelta(days=rules.UNPAID_DAYS_BEFORE_CANCEL)
                ),
            )
        )
        .order_by(Subscription.next_renewal_on, Subscription.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


async def lock_subscription(
    session: AsyncSession, subscription_id: uuid.UUID, *, skip_locked: bool = False
) -> Subscription | None:
    statement = (
        select(Subscription)
        .where(Subscription.id == subscription_id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


# --- Attempts ------------------------------------------------------------------------------------


async def find_or_create_attempt(
    session: AsyncSession,
    subscription: Subscription,
    *,
    period_on: date,
    attempt: int | None,
    now: datetime,
) -> SubscriptionCharge:
    """The attempt row for (subscription, period, attempt), created with its order if new.

    `attempt=None` (a recovery charge at an unscheduled moment): the period's pending attempt if
    there is one (its answer was lost: re-sent with the same key), else the next number."""
    existing = (
        (
            await session.execute(
                select(SubscriptionCharge).where(
                    SubscriptionCharge.subscription_id == subscription.id,
                    SubscriptionCharge.period_on == period_on,
                )
            )
        )
        .scalars()
        .all()
    )
    if attempt is None:
        pending = [row for row in existing if row.status is ChargeAttemptStatus.pending]
        if pending:
            return max(pending, key=lambda row: row.attempt)
        attempt = max((row.attempt for row in existing), default=0) + 1
    for row in existing:
        if row.attempt == attempt:
            return row
    if existing:
        order_id = existing[0].order_id
    else:
        end_on = period_end_on(subscription, period_on)
        order = await create_order(
            session,
            user_id=subscription.user_id,
            kind=OrderKind.subscription,
            title=order_title(period_on, end_on),
            lines=[
                OrderLineInput(
                    description="月額会員プラン(税込)", unit_price_jpy=subscription.price_jpy
                )
            ],
            now=now,
            charge_permission_id=subscription.charge_permission_id,
            period_start_on=period_on,
            period_end_on=end_on,
        )
        order_id = order.id
    row = SubscriptionCharge(
        id=uuid.uuid4(),
        subscription_id=subscription.id,
        period_on=period_on,
        attempt=attempt,
        amount_jpy=subscription.price_jpy,
        idempotency_key=charge_key(subscription.id, period_on, attempt),
        status=ChargeAttemptStatus.pending,
        order_id=order_id,
    )
    session.add(row)
    await session.flush()
    return row


async def order_of(session: AsyncSession, attempt: SubscriptionCharge) -> PaymentOrder:
    order = await session.get(PaymentOrder, attempt.order_id)
    assert order is not None
    return order


async def call_provider(
    provider: ProviderClient, attempt: SubscriptionCharge, *, permission_id: str, order_number: str
) -> Charge | None:
    """Create (or, after a lost answer, re-read) the attempt's charge. None: not reachable now."""
    try:
        if attempt.provider_charge_id is not None:
            return await provider.get_charge(attempt.provider_charge_id)
        return await provider.create_charge(
            charge_permission_id=permission_id,
            amount_jpy=attempt.amount_jpy,
            merchant_reference_id=order_number,
            idempotency_key=attempt.idempotency_key,
        )
    except ProviderUnavailable:
        logger.warning("payment provider unreachable", extra={"attempt_id": str(attempt.id)})
        return None


# --- Applying a charge's state (forward only) ----------------------------------------------------


async def apply_charge(
    session: AsyncSession,
    subscription: Subscription,
    attempt: SubscriptionCharge,
    charge: Charge,
    *,
    now: datetime,
) -> RunOutcome:
    """Move the attempt, its order and the subscription forward from the charge's real state.

    The subscription row must be locked by the caller. Applying the same state twice, or an
    older state after a newer one, changes nothing.
    """
    details = charge.status_details
    if attempt.provider_charge_id is None:
        attempt.provider_charge_id = charge.charge_id
    if attempt.status in (ChargeAttemptStatus.captured, ChargeAttemptStatus.declined):
        return RunOutcome.nothing_due
    if (
        attempt.provider_updated_at is not None
        and details.last_updated_timestamp < attempt.provider_updated_at
    ):
        return RunOutcome.nothing_due
    attempt.provider_state = details.state.value
    attempt.provider_reason = details.reason_code
    attempt.provider_updated_at = details.last_updated_timestamp
    if details.state not in _FINAL_CHARGE_STATES:
        return RunOutcome.waiting
    order = await session.get(PaymentOrder, attempt.order_id, with_for_update=True)
    assert order is not None
    today = jst_date(now)
    if details.state is ChargeState.captured:
        attempt.status = ChargeAttemptStatus.captured
        mark_paid(order, provider_charge_id=charge.charge_id, paid_at=now)
        await _on_captured(session, subscription, attempt, order, now=now)
        return RunOutcome.charged
    attempt.status = ChargeAttemptStatus.declined
    mark_failed(order, reason=details.reason_code or details.state.value)
    return await on_declined(
        session,
        subscription,
        kind=decline_kind(details.reason_code),
        today=today,
        now=now,
        order=order,
    )


async def _on_captured(
    session: AsyncSession,
    subscription: Subscription,
    attempt: SubscriptionCharge,
    order: PaymentOrder,
    *,
    now: datetime,
) -> None:
    if subscription.next_renewal_on != attempt.period_on:
        return  # this period was settled already (or the subscription moved on): no second advance
    was_without_access = subscription.status in (
        SubscriptionStatus.unpaid,
        SubscriptionStatus.pending,
    )
    subscription.status = SubscriptionStatus.active
    subscription.renewal_cycle += 1
    subscription.next_renewal_on = rules.renewal_on(
        subscription.anchor_day, subscription.first_renewal_on, subscription.renewal_cycle
    )
    subscription.paid_through_on = subscription.next_renewal_on - timedelta(days=1)
    subscription.past_due_since_on = None
    subscription.next_retry_on = None
    subscription.retry_count = 0
    subscription.unpaid_since_on = None
    subscription.payment_issue = None
    if was_without_access:
        await membership.open_grant(session, subscription, now=now)
    await emails.charge_succeeded(session, subscription, order, now=now)


async def on_declined(
    session: AsyncSession,
    subscription: Subscription,
    *,
    kind: DeclineKind,
    today: date,
    now: datetime,
    order: PaymentOrder | None,
) -> RunOutcome:
    """A renewal, retry or recovery charge was declined (or could not be tried: permission not
    Chargeable). R-SUB-7."""
    subscription.payment_issue = (
        "payment_method_invalid" if kind is DeclineKind.hard else "payment_declined"
    )
    status = subscription.status
    if status is SubscriptionStatus.pending:
        subscription.status = SubscriptionStatus.canceled
        subscription.canceled_at = now
        subscription.ended_on = today
        subscription.ended_reason = "initial_charge_declined"
        return RunOutcome.declined
    if status in (SubscriptionStatus.trialing, SubscriptionStatus.active):
        failed_on = subscription.next_renewal_on or today
        subscription.status = SubscriptionStatus.past_due
        subscription.past_due_since_on = failed_on
        subscription.retry_count = 0
        subscription.next_retry_on = rules.next_retry_on(failed_on, 0)
        await emails.charge_failed(session, subscription, order, now=now, final=False)
        return RunOutcome.declined
    if status is SubscriptionStatus.past_due:
        assert subscription.past_due_since_on is not None
        subscription.retry_count += 1
        following = rules.next_retry_on(subscription.past_due_since_on, subscription.retry_count)
        # A job that ran late catches up on its next run (the retry day is already due).
        subscription.next_retry_on = following
        if following is None:
            subscription.status = SubscriptionStatus.unpaid
            subscription.unpaid_since_on = today
            await membership.end_grant(session, subscription, ends_at=now)
            await emails.charge_failed(session, subscription, order, now=now, final=True)
            return RunOutcome.unpaid
        return RunOutcome.declined
    return RunOutcome.declined  # unpaid: a recovery attempt failed; it stays unpaid


# --- One subscription's run ----------------------------------------------------------------------


async def run_subscription(
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: ProviderClient,
    subscription_id: uuid.UUID,
    *,
    now: datetime,
    force_retry: bool = False,
) -> RunOutcome:
    """Do what `subscription_id` needs today; see the module docstring for the transactions.

    `force_retry` charges a past-due or unpaid subscription now (its payment method was fixed).
    """
    today = jst_date(now)
    async with sessionmaker() as session:
        subscription = await lock_subscription(session, subscription_id, skip_locked=True)
        if subscription is None:
            return RunOutcome.busy
        due = _forced_due(subscription, today) if force_retry else due_for(subscription, today)
        if due.kind == "none":
            return RunOutcome.nothing_due
        if due.kind == "trial_notice":
            subscription.trial_reminder_sent_at = now
            await emails.trial_ending(session, subscription, now=now)
            await session.commit()
            return RunOutcome.noticed
        if due.kind in ("end_period", "expire_unpaid"):
            await _end(
                session,
                provider,
                subscription,
                now=now,
                reason="canceled" if due.kind == "end_period" else "unpaid",
            )
            await session.commit()
            return RunOutcome.ended
        assert due.period_on is not None
        if due.kind == "retry" or force_retry:
            permission_state = await _permission_state(provider, subscription)
            if permission_state is None:
                return RunOutcome.waiting
            if permission_state is not ChargePermissionState.chargeable:
                outcome = await on_declined(
                    session, subscription, kind=DeclineKind.hard, today=today, now=now, order=None
                )
                await session.commit()
                return outcome
        attempt = await find_or_create_attempt(
            session, subscription, period_on=due.period_on, attempt=due.attempt, now=now
        )
        order = await session.get(PaymentOrder, attempt.order_id)
        assert order is not None and subscription.charge_permission_id is not None
        order_number = order.order_number
        permission_id = subscription.charge_permission_id
        await session.commit()

    charge = await call_provider(
        provider, attempt, permission_id=permission_id, order_number=order_number
    )
    if charge is None:
        return RunOutcome.waiting

    async with sessionmaker() as session:
        subscription = await lock_subscription(session, subscription_id)
        stored = await session.get(SubscriptionCharge, attempt.id, with_for_update=True)
        assert subscription is not None and stored is not None
        outcome = await apply_charge(session, subscription, stored, charge, now=now)
        await session.commit()
        return outcome


def _forced_due(subscription: Subscription, today: date) -> Due:
    """A recovery charge now (payment method fixed): past due keeps its period; unpaid pays the
    period containing today (the unpaid days had no access and are not billed)."""
    if (
        subscription.status is SubscriptionStatus.past_due
        and subscription.next_renewal_on is not None
    ):
        return Due("retry", period_on=subscription.next_renewal_on)
    if subscription.status is SubscriptionStatus.unpaid:
        cycle = max(
            0, rules.cycle_on(subscription.anchor_day, subscription.first_renewal_on, today)
        )
        period_on = rules.renewal_on(subscription.anchor_day, subscription.first_renewal_on, cycle)
        subscription.renewal_cycle = cycle
        subscription.next_renewal_on = period_on
        return Due("retry", period_on=period_on)
    return Due("none")


async def _permission_state(
    provider: ProviderClient, subscription: Subscription
) -> ChargePermissionState | None:
    assert subscription.charge_permission_id is not None
    try:
        permission = await provider.get_charge_permission(subscription.charge_permission_id)
    except ProviderUnavailable:
        return None
    return permission.status_details.state


async def _end(
    session: AsyncSession,
    provider: ProviderClient,
    subscription: Subscription,
    *,
    now: datetime,
    reason: str,
) -> None:
    """Cancel at the end of access (R-SUB-5) or after 30 days unpaid; close the permission."""
    today = jst_date(now)
    subscription.status = SubscriptionStatus.canceled
    subscription.canceled_at = subscription.canceled_at or now
    subscription.ended_on = (
        subscription.next_renewal_on - timedelta(days=1)
        if reason == "canceled" and subscription.next_renewal_on is not None
        else today
    )
    subscription.ended_reason = reason
    subscription.next_retry_on = None
    await membership.end_grant(session, subscription, ends_at=now)
    await close_permission(provider, subscription)


async def close_permission(provider: ProviderClient, subscription: Subscription) -> None:
    """Close the provider permission (best effort: a canceled subscription is never charged)."""
    if (
        subscription.charge_permission_id is None
        or subscription.provider_state == ChargePermissionState.closed.value
    ):
        return
    try:
        await provider.close_charge_permission(
            subscription.charge_permission_id,
            reason="Subscription canceled",
            cancel_pending_charges=True,
        )
    except (ProviderUnavailable, ProviderRejected):
        logger.warning(
            "could not close charge permission", extra={"subscription_id": str(subscription.id)}
        )


async def run_due_subscriptions(
    sessionmaker: async_sessionmaker[AsyncSession], provider: ProviderClient, *, now: datetime
) -> dict[str, int]:
    """The periodic job's body: every due subscription once; counts by outcome."""
    async with sessionmaker() as session:
        ids = await due_subscription_ids(session, today=jst_date(now))
    counts: dict[str, int] = {}
    for subscription_id in ids:
        outcome = await run_subscription(sessionmaker, provider, subscription_id, now=now)
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    return counts
