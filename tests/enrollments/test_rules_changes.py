"""Cancellation, re-enrollment and leave of absence (R-ENR-5, R-ENR-16, R-ENR-17)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.enrollments.rules import (
    LEAVE_MAX_MONTHS,
    RE_ENROLLMENT_FEE_JPY,
    CompletionStatus,
    EnrollmentDecision,
    EnrollmentRefusal,
    leave_decision,
    may_cancel,
    re_enrollment_decision,
)

Refusal = EnrollmentRefusal
END = date(2027, 5, 31)

# --- R-ENR-5 cancellation ----------------------------------------------------------------------------

DELIVERED = date(2026, 11, 25)


def test_r_enr_5_day_8_after_delivery_may_cancel_day_9_may_not() -> None:
    assert may_cancel(DELIVERED, DELIVERED, company_at_fault=False).is_allowed  # day 0
    assert may_cancel(DELIVERED, DELIVERED + timedelta(days=8), company_at_fault=False).is_allowed
    day_9 = may_cancel(DELIVERED, DELIVERED + timedelta(days=9), company_at_fault=False)
    assert not day_9.is_allowed
    assert day_9.refusal_reason is Refusal.cancellation_period_over


def test_r_enr_5_company_at_fault_may_cancel_later() -> None:
    assert may_cancel(DELIVERED, date(2027, 3, 1), company_at_fault=True).is_allowed


def test_r_enr_5_before_delivery_may_cancel() -> None:
    assert may_cancel(None, date(2026, 11, 20), company_at_fault=False).is_allowed


def test_decision_must_be_consistent() -> None:
    with pytest.raises(ValueError, match="allowed"):
        EnrollmentDecision(is_allowed=True, refusal_reason=Refusal.already_submitted)
    with pytest.raises(ValueError, match="allowed"):
        EnrollmentDecision(is_allowed=False)


# --- R-ENR-16 re-enrollment -------------------------------------------------------------------------


def re_enroll(
    status: CompletionStatus = CompletionStatus.not_completed,
    *,
    today: date = date(2027, 7, 1),
    end: date = END,
    already: bool = False,
    allows: bool = True,
) -> EnrollmentDecision:
    return re_enrollment_decision(
        status,
        enrollment_end_on=end,
        already_re_enrolled=already,
        course_allows=allows,
        today=today,
    )


def test_r_enr_16_fee_is_4400_yen() -> None:
    assert RE_ENROLLMENT_FEE_JPY == 4_400


def test_r_enr_16_not_completed_may_re_enroll_within_one_year() -> None:
    assert re_enroll(today=END + timedelta(days=1)).is_allowed
    assert re_enroll(today=date(2028, 5, 31)).is_allowed  # the anniversary is the last day
    late = re_enroll(today=date(2028, 6, 1))
    assert late.refusal_reason is Refusal.re_enrollment_period_over


def test_r_enr_16_leap_day_end_window_closes_on_feb_28() -> None:
    end = date(2028, 2, 29)
    assert re_enroll(end=end, today=date(2029, 2, 28)).is_allowed
    assert re_enroll(end=end, today=date(2029, 3, 1)).refusal_reason is (
        Refusal.re_enrollment_period_over
    )


def test_r_enr_16_not_before_the_enrollment_ended() -> None:
    assert re_enroll(today=END).refusal_reason is Refusal.enrollment_not_ended


@pytest.mark.parametrize("status", [CompletionStatus.completed, CompletionStatus.excellent])
def test_r_enr_16_completed_enrollments_may_not_re_enroll(status: CompletionStatus) -> None:
    assert re_enroll(status).refusal_reason is Refusal.enrollment_completed


def test_r_enr_16_pending_completion_may_not_re_enroll_yet() -> None:
    assert re_enroll(CompletionStatus.pending).refusal_reason is Refusal.completion_pending


def test_r_enr_16_once_only() -> None:
    assert re_enroll(already=True).refusal_reason is Refusal.already_re_enrolled


def test_r_enr_16_some_courses_exclude_it() -> None:
    assert re_enroll(allows=False).refusal_reason is Refusal.course_excludes_re_enrollment


# --- R-ENR-17 leave of absence ----------------------------------------------------------------------


def leave(
    today: date,
    *,
    end: date = END,
    already: bool = False,
    months: int = 3,
    allows: bool = True,
) -> EnrollmentDecision:
    return leave_decision(
        today,
        enrollment_end_on=end,
        already_taken=already,
        requested_months=months,
        course_allows=allows,
    )


def test_r_enr_17_deadline_on_a_saturday_15th_is_friday_14th() -> None:
    # 2027-05-15 is a Saturday.
    assert leave(date(2027, 5, 14)).is_allowed
    assert leave(date(2027, 5, 15)).refusal_reason is Refusal.leave_deadline_passed


def test_r_enr_17_deadline_on_a_sunday_15th_is_friday_13th() -> None:
    end = date(2027, 8, 31)  # 2027-08-15 is a Sunday
    assert leave(date(2027, 8, 13), end=end).is_allowed
    assert leave(date(2027, 8, 14), end=end).refusal_reason is Refusal.leave_deadline_passed


def test_r_enr_17_deadline_on_a_monday_holiday_is_the_friday_before() -> None:
    end = date(2030, 7, 31)  # 2030-07-15 is Marine Day, a Monday
    assert leave(date(2030, 7, 12), end=end).is_allowed
    assert leave(date(2030, 7, 13), end=end).refusal_reason is Refusal.leave_deadline_passed


def test_r_enr_17_deadline_on_a_business_day_15th_is_the_15th() -> None:
    end = date(2027, 6, 30)  # Tuesday 2027-06-15
    assert leave(date(2027, 6, 15), end=end).is_allowed
    assert leave(date(2027, 6, 16), end=end).refusal_reason is Refusal.leave_deadline_passed


def test_r_enr_17_up_to_six_months_once() -> None:
    today = date(2027, 4, 1)
    assert leave(today, months=1).is_allowed
    assert leave(today, months=LEAVE_MAX_MONTHS).is_allowed
    assert leave(today, months=7).refusal_reason is Refusal.leave_months_out_of_range
    assert leave(today, months=0).refusal_reason is Refusal.leave_months_out_of_range
    assert leave(today, already=True).refusal_reason is Refusal.leave_already_taken


def test_r_enr_17_some_courses_exclude_it() -> None:
    assert leave(date(2027, 4, 1), allows=False).refusal_reason is Refusal.course_excludes_leave
