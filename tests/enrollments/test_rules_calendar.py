"""Enrollment calendar (R-ENR-1 … R-ENR-6, R-ENR-8, R-ENR-16/17 dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jpholiday
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.enrollments.rules import (
    cancellation_deadline_on,
    enrollment_end_on,
    enrollment_months,
    excellent_deadline_on,
    extended_end_on,
    grading_due_window,
    is_submission_on_time,
    last_submission_instant,
    leave_deadline_on,
    materials_may_arrive_after_start,
    materials_ship_by,
    month_end_counting_start,
    re_enrollment_deadline_on,
    re_enrollment_period,
    start_on,
)
from app.kit.calendar import JST, is_business_day, last_day_of_month

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2045, 12, 31))


# --- R-ENR-1 start date -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted_on", "same_month", "expected"),
    [
        (date(2026, 11, 1), False, date(2026, 12, 1)),
        (date(2026, 11, 30), False, date(2026, 12, 1)),
        (date(2026, 12, 31), False, date(2027, 1, 1)),  # year change
        (date(2028, 2, 29), False, date(2028, 3, 1)),  # leap day
        (date(2026, 11, 20), True, date(2026, 11, 1)),  # same-month start: the 1st already past
        (date(2026, 11, 1), True, date(2026, 11, 1)),
    ],
)
def test_r_enr_1_start_on_first_of_next_month_or_same_month(
    accepted_on: date, same_month: bool, expected: date
) -> None:
    assert start_on(accepted_on, same_month_start=same_month) == expected


# --- R-ENR-2 materials ---------------------------------------------------------------------------


def test_r_enr_2_materials_ship_seven_business_days_after_acceptance() -> None:
    # Wednesday 2026-11-11 → Thu 12, Fri 13, Mon 16, Tue 17, Wed 18, Thu 19, Fri 20.
    assert materials_ship_by(date(2026, 11, 11)) == date(2026, 11, 20)
    # Saturday: counting starts on Monday 16; Mon 23 is Labour Thanksgiving Day.
    assert jpholiday.is_holiday(date(2026, 11, 23))
    assert materials_ship_by(date(2026, 11, 14)) == date(2026, 11, 25)


def test_r_enr_2_shipping_skips_national_holidays() -> None:
    # 2027-04-28 (Wed): Apr 30 is the 1st; 29 Showa Day, May 3–5 holidays; May 13 the 7th.
    shipped = materials_ship_by(date(2027, 4, 28))
    assert shipped == date(2027, 5, 13)
    assert jpholiday.is_holiday(date(2027, 4, 29))


def test_r_enr_2_applications_after_the_15th_are_told_materials_may_arrive_late() -> None:
    assert not materials_may_arrive_after_start(date(2026, 11, 15), same_month_start=False)
    assert materials_may_arrive_after_start(date(2026, 11, 16), same_month_start=False)
    assert materials_may_arrive_after_start(date(2026, 11, 2), same_month_start=True)


# --- R-ENR-3 / R-ENR-4 periods ----------------------------------------------------------------------


def test_r_enr_3_and_4_spec_example() -> None:
    """P = 3, start 2026-12-01 → enrollment ends 2027-05-31, excellent deadline 2027-04-30."""
    assert enrollment_end_on(date(2026, 12, 1), 3) == date(2027, 5, 31)
    assert excellent_deadline_on(date(2026, 12, 1), 3) == date(2027, 4, 30)


@pytest.mark.parametrize(
    ("start", "months", "multiplier", "end"),
    [
        (date(2027, 9, 1), 3, 2, date(2028, 2, 29)),  # ends on a leap day
        (date(2026, 9, 1), 3, 2, date(2027, 2, 28)),  # ends on Feb 28 of a common year
        (date(2027, 12, 1), 1, 3, date(2028, 2, 29)),  # crosses into Feb 2028, multiplier 3
        (date(2027, 12, 1), 1, 2, date(2028, 1, 31)),
        (date(2027, 4, 1), 6, 2, date(2028, 3, 31)),
        (date(2027, 1, 1), 12, 1, date(2027, 12, 31)),  # the course says "×1"
        (date(2026, 11, 1), 1, 1, date(2026, 11, 30)),  # one month: its own end
    ],
)
def test_r_enr_3_enrollment_end_is_last_day_of_final_month(
    start: date, months: int, multiplier: int, end: date
) -> None:
    assert enrollment_end_on(start, months, multiplier) == end


@pytest.mark.parametrize(
    ("start", "months", "deadline"),
    [
        (date(2027, 10, 1), 3, date(2028, 2, 29)),  # Oct..Feb: the leap day
        (date(2026, 10, 1), 3, date(2027, 2, 28)),
        (date(2027, 12, 1), 2, date(2028, 3, 31)),
        (date(2027, 6, 1), 6, date(2028, 1, 31)),  # Jun + 8 months counting June
    ],
)
def test_r_enr_4_excellent_deadline_last_day_of_month_p_plus_2(
    start: date, months: int, deadline: date
) -> None:
    assert excellent_deadline_on(start, months) == deadline


def test_r_enr_4_excellent_deadline_never_after_the_enrollment_end() -> None:
    # P = 1 with a ×2 enrollment: month P+2 (2028-02-29) is after the end (2028-01-31).
    end = enrollment_end_on(date(2027, 12, 1), 1)
    assert excellent_deadline_on(date(2027, 12, 1), 1) == date(2028, 2, 29)
    assert excellent_deadline_on(date(2027, 12, 1), 1, enrollment_end_on=end) == end


@given(start_month=days.map(lambda d: d.replace(day=1)), p=st.integers(1, 24))
def test_r_enr_3_4_properties(start_month: date, p: int) -> None:
    """Always a month end; enrollment lasts 2P months; excellent P + 2 months, within the end
    whenever P ≥ 2."""
    end = enrollment_end_on(start_month, p)
    excellent = excellent_deadline_on(start_month, p)
    assert end == last_day_of_month(end.year, end.month)
    months = (end.year - start_month.year) * 12 + end.month - start_month.month + 1
    assert months == enrollment_months(p) == 2 * p
    assert (excellent.year - start_month.year) * 12 + excellent.month - start_month.month == p + 1
    if p >= 2:
        assert excellent <= end


def test_month_counting_validates() -> None:
    with pytest.raises(ValueError, match="months"):
        month_end_counting_start(date(2027, 1, 1), 0)
    with pytest.raises(ValueError, match="standard_months"):
        enrollment_end_on(date(2027, 1, 1), 0)
    with pytest.raises(ValueError, match="multiplier"):
        enrollment_months(3, 0)


# --- R-ENR-5 cancellation deadline ---------------------------------------------------------------


def test_r_enr_5_cancellation_deadline_is_delivery_plus_8_days() -> None:
    assert cancellation_deadline_on(date(2026, 11, 25)) == date(2026, 12, 3)
    assert cancellation_deadline_on(date(2028, 2, 25)) == date(2028, 3, 4)  # across a leap day


# --- R-ENR-6 grading window -------------------------------------------------------------------------


def test_r_enr_6_essay_due_window_10_to_20_days_after_receipt() -> None:
    assert grading_due_window(date(2027, 1, 25)) == (date(2027, 2, 4), date(2027, 2, 14))
    assert grading_due_window(date(2028, 2, 19)) == (date(2028, 2, 29), date(2028, 3, 10))


# --- R-ENR-8 the last second ------------------------------------------------------------------------


def test_r_enr_8_last_submission_instant_is_end_of_day_jst() -> None:
    instant = last_submission_instant(date(2027, 5, 31))
    assert instant == datetime(2027, 5, 31, 14, 59, 59, 999_999, tzinfo=UTC)
    assert instant.astimezone(JST) == datetime(2027, 5, 31, 23, 59, 59, 999_999, tzinfo=JST)


def test_r_enr_8_on_time_through_the_last_microsecond_jst() -> None:
    end = date(2027, 5, 31)
    last = datetime(2027, 5, 31, 23, 59, 59, 999_999, tzinfo=JST)
    assert is_submission_on_time(last, end)
    assert is_submission_on_time(datetime(2027, 5, 31, 23, 59, 59, tzinfo=JST), end)
    assert not is_submission_on_time(last + timedelta(microseconds=1), end)
    # The same instants in UTC: 14:59:59 UTC is still May 31 in Tokyo, 15:00 UTC is June 1.
    assert is_submission_on_time(datetime(2027, 5, 31, 14, 59, 59, tzinfo=UTC), end)
    assert not is_submission_on_time(datetime(2027, 5, 31, 15, 0, tzinfo=UTC), end)


def test_r_enr_8_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_submission_on_time(datetime(2027, 5, 31, 12, 0), date(2027, 5, 31))


# --- R-ENR-16 re-enrollment dates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "deadline"),
    [
        (date(2027, 5, 31), date(2028, 5, 31)),
        (date(2028, 2, 29), date(2029, 2, 28)),  # leap day end: clamped
        (date(2027, 2, 28), date(2028, 2, 28)),
    ],
)
def test_r_enr_16_re_enrollment_within_one_year_after_end(end: date, deadline: date) -> None:
    assert re_enrollment_deadline_on(end) == deadline


def test_r_enr_16_re_enrollment_period_equals_course_enrollment_period() -> None:
    new_start = start_on(date(2027, 7, 10), same_month_start=False)
    assert re_enrollment_period(new_start, enrollment_months(3)) == (
        date(2027, 8, 1),
        date(2028, 1, 31),
    )
    assert re_enrollment_period(date(2027, 9, 1), 6) == (date(2027, 9, 1), date(2028, 2, 29))


# --- R-ENR-17 leave dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "deadline"),
    [
        (date(2027, 6, 30), date(2027, 6, 15)),  # Tuesday: stays on the 15th
        (date(2027, 5, 31), date(2027, 5, 14)),  # Saturday 15th → Friday 14th
        (date(2027, 8, 31), date(2027, 8, 13)),  # Sunday 15th → Friday 13th
        (date(2028, 1, 31), date(2028, 1, 14)),  # Saturday 15th → Friday 14th
        (date(2030, 7, 31), date(2030, 7, 12)),  # Monday 15th = Marine Day → Friday 12th
        (date(2031, 9, 30), date(2031, 9, 12)),  # Monday 15th = Respect for the Aged Day
    ],
)
def test_r_enr_17_leave_deadline_15th_walked_back_to_business_day(
    end: date, deadline: date
) -> None:
    assert leave_deadline_on(end) == deadline
    assert is_business_day(deadline)


def test_r_enr_17_the_holiday_cases_are_real_holidays() -> None:
    assert jpholiday.is_holiday_name(date(2030, 7, 15)) == "海の日"
    assert jpholiday.is_holiday_name(date(2031, 9, 15)) == "敬老の日"


@given(end_month=days)
def test_r_enr_17_leave_deadline_property(end_month: date) -> None:
    """A business day on or before the 15th, and no business day between it and the 15th."""
    end = last_day_of_month(end_month.year, end_month.month)
    deadline = leave_deadline_on(end)
    fifteenth = end.replace(day=15)
    assert deadline <= fifteenth
    assert is_business_day(deadline)
    day = deadline + timedelta(days=1)
    while day <= fifteenth:
        assert not is_business_day(day)
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("end", "months", "extended"),
    [
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # into a leap February
        (date(2027, 2, 28), 1, date(2027, 3, 31)),  # not Mar 28
        (date(2027, 5, 31), 6, date(2027, 11, 30)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2027, 9, 30), 4, date(2028, 1, 31)),  # year change
        (date(2027, 5, 31), 0, date(2027, 5, 31)),
    ],
)
def test_r_enr_17_extended_end_is_month_end_aware(end: date, months: int, extended: date) -> None:
    assert extended_end_on(end, months) == extended
