"""Membership subscription rules: the billing calendar and the state machine. Pure, no clock.

Implements R-SUB-2 … R-SUB-7 and R-SUB-10 with PAYMENTS.md "Subscription state machine".
All dates are JST calendar dates (`app.kit.calendar.jst_date(now)` is the caller's "today").

Calendar (D = sign-up day):

- R-SUB-2 `trial_days`: the trial is D … D+6 (7 days counting the sign-up day);
  `trial_length_days` gives 0 to a person who already had a subscription ("one trial per
  person"): the first charge is then taken at once, on the sign-up day, which becomes the anchor.
- R-SUB-3 `first_renewal_on` (R1 = D+7, "8日目"), `anchor_day`, `renewal_on` (cycle 0 = R1; every
  later renewal falls on the anchor day of its month, or the month's last day when the month is
  shorter: anchor 31 → Feb 28/29 → Mar 31, never drifting), `cycle_on`, `next_renewal_on`.
- R-SUB-4/5 `access_until`: the day before the next renewal (次回更新日前日); during the trial that
  is D+6. No refund or proration for the rest of a period.
- R-SUB-7 `retry_days` (+1, +3, +7 from the failed renewal day), `grace_ends_on` (access during
  those 7 days: through failed day + 7), `unpaid_cancels_on` (unpaid → canceled after 30 days).

State machine (`transition`): statuses follow Stripe Billing (pending, trialing, active, past_due,
unpaid, canceled); events are what the provider or the member does. An event the current state
cannot take raises `TransitionRefused` with a reason slug; nothing else changes state.
R-SUB-10 `has_access` decides whether a state grants the membership entitlement.

Decisions where SPEC and PAYMENTS.md are silent:

- Without a trial the checkout leaves the subscription `pending` until the immediate first charge
  is captured (→ active). If that first charge is declined the subscription is `canceled`: no
  grace, because grace would be a second free trial; the member may check out again.
- Cancelling (or the buyer closing the permission) while `past_due` or `unpaid` ends the
  subscription at once: the period was never paid, so there is no "rest of the period" to keep.
- A permission closed by the buyer or provider while trialing/active is a cancellation at period
  end (PAYMENTS.md) that cannot be resumed: there is no permission left to charge.
- `period_ended` is the end of a period that will not renew (cancel at period end); a period that
  should renew ends through its renewal charge instead, so `period_ended` without a pending
  cancellation is refused (`renewal_due`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from app.kit.calendar import add_months, last_day_of_month
from app.kit.errors import Conflict

TRIAL_LENGTH_DAYS = 7
"""R-SUB-2: D … D+6, counting the sign-up day."""

RETRY_OFFSETS_DAYS = (1, 3, 7)
"""R-SUB-7: retries on days +1, +3 and +7 after the failed renewal day."""

GRACE_DAYS = 7
"""R-SUB-7: access continues during the 7 days after a failed renewal."""

UNPAID_DAYS_BEFORE_CANCEL = 30
"""PAYMENTS.md: unpaid → canceled after 30 days."""

TRIAL_ENDING_NOTICE_DAYS_BEFORE = 2
"""R-NTF-1 "trial ends in 2 days": sent on the last trial day minus 2."""


# --- Calendar -----------------------------------------------------------------------------------


def trial_length_days(*, has_started_subscription_before: bool) -> int:
    """R-SUB-2 one trial per person: 7 days, or 0 for a person whose earlier subscription ever
    started (reached trialing or active). An abandoned checkout that stayed pending does not count.

    With 0 days the first charge is taken on the sign-up day and that day is the anchor:
    `first_renewal_on(signup_on, trial_length_days=0) == signup_on`.
    """
    return 0 if has_started_subscription_before else TRIAL_LENGTH_DAYS


def trial_days(signup_on: date) -> tuple[date, date]:
    """R-SUB-2: the first and last trial day, D and D+6 (7 days counting the sign-up day)."""
    return signup_on, signup_on + timedelta(days=TRIAL_LENGTH_DAYS - 1)


def trial_ending_notice_on(signup_on: date) -> date:
    """R-NTF-1 / R-SUB-2: the day of the "trial ends in 2 days" email, D+4 (the trial ends on D+6)."""
    return trial_days(signup_on)[1] - timedelta(days=TRIAL_ENDING_NOTICE_DAYS_BEFORE)


def first_renewal_on(signup_on: date, *, trial_length_days: int = TRIAL_LENGTH_DAYS) -> date:
    """R-SUB-2/3: R1, the first charge day: D+7 ("8日目"); D itself when there is no trial."""
    if trial_length_days not in (0, TRIAL_LENGTH_DAYS):
        raise ValueError(f"trial_length_days must be 0 or {TRIAL_LENGTH_DAYS}")
    return signup_on + timedelta(days=trial_length_days)


def anchor_day(first_renewal_on: date) -> int:
    """R-SUB-3: the anchor is the day of month of R1 (1–31)."""
    return first_renewal_on.day


def _check_anchor(anchor_day: int, first_renewal_on: date) -> None:
    if not 1 <= anchor_day <= 31:
        raise ValueError("anchor_day must be within 1..31")
    last = last_day_of_month(first_renewal_on.year, first_renewal_on.month).day
    if first_renewal_on.day != min(anchor_day, last):
        raise ValueError("first_renewal_on does not fall on anchor_day")


def renewal_on(anchor_day: int, first_renewal_on: date, cycle: int) -> date:
    """R-SUB-3: the renewal day of `cycle` (0 = R1, 1 = the next month's renewal, …).

    The day is the anchor day of R1's month + `cycle`, or that month's last day when the month is
    shorter. It is computed from R1 every time, never from the previous renewal, so a 31st anchor
    goes Jan 31 → Feb 28 → Mar 31 and does not drift to the 28th.
    """
    _check_anchor(anchor_day, first_renewal_on)
    if cycle < 0:
        raise ValueError("cycle must be >= 0")
    month_start = add_months(first_renewal_on.replace(day=1), cycle)
    last = last_day_of_month(month_start.year, month_start.month)
    return month_start.replace(day=min(anchor_day, last.day))


def cycle_on(anchor_day: int, first_renewal_on: date, day: date) -> int:
    """R-SUB-3: the cycle whose paid period contains `day`: the last renewal on or before `day`.

    -1 before R1 (the trial). Cycle k's period is `renewal_on(k)` … `renewal_on(k + 1) - 1 day`.
    """
    _check_anchor(anchor_day, first_renewal_on)
    if day < first_renewal_on:
        return -1
    cycle = (day.year - first_renewal_on.year) * 12 + day.month - first_renewal_on.month
    # The renewal of `day`'s month may still be ahead of `day`; then the period began last month.
    if renewal_on(anchor_day, first_renewal_on, cycle) > day:
        cycle -= 1
    return cycle


def next_renewal_on(anchor_day: int, first_renewal_on: date, today: date) -> date:
    """R-SUB-3: the first renewal day strictly after `today`.

    On a renewal day whose charge has been captured the next renewal is next month's; during the
    trial it is R1. (A renewal charge that is due today is the caller's `renewal_on(cycle_on(…))`.)
    """
    return renewal_on(
        anchor_day, first_renewal_on, cycle_on(anchor_day, first_renewal_on, today) + 1
    )


def access_until(anchor_day: int, first_renewal_on: date, today: date) -> date:
    """R-SUB-4/5: the last day of access of a cancelled subscription: the day before the next
    renewal (次回更新日前日). Cancelled during the trial (today < R1) that is D+6; cancelled on a
    renewal day after that day's charge, it is the day before next month's renewal.
    """
    return next_renewal_on(anchor_day, first_renewal_on, today) - timedelta(days=1)


def retry_days(failed_on: date) -> tuple[date, date, date]:
    """R-SUB-7: the retry days of a failed renewal charge: +1, +3 and +7 days."""
    first, second, third = (failed_on + timedelta(days=offset) for offset in RETRY_OFFSETS_DAYS)
    return first, second, third


def next_retry_on(failed_on: date, retries_done: int) -> date | None:
    """R-SUB-7: the day of the next retry after `retries_done` failed retries; None when all
    three have failed (the subscription becomes unpaid)."""
    if retries_done < 0:
        raise ValueError("retries_done must be >= 0")
    days = retry_days(failed_on)
    return days[retries_done] if retries_done < len(days) else None


def grace_ends_on(failed_on: date) -> date:
    """R-SUB-7: the last day of access while past due: failed day + 7, the last retry day (a
    retry captured that day keeps the member in)."""
    return failed_on + timedelta(days=GRACE_DAYS)


def unpaid_cancels_on(unpaid_since: date) -> date:
    """PAYMENTS.md: the day an unpaid subscription is canceled, 30 days after it became unpaid."""
    return unpaid_since + timedelta(days=UNPAID_DAYS_BEFORE_CANCEL)


# --- State machine ------------------------------------------------------------------------------


class SubscriptionStatus(StrEnum):
    pending = "pending"
    trialing = "trialing"
    active = "active"
    past_due = "past_due"
    unpaid = "unpaid"
    canceled = "canceled"


class SubscriptionEvent(StrEnum):
    checkout_confirmed = "checkout_confirmed"
    charge_captured = "charge_captured"
    charge_declined = "charge_declined"
    retry_exhausted = "retry_exhausted"
    cancel_requested = "cancel_requested"
    resume_requested = "resume_requested"
    period_ended = "period_ended"
    permission_closed = "permission_closed"
    unpaid_expired = "unpaid_expired"


class DeclineKind(StrEnum):
    soft = "soft"
    """SoftDeclined / ProcessingFailure: retry while the permission is Chargeable."""
    hard = "hard"
    """HardDeclined: the buyer must fix the payment method on the provider's page."""


@dataclass(frozen=True)
class SubscriptionState:
    status: SubscriptionStatus
    cancel_at_period_end: bool = False
    permission_closed: bool = False
    """The charge permission was closed by the buyer or the provider: nothing can be charged."""
    decline: DeclineKind | None = None
    """The last decline while past due or unpaid; None otherwise."""


class TransitionRefused(Conflict):
    """The subscription cannot take this event in its current state (nothing was changed)."""

    type = "subscription-transition-refused"
    title = {
        "ja": "現在の契約状態ではこの操作はできません",
        "en": "The subscription cannot do this in its current state",
    }
    detail = {
        "ja": "契約状態「{status}」では「{event}」を実行できません({reason})。",
        "en": "A {status} subscription cannot take {event} ({reason}).",
    }

    def __init__(
        self, *, status: SubscriptionStatus, event: SubscriptionEvent, reason: str
    ) -> None:
        super().__init__(
            status=status.value,
            event=event.value,
            reason=reason,
            extensions={"reason": reason, "status": status.value, "event": event.value},
        )
        self.subscription_status = status
        self.event = event
        self.reason = reason


_S = SubscriptionStatus
_E = SubscriptionEvent
_PAID_STATUSES = frozenset({_S.trialing, _S.active})
_UNPAID_STATUSES = frozenset({_S.past_due, _S.unpaid})


def transition(
    state: SubscriptionState,
    event: SubscriptionEvent,
    *,
    decline: DeclineKind | None = None,
    with_trial: bool = True,
    today: date | None = None,
    access_until: date | None = None,
) -> SubscriptionState:
    """PAYMENTS.md state machine (R-SUB-2 … R-SUB-7): the state after `event`, or TransitionRefused.

    Event arguments: `charge_declined` needs `decline`; `checkout_confirmed` reads `with_trial`
    (False for a second subscription, R-SUB-2 one trial per person); `resume_requested` needs
    `today` and `access_until` (R-SUB-6: only before access ends, and without a new charge — the
    state simply stops cancelling).
    """
    if (decline is not None) != (event is _E.charge_declined):
        raise ValueError("decline is given with charge_declined and only then")
    status = state.status

    def refuse(reason: str) -> TransitionRefused:
        return TransitionRefused(status=status, event=event, reason=reason)

    if status is _S.canceled:
        raise refuse("subscription_canceled")

    if event is _E.checkout_confirmed:
        if status is not _S.pending:
            raise refuse("already_confirmed")
        return state if not with_trial else replace(state, status=_S.trialing)

    if event is _E.charge_captured:
        # Pending: the immediate first charge of a subscription without trial. Trialing: R1.
        # Active: a renewal. Past due / unpaid: a retry or a fixed payment method; anchor unchanged.
        return replace(state, status=_S.active, decline=None)

    if event is _E.charge_declined:
        assert decline is not None
        if status is _S.pending:
            return SubscriptionState(status=_S.canceled)
        if state.cancel_at_period_end:
            # A period that will not renew is never charged.
            raise refuse("not_renewing")
        if status is _S.unpaid:
            return replace(state, decline=decline)
        return replace(state, status=_S.past_due, decline=decline)

    if event is _E.retry_exhausted:
        if status is not _S.past_due:
            raise refuse("not_past_due")
        return replace(state, status=_S.unpaid)

    if event is _E.unpaid_expired:
        if status is not _S.unpaid:
            raise refuse("not_unpaid")
        return replace(state, status=_S.canceled)

    if event is _E.cancel_requested:
        if status is _S.pending or status in _UNPAID_STATUSES:
            return replace(state, status=_S.canceled, cancel_at_period_end=False)
        if state.cancel_at_period_end:
            raise refuse("already_canceling")
        return replace(state, cancel_at_period_end=True)

    if event is _E.permission_closed:
        if status is _S.pending or status in _UNPAID_STATUSES:
            return replace(state, status=_S.canceled, permission_closed=True)
        return replace(state, cancel_at_period_end=True, permission_closed=True)

    if event is _E.resume_requested:
        if today is None or access_until is None:
            raise ValueError("resume_requested needs today and access_until")
        if status not in _PAID_STATUSES or not state.cancel_at_period_end:
            raise refuse("not_canceling")
        if state.permission_closed:
            raise refuse("permission_closed")
        if today > access_until:
            raise refuse("access_ended")
        return replace(state, cancel_at_period_end=False)

    if event is _E.period_ended:
        if status not in _PAID_STATUSES:
            raise refuse("period_unpaid")
        if not state.cancel_at_period_end:
            raise refuse("renewal_due")
        return replace(state, status=_S.canceled)

    raise AssertionError(f"unhandled event {event}")  # pragma: no cover


def has_access(
    status: SubscriptionStatus,
    *,
    cancel_at_period_end: bool,
    access_until: date | None,
    grace_ends_on: date | None,
    today: date,
) -> bool:
    """R-SUB-10: does the subscription grant the membership entitlement on `today`?

    Trialing and active: yes; when cancelling (or the permission was closed), only through
    `access_until` (R-SUB-4/5). Past due: only in grace, through `grace_ends_on` (R-SUB-7).
    Pending, unpaid and canceled: no. A renewing subscription keeps access even if the renewal job
    runs late: it is not "ended" until its charge fails or it is cancelled.
    """
    if status in _PAID_STATUSES:
        if not cancel_at_period_end:
            return True
        if access_until is None:
            raise ValueError("a cancelling subscription needs access_until")
        return today <= access_until
    if status is _S.past_due:
        if grace_ends_on is None:
            raise ValueError("a past-due subscription needs grace_ends_on")
        return today <= grace_ends_on
    return False
