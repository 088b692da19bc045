"""Subscription state machine (PAYMENTS.md; R-SUB-2, R-SUB-4 … R-SUB-7, R-SUB-10)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.errors import Conflict
from app.payments.rules.subscription import (
    DeclineKind,
    SubscriptionEvent,
    SubscriptionState,
    SubscriptionStatus,
    TransitionRefused,
    access_until,
    grace_ends_on,
    has_access,
    transition,
)

S = SubscriptionStatus
E = SubscriptionEvent
PENDING = SubscriptionState(S.pending)
TRIALING = SubscriptionState(S.trialing)
ACTIVE = SubscriptionState(S.active)
CANCELLING = SubscriptionState(S.active, cancel_at_period_end=True)
TRIAL_CANCELLING = SubscriptionState(S.trialing, cancel_at_period_end=True)
CLOSED = SubscriptionState(S.active, cancel_at_period_end=True, permission_closed=True)
PAST_DUE = SubscriptionState(S.past_due, decline=DeclineKind.soft)
PAST_DUE_HARD = SubscriptionState(S.past_due, decline=DeclineKind.hard)
UNPAID = SubscriptionState(S.unpaid, decline=DeclineKind.hard)
CANCELED = SubscriptionState(S.canceled)

TODAY = date(2027, 2, 10)
RESUME = {"today": TODAY, "access_until": date(2027, 2, 27)}


@pytest.mark.parametrize(
    ("state", "event", "kwargs", "expected"),
    [
        # R-SUB-2 checkout: a trial, or (one trial per person) the first charge at once.
        (PENDING, E.checkout_confirmed, {}, TRIALING),
        (PENDING, E.checkout_confirmed, {"with_trial": False}, PENDING),
        (PENDING, E.charge_captured, {}, ACTIVE),
        (PENDING, E.charge_declined, {"decline": DeclineKind.soft}, CANCELED),
        (PENDING, E.cancel_requested, {}, CANCELED),
        # R-SUB-3 R1 and renewals.
        (TRIALING, E.charge_captured, {}, ACTIVE),
        (ACTIVE, E.charge_captured, {}, ACTIVE),
        # R-SUB-7 declines, retries, recovery, exhaustion.
        (TRIALING, E.charge_declined, {"decline": DeclineKind.soft}, PAST_DUE),
        (ACTIVE, E.charge_declined, {"decline": DeclineKind.hard}, PAST_DUE_HARD),
        (PAST_DUE, E.charge_declined, {"decline": DeclineKind.hard}, PAST_DUE_HARD),
        (PAST_DUE, E.charge_captured, {}, ACTIVE),
        (PAST_DUE_HARD, E.retry_exhausted, {}, UNPAID),
        (UNPAID, E.charge_captured, {}, ACTIVE),
        (
            UNPAID,
            E.charge_declined,
            {"decline": DeclineKind.soft},
            SubscriptionState(S.unpaid, decline=DeclineKind.soft),
        ),
        (UNPAID, E.unpaid_expired, {}, SubscriptionState(S.canceled, decline=DeclineKind.hard)),
        # R-SUB-4/5 cancel at period end; R-SUB-6 resume.
        (TRIALING, E.cancel_requested, {}, TRIAL_CANCELLING),
        (ACTIVE, E.cancel_requested, {}, CANCELLING),
        (CANCELLING, E.resume_requested, RESUME, ACTIVE),
        (TRIAL_CANCELLING, E.resume_requested, RESUME, TRIALING),
        (CANCELLING, E.period_ended, {}, SubscriptionState(S.canceled, cancel_at_period_end=True)),
        (
            TRIAL_CANCELLING,
            E.period_ended,
            {},
            SubscriptionState(S.canceled, cancel_at_period_end=True),
        ),
        (CANCELLING, E.charge_captured, {}, CANCELLING),
        # Cancelling an unpaid period ends it at once.
        (PAST_DUE, E.cancel_requested, {}, SubscriptionState(S.canceled, decline=DeclineKind.soft)),
        (UNPAID, E.cancel_requested, {}, SubscriptionState(S.canceled, decline=DeclineKind.hard)),
        # A permission closed by the buyer/provider is a cancellation (PAYMENTS.md).
        (ACTIVE, E.permission_closed, {}, CLOSED),
        (TRIALING, E.permission_closed, {}, SubscriptionState(S.trialing, True, True)),
        (
            PAST_DUE,
            E.permission_closed,
            {},
            SubscriptionState(S.canceled, False, True, DeclineKind.soft),
        ),
        (PENDING, E.permission_closed, {}, SubscriptionState(S.canceled, permission_closed=True)),
    ],
)
def test_r_sub_state_machine_moves(
    state: SubscriptionState,
    event: SubscriptionEvent,
    kwargs: dict[str, Any],
    expected: SubscriptionState,
) -> None:
    """R-SUB-2 … R-SUB-7 (PAYMENTS.md table): allowed transitions."""
    assert transition(state, event, **kwargs) == expected


@pytest.mark.parametrize(
    ("state", "event", "kwargs", "reason"),
    [
        (CANCELED, E.charge_captured, {}, "subscription_canceled"),
        (CANCELED, E.resume_requested, RESUME, "subscription_canceled"),
        (CANCELED, E.checkout_confirmed, {}, "subscription_canceled"),
        (TRIALING, E.checkout_confirmed, {}, "already_confirmed"),
        (ACTIVE, E.retry_exhausted, {}, "not_past_due"),
        (PAST_DUE, E.unpaid_expired, {}, "not_unpaid"),
        (CANCELLING, E.cancel_requested, {}, "already_canceling"),
        (ACTIVE, E.resume_requested, RESUME, "not_canceling"),
        (PAST_DUE, E.resume_requested, RESUME, "not_canceling"),
        (CLOSED, E.resume_requested, RESUME, "permission_closed"),
        (ACTIVE, E.period_ended, {}, "renewal_due"),
        (PAST_DUE, E.period_ended, {}, "period_unpaid"),
        (CANCELLING, E.charge_declined, {"decline": DeclineKind.soft}, "not_renewing"),
    ],
)
def test_r_sub_state_machine_refusals(
    state: SubscriptionState, event: SubscriptionEvent, kwargs: dict[str, Any], reason: str
) -> None:
    """PAYMENTS.md: an event the state cannot take is refused with a stable reason slug."""
    with pytest.raises(TransitionRefused) as refused:
        transition(state, event, **kwargs)
    assert refused.value.reason == reason
    assert refused.value.subscription_status is state.status
    assert refused.value.event is event


def test_r_sub_6_resume_only_before_access_ends() -> None:
    """R-SUB-6: resume on the last access day works; the day after it is refused."""
    last = date(2027, 2, 27)
    assert transition(CANCELLING, E.resume_requested, today=last, access_until=last) == ACTIVE
    with pytest.raises(TransitionRefused) as refused:
        transition(
            CANCELLING, E.resume_requested, today=last + timedelta(days=1), access_until=last
        )
    assert refused.value.reason == "access_ended"


def test_transition_refused_is_a_conflict_problem() -> None:
    """Every refusal is an RFC 9457 problem with ja/en text."""
    with pytest.raises(TransitionRefused) as refused:
        transition(CANCELED, E.cancel_requested)
    problem = refused.value
    assert isinstance(problem, Conflict)
    assert problem.status == 409
    assert problem.type == "subscription-transition-refused"
    assert problem.extensions["reason"] == "subscription_canceled"
    assert "canceled" in (problem.render_detail("en") or "")
    assert problem.render_detail("ja")


def test_event_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="decline"):
        transition(ACTIVE, E.charge_declined)
    with pytest.raises(ValueError, match="decline"):
        transition(ACTIVE, E.charge_captured, decline=DeclineKind.soft)
    with pytest.raises(ValueError, match="today"):
        transition(CANCELLING, E.resume_requested)


# --- R-SUB-10 access ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cancelling", "today", "expected"),
    [
        (S.pending, False, TODAY, False),
        (S.trialing, False, TODAY, True),
        (S.active, False, TODAY, True),
        (S.active, True, date(2027, 2, 27), True),  # cancelled, last day
        (S.active, True, date(2027, 2, 28), False),  # cancelled, ended
        (S.trialing, True, date(2027, 2, 27), True),
        (S.past_due, False, date(2027, 2, 7), True),  # last grace day
        (S.past_due, False, date(2027, 2, 8), False),
        (S.unpaid, False, TODAY, False),
        (S.canceled, False, TODAY, False),
    ],
)
def test_r_sub_10_access_by_state(
    status: SubscriptionStatus, cancelling: bool, today: date, expected: bool
) -> None:
    """R-SUB-10: trialing, active, past-due-in-grace and cancelled-not-ended grant access."""
    assert (
        has_access(
            status,
            cancel_at_period_end=cancelling,
            access_until=date(2027, 2, 27),
            grace_ends_on=grace_ends_on(date(2027, 1, 31)),
            today=today,
        )
        is expected
    )


def test_r_sub_10_access_needs_the_dates_it_depends_on() -> None:
    with pytest.raises(ValueError, match="access_until"):
        has_access(
            S.active, cancel_at_period_end=True, access_until=None, grace_ends_on=None, today=TODAY
        )
    with pytest.raises(ValueError, match="grace_ends_on"):
        has_access(
            S.past_due,
            cancel_at_period_end=False,
            access_until=None,
            grace_ends_on=None,
            today=TODAY,
        )


def test_r_sub_4_trial_cancel_walk_never_charges_and_ends_after_d_plus_6() -> None:
    """R-SUB-4: sign-up Jan 24, cancel Jan 26 → access through Jan 30, then canceled, no charge."""
    state = transition(PENDING, E.checkout_confirmed)
    state = transition(state, E.cancel_requested)
    until = access_until(31, date(2027, 1, 31), date(2027, 1, 26))
    assert until == date(2027, 1, 30)
    for day, expected in ((date(2027, 1, 30), True), (date(2027, 1, 31), False)):
        assert (
            has_access(
                state.status,
                cancel_at_period_end=state.cancel_at_period_end,
                access_until=until,
                grace_ends_on=None,
                today=day,
            )
            is expected
        )
    # The R1 charge is never attempted: a decline or capture for a period that will not renew
    # is not how it ends; the period ends.
    assert transition(state, E.period_ended).status is S.canceled


# --- Properties ---------------------------------------------------------------------------------

events = st.tuples(
    st.sampled_from(list(SubscriptionEvent)),
    st.sampled_from(list(DeclineKind)),
    st.booleans(),
)


@given(st.lists(events, max_size=30))
def test_state_machine_invariants_under_any_event_sequence(
    steps: list[tuple[SubscriptionEvent, DeclineKind, bool]],
) -> None:
    """PAYMENTS.md: canceled is final; cancel_at_period_end only on paid states; a decline is
    remembered only once a charge failed; a refused event leaves the state as it was."""
    state = PENDING
    for event, decline, with_trial in steps:
        kwargs: dict[str, Any] = {}
        if event is E.charge_declined:
            kwargs["decline"] = decline
        if event is E.checkout_confirmed:
            kwargs["with_trial"] = with_trial
        if event is E.resume_requested:
            kwargs.update(RESUME)
        before = state
        try:
            state = transition(state, event, **kwargs)
        except TransitionRefused:
            assert state == before
            continue
        assert before.status is not S.canceled
        if state.cancel_at_period_end:
            assert state.status in (S.trialing, S.active, S.canceled)
        if state.decline is not None:
            assert state.status in (S.past_due, S.unpaid, S.canceled)
        if before.permission_closed:
            assert state.permission_closed
