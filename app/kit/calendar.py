"""JST calendar arithmetic: civil dates, day bounds, business days, month arithmetic.

Every calendar rule in Manabi is evaluated in `Asia/Tokyo` (SPEC §0 "Time"), whatever the
server's or the client's zone. Instants are stored in UTC; this module is where an instant
becomes a Japanese calendar date and a Japanese date becomes the instants that bound it.

Served rules (the helpers, not the rules themselves, live here):

- SPEC §0 Time — `jst_date`, `jst_start_of_day`, `jst_end_of_day`, `jst_day_range` (R-QST-4's
  quota per JST day, every "by the end of day" deadline such as R-ENR-8). "Day N counting the
  first day" (初日算入) is `day_n`/`days_inclusive` (R-REF's E). Rules that call the first day
  "day 0" (R-ENR-5 delivery day, R-REF "within 7 days" payment day) are plain date differences.
- SPEC §0 Business day — `is_business_day` (Mon–Fri and not a national holiday per `jpholiday`),
  `business_day_on_or_before` ("moved to the previous business day", R-ENR-17),
  `add_business_days` (R-ENR-2 shipping, R-REF-8 refund within 5 business days).
- Month arithmetic — `add_months` (clamped to month end), `last_day_of_month`: R-SUB renewal
  anchors, R-ENR-3/4 enrollment and excellent-completion deadlines, R-B2B-9 days in a month.

Everything here is pure: no clock reads. "Today" is `jst_date(now)` with `now` from
`app.kit.clock`.

Note that 年末年始 (Dec 31 – Jan 3) other than New Year's Day is *not* a national holiday, so by
SPEC §0 Dec 31, Jan 2 and Jan 3 are business days when they fall on a weekday. A rule that needs
the company's own closing days must say so and add them itself.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jpholiday

JST = ZoneInfo("Asia/Tokyo")

_LAST_MICROSECOND = time(23, 59, 59, 999_999)
_SATURDAY = 5


# --- Instants and JST dates -------------------------------------------------------------------


def _require_aware(instant: datetime) -> None:
    # A naive datetime has no defined instant; guessing UTC or local time would shift dates by
    # nine hours around midnight, exactly where deadlines live.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")


def jst_date(instant: datetime) -> date:
    """The Japanese calendar date on which `instant` falls."""
    _require_aware(instant)
    return instant.astimezone(JST).date()


def jst_start_of_day(day: date) -> datetime:
    """00:00:00 JST of `day`, as a UTC instant."""
    return datetime.combine(day, time.min, tzinfo=JST).astimezone(UTC)


def jst_end_of_day(day: date) -> datetime:
    """23:59:59.999999 JST of `day`, as a UTC instant: the last instant a deadline on `day` allows.

    Compare with `<=` (`arrived_at <= jst_end_of_day(last_day)`, R-ENR-8). For range queries
    prefer the half-open `jst_day_range`, which has no microsecond edge.
    """
    return datetime.combine(day, _LAST_MICROSECOND, tzinfo=JST).astimezone(UTC)


def jst_day_range(day: date) -> tuple[datetime, datetime]:
    """The half-open UTC interval `[start, end)` covering JST `day` (for "per day" quotas)."""
    return jst_start_of_day(day), jst_start_of_day(day + timedelta(days=1))


# --- Business days ------------------------------------------------------------------------------


def is_business_day(day: date) -> bool:
    """Monday–Friday and not a Japanese national holiday (substitute holidays included)."""
    return day.weekday() < _SATURDAY and not jpholiday.is_holiday(day)


def business_day_on_or_before(day: date) -> date:
    """`day` itself when it is a business day, else the nearest earlier business day.

    This is SPEC §0's "moved to the previous business day": a deadline on the 15th stays on the
    15th when that is a business day (R-ENR-17).
    """
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def business_day_on_or_after(day: date) -> date:
    """`day` itself when it is a business day, else the nearest later business day."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    """The `count`-th business day strictly after `day`; `day` itself when `count` is 0.

    `day` need not be a business day: an application accepted on a Saturday ships 7 business days
    later counting from Monday (R-ENR-2).
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


# --- Months -------------------------------------------------------------------------------------


def last_day_of_month(year: int, month: int) -> date:
    """The last date of the month (Feb 29 in leap years)."""
    return date(year, month, _stdlib_calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months, clamped to the end of the target month.

    Jan 31 + 1 month = Feb 28 (Feb 29 in a leap year); negative `months` go back. Clamping never
    carries into the next month, so a monthly anchor cannot skip a month.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month_index = divmod(index, 12)
    last = last_day_of_month(year, month_index + 1)
    return last.replace(day=min(day.day, last.day))


# --- Counting days (初日算入) --------------------------------------------------------------------


def day_n(first_day: date, n: int) -> date:
    """Day `n` of a period counting the first day as day 1 (初日算入): `day_n(d, 1) == d`."""
    if n < 1:
        raise ValueError("n must be >= 1 (the first day is day 1)")
    return first_day + timedelta(days=n - 1)


def days_inclusive(first: date, last: date) -> int:
    """How many days from `first` to `last`, both counted: the same day is 1 day.

    This is E in R-REF ("from access start to the refund request day, both counted").
    """
    if last < first:
        raise ValueError("last must not be before first")
    return (last - first).days + 1
