"""What a charge permission's state means for the subscription. PAYMENTS.md, R-SUB-4…7.

- `Closed` by the buyer or the provider (not by us) is a cancellation: at period end while
  trialing/active (access to the day before the next renewal, not resumable: nothing is left to
  charge), at once while pending, past due or unpaid.
- `NonChargeable` records the payment issue (the member fixes it on Amazon Pay).
- `Chargeable` again after an issue: a past-due or unpaid subscription is charged at once
  (`tasks.charge_subscription_now`, deferred in this transaction).

Forward only: a permission state older than the one we hold changes nothing; applying the
same state again is harmless (provider timestamps have one-second precision).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.calendar import jst_date
from app.kit.jobs import defer_in_transaction
from app.models.payment import Subscription
from app.payments.provider.objects import ChargePermission, ChargePermissionState
from app.payments.rules.subscription import SubscriptionStatus
from app.payments.subscriptions import emails, membership

CHARGE_NOW_TASK = "app.payments.tasks.charge_subscription_now"

_ISSUE_BY_REASON = {"PaymentMethodExpired": "payment_method_expired"}


async def apply_permission_state(
    session: AsyncSession,
    subscription: Subscription,
    permission: ChargePermission,
    *,
    now: datetime,
) -> bool:
    """Apply `permission` to the (locked) subscription; False when it was not newer."""
    details = permission.status_details
    if (
        subscription.provider_updated_at is not None
        and details.last_updated_timestamp < subscription.provider_updated_at
    ):
        return False  # an older state than ours (equal is applied again: timestamps are to the
        # second, and every branch below is idempotent)
    previous_state = subscription.provider_state
    subscription.provider_state = details.state.value
    subscription.provider_reason = details.reason_code
    subscription.provider_updated_at = details.last_updated_timestamp
    status = subscription.status
    if status is SubscriptionStatus.canceled:
        return True
    today = jst_date(now)

    if details.state is ChargePermissionState.closed:
        if details.reason_code == "MerchantClosed":
            return True  # we closed it ourselves when the subscription ended
        subscription.payment_issue = "permission_closed"
        if status in (SubscriptionStatus.trialing, SubscriptionStatus.active):
            if not subscription.cancel_at_period_end:
                assert subscription.next_renewal_on is not None
                last_day = subscription.next_renewal_on - timedelta(days=1)
                subscription.cancel_at_period_end = True
                subscription.cancel_requested_at = now
                await membership.end_grant_after(session, subscription, last_day=last_day)
                await emails.canceled(session, subscription, access_until_on=last_day, now=now)
            return True
        subscription.status = SubscriptionStatus.canceled
        subscription.canceled_at = now
        subscription.ended_on = today
        subscription.ended_reason = "permission_closed"
        subscription.next_retry_on = None
        await membership.end_grant(session, subscription, ends_at=now)
        return True

    if details.state is ChargePermissionState.non_chargeable:
        subscription.payment_issue = _ISSUE_BY_REASON.get(
            details.reason_code or "", "payment_method_invalid"
        )
        return True

    # Chargeable: the payment method works (again).
    if status in (SubscriptionStatus.past_due, SubscriptionStatus.unpaid):
        if previous_state != ChargePermissionState.chargeable.value or subscription.payment_issue:
            await defer_in_transaction(
                session,
                CHARGE_NOW_TASK,
                args={"subscription_id": str(subscription.id)},
                queue="payments",
                lock=f"subscription-{subscription.id}",
            )
    elif subscription.payment_issue in ("payment_method_invalid", "payment_method_expired"):
        subscription.payment_issue = None
    return True
