"""Submissions, answer disclosure and reminders (R-ENR-7, R-ENR-8, R-ENR-12, R-ENR-18)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.enrollments.rules import (
    EnrollmentDecision,
    EnrollmentRefusal,
    UnitState,
    may_disclose_answers,
    may_submit,
    reminder_due,
)

START = date(2026, 12, 1)
END = date(2027, 5, 31)
TODAY = date(2027, 2, 10)
Refusal = EnrollmentRefusal


def submit(
    state: UnitState,
    *,
    service: bool = False,
    pass_mark: int = 60,
    today: date = TODAY,
) -> EnrollmentDecision:
    return may_submit(
        state,
        has_resubmission_service=service,
        pass_mark=pass_mark,
        today=today,
        enrollment_end_on=END,
    )


# --- R-ENR-7 / R-ENR-8 ------------------------------------------------------------------------------


def test_r_enr_7_first_submission_allowed() -> None:
    decision = submit(UnitState())
    assert decision.is_allowed
    assert decision.refusal_reason is None


def test_r_enr_7_one_submission_per_unit_without_the_service() -> None:
    for state in (UnitState(1, 30), UnitState(1, 95), UnitState(1, None, True)):
        assert submit(state).refusal_reason is Refusal.already_submitted


def test_r_enr_8_submission_on_the_last_day_allowed_the_day_after_refused() -> None:
    assert submit(UnitState(), today=END).is_allowed
    assert submit(UnitState(), today=END + timedelta(days=1)).refusal_reason is (
        Refusal.enrollment_ended
    )


def test_r_enr_8_early_submission_before_the_start_is_not_refused() -> None:
    assert submit(UnitState(), today=START - timedelta(days=3)).is_allowed


# --- R-ENR-12 resubmission --------------------------------------------------------------------------


def test_r_enr_12_below_pass_mark_may_resubmit_any_number_of_times() -> None:
    assert submit(UnitState(1, 59), service=True).is_allowed
    assert submit(UnitState(7, 10), service=True).is_allowed


def test_r_enr_12_at_the_pass_mark_no_more_submissions() -> None:
    assert submit(UnitState(1, 60), service=True).refusal_reason is Refusal.unit_passed
    assert submit(UnitState(3, 85), service=True).refusal_reason is Refusal.unit_passed


def test_r_enr_12_organization_pass_mark() -> None:
    assert submit(UnitState(1, 75), service=True, pass_mark=80).is_allowed
    assert submit(UnitState(1, 80), service=True, pass_mark=80).refusal_reason is (
        Refusal.unit_passed
    )


def test_r_enr_12_resubmission_waits_for_the_previous_grade() -> None:
    assert submit(UnitState(1, None, True), service=True).refusal_reason is (
        Refusal.grading_pending
    )
    assert submit(UnitState(2, 40, True), service=True).refusal_reason is (Refusal.grading_pending)


def test_r_enr_8_12_no_resubmission_after_the_end() -> None:
    late = END + timedelta(days=1)
    assert submit(UnitState(1, 40), service=True, today=END).is_allowed
    assert submit(UnitState(1, 40), service=True, today=late).refusal_reason is (
        Refusal.enrollment_ended
    )


def test_r_enr_12_below_pass_submission_never_discloses_answers() -> None:
    assert not may_disclose_answers(59, pass_mark=60, has_resubmission_service=True)
    assert not may_disclose_answers(0, pass_mark=60, has_resubmission_service=True)
    assert not may_disclose_answers(79, pass_mark=80, has_resubmission_service=True)


def test_r_enr_12_passing_submission_under_the_service_discloses() -> None:
    assert may_disclose_answers(60, pass_mark=60, has_resubmission_service=True)


def test_r_enr_12_without_the_service_every_graded_submission_discloses() -> None:
    assert may_disclose_answers(10, pass_mark=60, has_resubmission_service=False)


def test_r_enr_12_nothing_disclosed_before_grading() -> None:
    assert not may_disclose_answers(None, pass_mark=60, has_resubmission_service=False)
    assert not may_disclose_answers(None, pass_mark=60, has_resubmission_service=True)


def test_unit_state_is_validated() -> None:
    with pytest.raises(ValueError, match="submission_count"):
        UnitState(-1)
    with pytest.raises(ValueError, match="best_score"):
        UnitState(1, 101)
    with pytest.raises(ValueError, match="without submissions"):
        UnitState(0, 50)


# --- R-ENR-18 reminders ------------------------------------------------------------------------------


def remind(today: date, *, unsubmitted: int = 2, last: date | None = None) -> bool:
    return reminder_due(
        today,
        units_unsubmitted=unsubmitted,
        start_on=START,
        enrollment_end_on=END,
        last_reminded_on=last,
    )


def test_r_enr_18_first_reminder_on_the_1st_of_the_month_after_start() -> None:
    assert not remind(date(2026, 12, 1))
    assert not remind(date(2026, 12, 31))
    assert remind(date(2027, 1, 1))


def test_r_enr_18_once_a_month() -> None:
    assert not remind(date(2027, 1, 20), last=date(2027, 1, 1))
    assert remind(date(2027, 2, 1), last=date(2027, 1, 1))
    # A job that missed the 1st still sends that month's reminder later in the month.
    assert remind(date(2027, 3, 17), last=date(2027, 2, 1))
    # Year change: December's reminder does not block January's.
    assert reminder_due(
        date(2028, 1, 1),
        units_unsubmitted=1,
        start_on=date(2027, 6, 1),
        enrollment_end_on=date(2028, 5, 31),
        last_reminded_on=date(2027, 12, 1),
    )


def test_r_enr_18_final_month_reminded_none_after_the_end() -> None:
    assert remind(date(2027, 5, 1), last=date(2027, 4, 1))
    assert not remind(date(2027, 6, 1), last=date(2027, 5, 1))
    assert not remind(END + timedelta(days=1))


def test_r_enr_18_no_reminder_without_unsubmitted_units() -> None:
    assert not remind(date(2027, 2, 1), unsubmitted=0)
    with pytest.raises(ValueError, match="units_unsubmitted"):
        remind(date(2027, 2, 1), unsubmitted=-1)
