"""The enrollment calendar (R-ENR-1 … R-ENR-6, R-ENR-8, R-ENR-16/17 dates). Pure, no clock.

Every argument and result is a JST calendar date (`app.kit.calendar.jst_date(now)` is the caller's
"today"), except `last_submission_instant` / `is_submission_on_time`, which bound an instant.

- R-ENR-1 `start_on`: the 1st of the month after acceptance, or of the acceptance month for
  "same-month start" courses.
- R-ENR-2 `materials_ship_by`: 7 business days after acceptance (Mon–Fri without national
  holidays, `app.kit.calendar`); `materials_may_arrive_after_start` is the seed's notice for
  applications received after the 15th.
- R-ENR-3 `enrollment_months` / `enrollment_end_on`: P × multiplier months counting the start month,
  through the last day of the final month (P = 3, 2026-12-01 → 2027-05-31).
- R-ENR-4 `excellent_deadline_on`: the last day of month P + 2 counting the start month
  (→ 2027-04-30), never after the enrollment end.
- R-ENR-5 `cancellation_deadline_on`: delivery day is day 0, cancellable through day 8.
- R-ENR-6 `grading_due_window`: an essay is expected back 10–20 days after receipt.
- R-ENR-8 `last_submission_instant` / `is_submission_on_time`: through 23:59:59.999999 JST of the
  enrollment's last day.
- R-ENR-16 `re_enrollment_deadline_on`, `re_enrollment_period`; R-ENR-17 `leave_deadline_on`,
  `extended_end_on`.

Decisions where the spec is silent:

- Every month count is "counting the start month" and every end is a month end, so the arithmetic
  is on months, never on days: a 31st can never drift to a 28th (`month_end_counting_start`).
- The excellent-completion deadline is clamped to the enrollment end: a course whose enrollment
  period is shorter than P + 2 months cannot accept a report after its end anyway (R-ENR-8).
- "Within 1 year after the enrollment end" (R-ENR-16) is the same day one year later, clamped
  (`add_months(end_on, 12)`): an enrollment ending 2028-02-29 may re-enroll through 2029-02-28.
- The essay due window and the 8-day cancellation count calendar days, not business days
  (seed 001 says 日, not 営業日).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.kit.calendar import (
    add_business_days,
    add_months,
    business_day_on_or_before,
    jst_date,
    jst_end_of_day,
    last_day_of_month,
)

MATERIALS_SHIP_BUSINESS_DAYS = 7
"""R-ENR-2: materials ship about 7 business days after acceptance."""

LATE_APPLICATION_AFTER_DAY = 15
"""R-ENR-2: an application received after the 15th may see its materials arrive after the 1st."""

DEFAULT_ENROLLMENT_MULTIPLIER = 2
"""R-ENR-3: the enrollment period is twice the standard period unless the course says otherwise."""

EXCELLENT_EXTRA_MONTHS = 2
"""R-ENR-4: the excellent-completion period is the standard period + 2 months."""

CANCELLATION_DAYS_AFTER_DELIVERY = 8
"""R-ENR-5: cancellable until 8 days after the materials arrive (delivery day is day 0)."""

GRADING_DUE_MIN_DAYS = 10
GRADING_DUE_MAX_DAYS = 20
"""R-ENR-6: an essay report is expected back 10–20 days after receipt."""

RE_ENROLLMENT_WINDOW_MONTHS = 12
"""R-ENR-16: re-enrollment is applied for within 1 year after the enrollment end."""

LEAVE_DEADLINE_DAY = 15
"""R-ENR-17: leave is applied for by the 15th of the final month (walked back to a business day)."""


def month_end_counting_start(start_on: date, months: int) -> date:
    """The last day of month `months` counting `start_on`'s month as month 1.

    `month_end_counting_start(date(2026, 12, 1), 6) == date(2027, 5, 31)`; the day of `start_on`
    does not matter, only its month.
    """
    if months < 1:
        raise ValueError("months must be >= 1 (the start month is month 1)")
    final_month = add_months(start_on.replace(day=1), months - 1)
    return last_day_of_month(final_month.year, final_month.month)


# --- R-ENR-1 / R-ENR-2 application and materials ------------------------------------------------


def start_on(accepted_on: date, *, same_month_start: bool) -> date:
    """R-ENR-1: the course start (開講日) of an application accepted on `accepted_on`.

    The 1st of the following month; the 1st of `accepted_on`'s own month for a course flagged
    "same-month start" (an application accepted on the 20th then starts on the 1st already past).
    """
    first_of_month = accepted_on.replace(day=1)
    return first_of_month if same_month_start else add_months(first_of_month, 1)


def materials_ship_by(accepted_on: date) -> date:
    """R-ENR-2: the expected shipping day, the 7th business day after acceptance.

    Counted from the next business day, so an application accepted on a Saturday ships on the
    7th business day after it as well. Staff record the real shipment and delivery dates.
    """
    return add_business_days(accepted_on, MATERIALS_SHIP_BUSINESS_DAYS)


def materials_may_arrive_after_start(accepted_on: date, *, same_month_start: bool) -> bool:
    """R-ENR-2: should the learner be told the materials may arrive after the start date?

    Seed 001: an application received after the 15th may see materials arrive after the 1st. For
    a same-month start the start day has already passed at acceptance, so always True.
    """
    return same_month_start or accepted_on.day > LATE_APPLICATION_AFTER_DAY


# --- R-ENR-3 / R-ENR-4 periods ------------------------------------------------------------------


def enrollment_months(standard_months: int, multiplier: int = DEFAULT_ENROLLMENT_MULTIPLIER) -> int:
    """R-ENR-3: the enrollment period (在籍期間) in months, standard period P × multiplier."""
    if standard_months < 1:
        raise ValueError("standard_months must be >= 1")
    if multiplier < 1:
        raise ValueError("multiplier must be >= 1")
    return standard_months * multiplier


def enrollment_end_on(
    start_on: date, standard_months: int, multiplier: int = DEFAULT_ENROLLMENT_MULTIPLIER
) -> date:
    """R-ENR-3: the last day of the enrollment: the last day of month P × multiplier counting the
    start month. P = 3, start 2026-12-01 → 2027-05-31."""
    return month_end_counting_start(start_on, enrollment_months(standard_months, multiplier))


def excellent_deadline_on(
    start_on: date, standard_months: int, *, enrollment_end_on: date | None = None
) -> date:
    """R-ENR-4: the last day a report may arrive for excellent completion: the last day of month
    P + 2 counting the start month (P = 3, start 2026-12-01 → 2027-04-30).

    With `enrollment_end_on` the result is never later than it (a course with a short enrollment
    multiplier cannot take reports after its end, R-ENR-8).
    """
    if standard_months < 1:
        raise ValueError("standard_months must be >= 1")
    deadline = month_end_counting_start(start_on, standard_months + EXCELLENT_EXTRA_MONTHS)
    if enrollment_end_on is not None:
        deadline = min(deadline, enrollment_end_on)
    return deadline


# --- R-ENR-5 cancellation -----------------------------------------------------------------------


def cancellation_deadline_on(delivered_on: date) -> date:
    """R-ENR-5: the last day an application may be cancelled: delivery day (day 0) + 8 days."""
    return delivered_on + timedelta(days=CANCELLATION_DAYS_AFTER_DELIVERY)


# --- R-ENR-6 grading ----------------------------------------------------------------------------


def grading_due_window(received_on: date) -> tuple[date, date]:
    """R-ENR-6: the due window shown for an essay report received on `received_on`:
    (received + 10 days, received + 20 days). Multiple-choice reports are graded at once."""
    return (
        received_on + timedelta(days=GRADING_DUE_MIN_DAYS),
        received_on + timedelta(days=GRADING_DUE_MAX_DAYS),
    )


# --- R-ENR-8 the last submission instant ----------------------------------------------------------


def last_submission_instant(enrollment_end_on: date) -> datetime:
    """R-ENR-8: the last instant a submission may arrive: 23:59:59.999999 JST of the enrollment's
    last day, as a UTC-aware datetime. Compare with `<=`."""
    return jst_end_of_day(enrollment_end_on)


def is_submission_on_time(submitted_at: datetime, enrollment_end_on: date) -> bool:
    """R-ENR-8: did a submission arriving at `submitted_at` (timezone-aware) arrive by the end of
    the enrollment? 2027-05-31T23:59:59.999999+09:00 is on time; one microsecond later is not."""
    return jst_date(submitted_at) <= enrollment_end_on


# --- R-ENR-16 / R-ENR-17 dates --------------------------------------------------------------------


def re_enrollment_deadline_on(enrollment_end_on: date) -> date:
    """R-ENR-16: the last day a re-enrollment may be applied for: 1 year after the enrollment end
    (clamped: an end on 2028-02-29 gives 2029-02-28)."""
    return add_months(enrollment_end_on, RE_ENROLLMENT_WINDOW_MONTHS)


def re_enrollment_period(start_on: date, enrollment_months: int) -> tuple[date, date]:
    """R-ENR-16: (start, end) of a re-enrollment: as long as the course's enrollment period
    (`enrollment_months`, i.e. `enrollment_months(P, multiplier)`), from `start_on`.

    `start_on` is the re-enrollment application's own start date by R-ENR-1
    (`start_on(accepted_on, same_month_start=...)`). A re-enrollment has no excellent deadline.
    """
    return start_on, month_end_counting_start(start_on, enrollment_months)


def leave_deadline_on(enrollment_end_on: date) -> date:
    """R-ENR-17: the last day a leave of absence may be applied for: the 15th of the final
    enrollment month, moved to the previous business day when it is a Saturday, Sunday or
    national holiday (2030-07-15, Marine Day on a Monday → Friday 2030-07-12)."""
    fifteenth = enrollment_end_on.replace(day=LEAVE_DEADLINE_DAY)
    return business_day_on_or_before(fifteenth)


def extended_end_on(enrollment_end_on: date, months: int) -> date:
    """R-ENR-17: the enrollment end after a leave of `months` months: the last day of the month
    `months` after the end's month (2028-01-31 + 1 → 2028-02-29; 2027-02-28 + 1 → 2027-03-31)."""
    if months < 0:
        raise ValueError("months must be >= 0")
    return month_end_counting_start(enrollment_end_on, months + 1)
