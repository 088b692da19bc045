"""Subscription calendar (R-SUB-2 … R-SUB-5, R-SUB-7): trial, renewals, access, retries."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.calendar import last_day_of_month
from app.payments.rules.subscription import (
    access_until,
    anchor_day,
    cycle_on,
    first_renewal_on,
    grace_ends_on,
    next_renewal_on,
    next_retry_on,
    renewal_on,
    retry_days,
    trial_days,
    trial_ending_notice_on,
    trial_length_days,
    unpaid_cancels_on,
)

signup_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))


def renewals(signup_on: date, count: int, *, trial: int = 7) -> list[date]:
    first = first_renewal_on(signup_on, trial_length_days=trial)
    return [renewal_on(anchor_day(first), first, cycle) for cycle in range(count)]


# --- R-SUB-2 trial ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signup_on", "last_trial_day", "r1"),
    [
        (date(2027, 3, 1), date(2027, 3, 7), date(2027, 3, 8)),  # sign-up on the 1st
        (date(2027, 1, 24), date(2027, 1, 30), date(2027, 1, 31)),  # R1 on a 31st
        (date(2027, 1, 25), date(2027, 1, 31), date(2027, 2, 1)),  # trial ends on month end
        (date(2027, 4, 23), date(2027, 4, 29), date(2027, 4, 30)),  # R1 on a 30-day month end
        (date(2027, 2, 21), date(2027, 2, 27), date(2027, 2, 28)),  # R1 on Feb 28
        (date(2028, 2, 22), date(2028, 2, 28), date(2028, 2, 29)),  # R1 on a leap day
        (date(2027, 12, 25), date(2027, 12, 31), date(2028, 1, 1)),  # year change
    ],
)
def test_r_sub_2_trial_is_seven_days_counting_signup_day_and_r1_is_day_8(
    signup_on: date, last_trial_day: date, r1: date
) -> None:
    """R-SUB-2: trial D … D+6, first charge on D+7 (8日目)."""
    assert trial_days(signup_on) == (signup_on, last_trial_day)
    assert (last_trial_day - signup_on).days + 1 == 7
    assert first_renewal_on(signup_on) == r1


def test_r_sub_2_one_trial_per_person() -> None:
    """R-SUB-2: a person whose earlier subscription started gets no second trial."""
    assert trial_length_days(has_started_subscription_before=False) == 7
    assert trial_length_days(has_started_subscription_before=True) == 0


def test_r_sub_2_without_trial_the_first_charge_is_on_the_signup_day_and_anchors_there() -> None:
    """R-SUB-2/3: no trial → charged at once; the sign-up day is the anchor (31 → Feb 28)."""
    first = first_renewal_on(date(2027, 1, 31), trial_length_days=0)
    assert first == date(2027, 1, 31)
    assert anchor_day(first) == 31
    assert renewals(date(2027, 1, 31), 3, trial=0) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]


def test_r_sub_2_trial_length_is_seven_or_nothing() -> None:
    with pytest.raises(ValueError, match="trial_length_days"):
        first_renewal_on(date(2027, 1, 1), trial_length_days=14)


def test_r_ntf_1_trial_ending_notice_two_days_before_the_last_trial_day() -> None:
    """R-NTF-1 / R-SUB-2: sign-up Mar 1 → trial ends Mar 7 → notice on Mar 5."""
    assert trial_ending_notice_on(date(2027, 3, 1)) == date(2027, 3, 5)


# --- R-SUB-3 renewals ---------------------------------------------------------------------------


def test_r_sub_3_signup_on_the_1st_renews_on_the_8th() -> None:
    assert renewals(date(2027, 3, 1), 3) == [date(2027, 3, 8), date(2027, 4, 8), date(2027, 5, 8)]


def test_r_sub_3_anchor_31_clamps_to_month_end_and_never_drifts() -> None:
    """R-SUB-3: sign-up 2027-01-24 → R1 Jan 31; Feb 28, Mar 31, Apr 30, …, Feb 29 2028."""
    dates = renewals(date(2027, 1, 24), 14)
    assert dates[:5] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]
    assert dates[11] == date(2027, 12, 31)
    assert dates[12] == date(2028, 1, 31)
    assert dates[13] == date(2028, 2, 29)  # leap year


def test_r_sub_3_signup_on_the_25th_renews_on_the_1st() -> None:
    """R-SUB-3: Jan 25 → R1 Feb 1 → Mar 1 (anchor 1)."""
    assert renewals(date(2027, 1, 25), 3) == [date(2027, 2, 1), date(2027, 3, 1), date(2027, 4, 1)]


def test_r_sub_3_anchor_29_in_and_out_of_leap_years() -> None:
    """R-SUB-3: R1 2028-02-29 → Mar 29 … 2029-02-28 → 2029-03-29."""
    dates = renewals(date(2028, 2, 22), 14)
    assert dates[0] == date(2028, 2, 29)
    assert dates[1] == date(2028, 3, 29)
    assert dates[12] == date(2029, 2, 28)
    assert dates[13] == date(2029, 3, 29)


def test_r_sub_3_december_signup_renews_into_january() -> None:
    """R-SUB-3: sign-up Dec 20 → R1 Dec 27 → Jan 27 of the next year."""
    assert renewals(date(2027, 12, 20), 2) == [date(2027, 12, 27), date(2028, 1, 27)]
    assert renewals(date(2027, 12, 25), 2) == [date(2028, 1, 1), date(2028, 2, 1)]


def test_r_sub_3_renewal_refuses_an_anchor_that_does_not_match_r1() -> None:
    with pytest.raises(ValueError, match="anchor"):
        renewal_on(15, date(2027, 1, 31), 1)
    with pytest.raises(ValueError, match="anchor_day"):
        renewal_on(32, date(2027, 1, 31), 1)
    with pytest.raises(ValueError, match="cycle"):
        renewal_on(31, date(2027, 1, 31), -1)
    # Feb 28 is R1 for anchors 28–31 only when R1 really fell on Feb 28 by clamping.
    assert renewal_on(31, date(2027, 2, 28), 1) == date(2027, 3, 31)


@pytest.mark.parametrize(
    ("today", "cycle", "next_renewal"),
    [
        (date(2027, 1, 24), -1, date(2027, 1, 31)),  # sign-up day
        (date(2027, 1, 30), -1, date(2027, 1, 31)),  # last trial day
        (date(2027, 1, 31), 0, date(2027, 2, 28)),  # R1
        (date(2027, 2, 27), 0, date(2027, 2, 28)),
        (date(2027, 2, 28), 1, date(2027, 3, 31)),
        (date(2027, 3, 30), 1, date(2027, 3, 31)),
        (date(2027, 3, 31), 2, date(2027, 4, 30)),
    ],
)
def test_r_sub_3_cycle_and_next_renewal_around_a_month_end_anchor(
    today: date, cycle: int, next_renewal: date
) -> None:
    first = date(2027, 1, 31)
    assert cycle_on(31, first, today) == cycle
    assert next_renewal_on(31, first, today) == next_renewal


# --- R-SUB-4/5 access ---------------------------------------------------------------------------


def test_r_sub_4_trial_cancel_keeps_access_through_d_plus_6_not_d_plus_7() -> None:
    """R-SUB-4: cancel on D+2 → access through D+6; D+7 is the first day without it."""
    signup = date(2027, 1, 24)
    first = first_renewal_on(signup)
    until = access_until(anchor_day(first), first, signup + timedelta(days=2))
    assert until == signup + timedelta(days=6) == date(2027, 1, 30)
    assert until + timedelta(days=1) == first


@pytest.mark.parametrize(
    ("cancelled_on", "until"),
    [
        (date(2027, 1, 31), date(2027, 2, 27)),  # on R1, after its charge
        (date(2027, 2, 15), date(2027, 2, 27)),
        (date(2027, 2, 27), date(2027, 2, 27)),  # last day of the period
        (date(2027, 2, 28), date(2027, 3, 30)),  # on R2, after its charge
    ],
)
def test_r_sub_5_paid_cancel_keeps_access_through_the_day_before_next_renewal(
    cancelled_on: date, until: date
) -> None:
    """R-SUB-5: 次回更新日前日 — access through the day before the next renewal."""
    assert access_until(31, date(2027, 1, 31), cancelled_on) == until


# --- R-SUB-7 retries, grace, unpaid -------------------------------------------------------------


@pytest.mark.parametrize(
    ("failed_on", "expected"),
    [
        (date(2027, 3, 8), (date(2027, 3, 9), date(2027, 3, 11), date(2027, 3, 15))),
        (date(2027, 1, 31), (date(2027, 2, 1), date(2027, 2, 3), date(2027, 2, 7))),
        (date(2027, 2, 27), (date(2027, 2, 28), date(2027, 3, 2), date(2027, 3, 6))),
        (date(2028, 2, 28), (date(2028, 2, 29), date(2028, 3, 2), date(2028, 3, 6))),
        (date(2027, 12, 30), (date(2027, 12, 31), date(2028, 1, 2), date(2028, 1, 6))),
    ],
)
def test_r_sub_7_retries_on_plus_1_3_7_across_month_ends(
    failed_on: date, expected: tuple[date, date, date]
) -> None:
    """R-SUB-7: retry days +1, +3, +7 from the failed renewal day."""
    assert retry_days(failed_on) == expected
    assert [next_retry_on(failed_on, done) for done in range(4)] == [*expected, None]


def test_r_sub_7_next_retry_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="retries_done"):
        next_retry_on(date(2027, 1, 31), -1)


def test_r_sub_7_grace_lasts_through_the_last_retry_day() -> None:
    """R-SUB-7: access during the 7 days after the failure: failed Jan 31 → through Feb 7."""
    assert grace_ends_on(date(2027, 1, 31)) == date(2027, 2, 7) == retry_days(date(2027, 1, 31))[2]


def test_unpaid_is_canceled_after_30_days() -> None:
    """R-SUB-7 / PAYMENTS.md: unpaid since Feb 7 → canceled on Mar 9."""
    assert unpaid_cancels_on(date(2027, 2, 7)) == date(2027, 3, 9)


# --- Properties ---------------------------------------------------------------------------------


@given(signup_on=signup_days, trial=st.sampled_from([0, 7]))
def test_r_sub_3_renewals_strictly_increase_one_per_month_on_anchor_or_month_end(
    signup_on: date, trial: int
) -> None:
    """R-SUB-3: every renewal is the anchor day, or the month's last day when the month is shorter."""
    first = first_renewal_on(signup_on, trial_length_days=trial)
    anchor = anchor_day(first)
    dates = renewals(signup_on, 30, trial=trial)
    for earlier, later in pairwise(dates):
        assert earlier < later
        assert (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month) == 1
    for day in dates:
        last = last_day_of_month(day.year, day.month).day
        assert day.day == anchor or (anchor > last and day.day == last)


@given(signup_on=signup_days, offset=st.integers(min_value=0, max_value=1200))
def test_r_sub_5_access_is_continuous(signup_on: date, offset: int) -> None:
    """R-SUB-3/5: every day lies in exactly one period, and periods tile without gaps."""
    first = first_renewal_on(signup_on)
    anchor = anchor_day(first)
    today = signup_on + timedelta(days=offset)
    until = access_until(anchor, first, today)
    cycle = cycle_on(anchor, first, today)
    period_start = signup_on if cycle == -1 else renewal_on(anchor, first, cycle)
    assert period_start <= today <= until
    assert until + timedelta(days=1) == renewal_on(anchor, first, cycle + 1)
    # The next day is either still in this period or the first day of the next one.
    tomorrow = today + timedelta(days=1)
    if tomorrow <= until:
        assert access_until(anchor, first, tomorrow) == until
    else:
        assert tomorrow == renewal_on(anchor, first, cycle + 1)
        assert cycle_on(anchor, first, tomorrow) == cycle + 1
