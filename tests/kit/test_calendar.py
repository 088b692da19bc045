"""JST calendar helpers (SPEC §0 Time, Business day; used by R-ENR-2/3/4/8/17, R-REF, R-B2B-9)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.calendar import (
    JST,
    add_business_days,
    add_months,
    business_day_on_or_after,
    business_day_on_or_before,
    day_n,
    days_inclusive,
    is_business_day,
    jst_date,
    jst_day_range,
    jst_end_of_day,
    jst_start_of_day,
    last_day_of_month,
)

# Range where jpholiday's data is authoritative and the service will run.
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))


# --- Instants ↔ JST dates -----------------------------------------------------------------------


def test_jst_date_turns_at_1500_utc() -> None:
    """SPEC §0 Time: 15:00 UTC is already the next day in Tokyo."""
    assert jst_date(datetime(2027, 3, 31, 14, 59, 59, tzinfo=UTC)) == date(2027, 3, 31)
    assert jst_date(datetime(2027, 3, 31, 15, 0, 0, tzinfo=UTC)) == date(2027, 4, 1)


def test_jst_date_uses_the_instant_not_the_offset_it_was_written_in() -> None:
    new_york = timezone(timedelta(hours=-5))
    # 2027-01-01 10:00 in New York = 2027-01-02 00:00 JST.
    assert jst_date(datetime(2027, 1, 1, 10, 0, tzinfo=new_york)) == date(2027, 1, 2)


def test_jst_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        jst_date(datetime(2027, 1, 1, 12, 0))


def test_start_and_end_of_day_are_jst_midnight_bounds_in_utc() -> None:
    start = jst_start_of_day(date(2027, 5, 31))
    end = jst_end_of_day(date(2027, 5, 31))
    assert start == datetime(2027, 5, 30, 15, 0, tzinfo=UTC)
    assert start.tzinfo is UTC
    assert end == datetime(2027, 5, 31, 14, 59, 59, 999_999, tzinfo=UTC)
    assert end.astimezone(JST).strftime("%H:%M:%S.%f") == "23:59:59.999999"


def test_r_enr_8_deadline_accepts_last_microsecond_and_refuses_the_next() -> None:
    """R-ENR-8: a submission must arrive by 23:59:59 JST of the enrollment's last day."""
    deadline = jst_end_of_day(date(2027, 5, 31))
    on_time = datetime(2027, 5, 31, 23, 59, 59, 999_999, tzinfo=JST)
    late = datetime(2027, 6, 1, 0, 0, 0, tzinfo=JST)
    assert on_time <= deadline
    assert not late <= deadline


def test_day_range_is_half_open_and_24_hours() -> None:
    """R-QST-4-style quotas count [00:00 JST, next 00:00 JST)."""
    start, end = jst_day_range(date(2027, 1, 11))
    assert end - start == timedelta(hours=24)  # Japan has no DST
    assert end == jst_start_of_day(date(2027, 1, 12))
    assert jst_date(start) == date(2027, 1, 11)
    assert jst_date(end) == date(2027, 1, 12)


@given(st.datetimes(timezones=st.just(UTC)))
def test_every_instant_lies_within_its_jst_day(instant: datetime) -> None:
    day = jst_date(instant)
    assert jst_start_of_day(day) <= instant <= jst_end_of_day(day)


# --- Business days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected", "why"),
    [
        (date(2027, 1, 11), False, "成人の日 (second Monday of January)"),
        (date(2027, 5, 3), False, "憲法記念日"),
        (date(2027, 5, 4), False, "みどりの日"),
        (date(2027, 5, 5), False, "こどもの日"),
        (date(2027, 5, 6), True, "Thursday after Golden Week"),
        (date(2027, 3, 22), False, "振替休日 for 春分の日 on Sunday 2027-03-21"),
        (date(2027, 1, 1), False, "元日"),
        (
            date(2026, 12, 31),
            True,
            "大晦日 is not a national holiday (SPEC §0 counts holidays only)",
        ),
        (date(2027, 1, 4), True, "first Monday of the year"),
        (date(2027, 5, 15), False, "Saturday"),
        (date(2027, 5, 16), False, "Sunday"),
        (date(2027, 5, 14), True, "ordinary Friday"),
        (date(2028, 2, 29), True, "leap day, a Tuesday"),
    ],
)
def test_is_business_day(day: date, expected: bool, why: str) -> None:
    """SPEC §0 Business day: Mon–Fri that is not a Japanese national holiday."""
    assert is_business_day(day) is expected, why


@pytest.mark.parametrize(
    ("fifteenth", "expected"),
    [
        (date(2027, 4, 15), date(2027, 4, 15)),  # Thursday: stays
        (date(2027, 5, 15), date(2027, 5, 14)),  # Saturday → Friday
        (date(2027, 8, 15), date(2027, 8, 13)),  # Sunday → Friday
        (date(2028, 1, 15), date(2028, 1, 14)),  # Saturday → Friday
        (date(2027, 1, 15), date(2027, 1, 15)),  # Friday after 成人の日 week: stays
        (date(2028, 7, 17), date(2028, 7, 14)),  # 海の日 Monday → back over the weekend
    ],
)
def test_r_enr_17_leave_deadline_moves_to_previous_business_day(
    fifteenth: date, expected: date
) -> None:
    """R-ENR-17: the 15th, moved to the previous business day when it is not one."""
    assert business_day_on_or_before(fifteenth) == expected


def test_business_day_on_or_before_walks_back_over_golden_week() -> None:
    # 2027-05-05 (Wed, holiday) ← 05-04 ← 05-03 (holidays) ← 05-02 (Sun) ← 05-01 (Sat) → 04-30.
    assert business_day_on_or_before(date(2027, 5, 5)) == date(2027, 4, 30)


def test_business_day_on_or_before_walks_back_over_new_year() -> None:
    # 2028-01-01 is a Saturday; the previous business day is Friday 2027-12-31.
    assert business_day_on_or_before(date(2028, 1, 2)) == date(2027, 12, 31)


def test_business_day_on_or_after_skips_forward() -> None:
    assert business_day_on_or_after(date(2027, 5, 1)) == date(2027, 5, 6)
    assert business_day_on_or_after(date(2027, 5, 6)) == date(2027, 5, 6)


@given(dates)
def test_business_day_on_or_before_is_the_latest_business_day_not_after(day: date) -> None:
    result = business_day_on_or_before(day)
    assert result <= day
    assert is_business_day(result)
    # Nothing between result and day is a business day (it is the *nearest* one).
    probe = result + timedelta(days=1)
    while probe <= day:
        assert not is_business_day(probe)
        probe += timedelta(days=1)


@given(dates)
def test_business_day_on_or_after_is_the_earliest_business_day_not_before(day: date) -> None:
    result = business_day_on_or_after(day)
    assert result >= day
    assert is_business_day(result)
    assert all(not is_business_day(day + timedelta(days=i)) for i in range((result - day).days))


def test_r_enr_2_shipping_counts_business_days_after_acceptance() -> None:
    """R-ENR-2: about 7 business days after acceptance, skipping weekends and Golden Week."""
    # Accepted Wed 2027-04-28; business days after: 4/30, 5/6, 5/7, 5/10, 5/11, 5/12, 5/13.
    assert add_business_days(date(2027, 4, 28), 7) == date(2027, 5, 13)


def test_add_business_days_from_a_weekend_counts_from_monday() -> None:
    assert add_business_days(date(2027, 5, 15), 1) == date(2027, 5, 17)


def test_add_zero_business_days_is_the_same_day() -> None:
    assert add_business_days(date(2027, 5, 15), 0) == date(2027, 5, 15)


def test_r_ref_8_refund_within_5_business_days_across_new_year() -> None:
    """R-REF-8: goods returned Thu 2026-12-31 → refund by the 5th business day after."""
    # 2027-01-01 is 元日; business days: 1/4, 1/5, 1/6, 1/7, 1/8.
    assert add_business_days(date(2026, 12, 31), 5) == date(2027, 1, 8)


def test_add_business_days_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        add_business_days(date(2027, 1, 1), -1)


@given(dates, st.integers(min_value=0, max_value=40))
def test_add_business_days_lands_on_the_nth_business_day(day: date, n: int) -> None:
    result = add_business_days(day, n)
    counted = sum(
        is_business_day(day + timedelta(days=i)) for i in range(1, (result - day).days + 1)
    )
    assert counted == n
    if n > 0:
        assert is_business_day(result)


# --- Months -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2027, 2, date(2027, 2, 28)),
        (2028, 2, date(2028, 2, 29)),
        (2100, 2, date(2100, 2, 28)),  # divisible by 100, not by 400
        (2000, 2, date(2000, 2, 29)),
        (2027, 4, date(2027, 4, 30)),
        (2027, 12, date(2027, 12, 31)),
    ],
)
def test_last_day_of_month(year: int, month: int, expected: date) -> None:
    assert last_day_of_month(year, month) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2027, 3, 31), 1, date(2027, 4, 30)),
        (date(2027, 11, 30), 2, date(2028, 1, 30)),  # across the year
        (date(2027, 12, 15), 1, date(2028, 1, 15)),
        (date(2027, 3, 31), -1, date(2027, 2, 28)),
        (date(2027, 1, 15), -13, date(2025, 12, 15)),
        (date(2027, 5, 20), 0, date(2027, 5, 20)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_r_enr_3_and_4_enrollment_and_excellent_deadlines() -> None:
    """R-ENR-3/4 example: P = 3, start 2026-12-01 → enrollment ends 2027-05-31, excellent
    completion deadline (last day of month P+2 counting the start month) 2027-04-30."""
    start, period = date(2026, 12, 1), 3
    final_month = add_months(start, 2 * period - 1)
    assert last_day_of_month(final_month.year, final_month.month) == date(2027, 5, 31)
    excellent_month = add_months(start, period + 2 - 1)
    assert last_day_of_month(excellent_month.year, excellent_month.month) == date(2027, 4, 30)


@given(dates, st.integers(min_value=-240, max_value=240))
def test_add_months_lands_in_the_target_month_and_never_overflows(day: date, n: int) -> None:
    result = add_months(day, n)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == n
    assert result.day == min(day.day, last_day_of_month(result.year, result.month).day)


@given(dates, st.integers(min_value=0, max_value=120))
def test_add_months_is_monotonic(day: date, n: int) -> None:
    assert add_months(day, n) <= add_months(day, n + 1)


# --- 初日算入 ------------------------------------------------------------------------------------


def test_day_n_counts_the_first_day_as_day_1() -> None:
    """SPEC §0: "day N counting the first day" — the first day is day 1 (初日算入)."""
    assert day_n(date(2027, 2, 27), 1) == date(2027, 2, 27)
    assert day_n(date(2027, 2, 27), 3) == date(2027, 3, 1)
    assert day_n(date(2028, 2, 27), 3) == date(2028, 2, 29)


def test_day_n_refuses_day_zero() -> None:
    with pytest.raises(ValueError):
        day_n(date(2027, 1, 1), 0)


def test_days_inclusive_counts_both_ends() -> None:
    """R-REF: E = days used, from access start to the refund request day, both counted."""
    assert days_inclusive(date(2027, 1, 1), date(2027, 1, 1)) == 1
    assert days_inclusive(date(2027, 1, 1), date(2027, 1, 31)) == 31
    assert days_inclusive(date(2028, 2, 1), date(2028, 3, 1)) == 30
    with pytest.raises(ValueError):
        days_inclusive(date(2027, 1, 2), date(2027, 1, 1))


@given(dates, st.integers(min_value=1, max_value=2000))
def test_day_n_and_days_inclusive_are_inverse(first: date, n: int) -> None:
    assert days_inclusive(first, day_n(first, n)) == n
