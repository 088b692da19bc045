"""Completion and excellent completion (R-ENR-9, R-ENR-10, R-ENR-11, R-ENR-12 best score)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.enrollments.rules import (
    DEFAULT_THRESHOLDS,
    UNSUBMITTED,
    CompletionReason,
    CompletionResult,
    CompletionStatus,
    CompletionThresholds,
    UnitOutcome,
    enrollment_end_on,
    evaluate_completion,
    excellent_deadline_on,
    unit_outcome,
)

START = date(2026, 12, 1)  # P = 3: the R-ENR-3/4 example
END = date(2027, 5, 31)
EXCELLENT = date(2027, 4, 30)
R = CompletionReason
S = CompletionStatus


def graded(
    score: int, submitted_on: date = date(2027, 2, 1), graded_on: date | None = None
) -> UnitOutcome:
    return UnitOutcome(
        submitted_on=submitted_on,
        score=score,
        graded_on=graded_on or submitted_on + timedelta(days=12),
    )


def evaluate(
    units: list[UnitOutcome],
    today: date = date(2027, 3, 1),
    *,
    thresholds: CompletionThresholds = DEFAULT_THRESHOLDS,
    allow_excellent: bool = True,
    has_resubmission_service: bool = False,
) -> CompletionResult:
    return evaluate_completion(
        units,
        enrollment_end_on=END,
        excellent_deadline_on=EXCELLENT,
        today=today,
        thresholds=thresholds,
        allow_excellent=allow_excellent,
        has_resubmission_service=has_resubmission_service,
    )


# --- R-ENR-9 completion -------------------------------------------------------------------------


def test_r_enr_9_completed_at_average_exactly_60_dated_last_grading() -> None:
    units = [
        graded(59, date(2027, 1, 5), date(2027, 1, 20)),
        graded(61, date(2027, 2, 3), date(2027, 2, 18)),
        graded(60, date(2027, 3, 1), date(2027, 3, 12)),
    ]
    result = evaluate(units, today=date(2027, 3, 12))
    assert result.status is S.completed
    assert result.completed_on == date(2027, 3, 12)


def test_r_enr_9_average_just_below_60_is_not_completed() -> None:
    # 59 + 60 = 119 → 59.5 < 60; without the resubmission service nothing can change it.
    result = evaluate([graded(59), graded(60)])
    assert result.status is S.not_completed
    assert result.reasons == (R.average_below_pass,)
    assert result.completed_on is None


def test_r_enr_9_completion_date_is_the_last_grading_even_after_the_end() -> None:
    """A report arriving on the last day is graded later; completion waits, then takes that day."""
    last_day_unit = UnitOutcome(submitted_on=END)
    units = [graded(80), last_day_unit]
    assert evaluate(units, today=END + timedelta(days=5)).status is S.pending
    assert evaluate(units, today=END + timedelta(days=5)).reasons == (R.grading_pending,)
    done = UnitOutcome(submitted_on=END, score=70, graded_on=date(2027, 6, 14))
    result = evaluate([graded(80), done], today=date(2027, 6, 14))
    assert result.status is S.completed
    assert result.completed_on == date(2027, 6, 14)


def test_r_enr_9_pending_while_units_unsubmitted_before_the_end() -> None:
    result = evaluate([graded(100), UNSUBMITTED, UnitOutcome(submitted_on=date(2027, 2, 20))])
    assert result.status is S.pending
    assert result.reasons == (R.units_unsubmitted, R.grading_pending)


# --- R-ENR-11 not completed -------------------------------------------------------------------------


def test_r_enr_11_unit_missing_on_the_last_day_is_still_pending() -> None:
    result = evaluate([graded(100), UNSUBMITTED], today=END)
    assert result.status is S.pending


def test_r_enr_11_unit_missing_the_day_after_the_end_is_not_completed() -> None:
    result = evaluate([graded(100), UNSUBMITTED], today=END + timedelta(days=1))
    assert result.status is S.not_completed
    assert result.reasons == (R.unit_missing,)


def test_r_enr_11_missing_unit_is_decisive_even_with_a_grading_pending() -> None:
    units = [UnitOutcome(submitted_on=END), UNSUBMITTED]
    result = evaluate(units, today=END + timedelta(days=1))
    assert result.status is S.not_completed
    assert result.reasons == (R.unit_missing,)


def test_r_enr_8_11_report_arriving_after_the_end_counts_as_missing() -> None:
    late = UnitOutcome(
        submitted_on=END + timedelta(days=1), score=100, graded_on=END + timedelta(days=9)
    )
    result = evaluate([graded(100), late], today=END + timedelta(days=10))
    assert result.status is S.not_completed
    assert result.reasons == (R.unit_missing,)


def test_r_enr_11_organization_thresholds() -> None:
    strict = CompletionThresholds(pass_average=70, excellent_average=95, excellent_minimum=80)
    assert evaluate([graded(69), graded(70)], thresholds=strict).status is S.not_completed
    assert evaluate([graded(70), graded(70)], thresholds=strict).status is S.completed
    result = evaluate([graded(94), graded(96)], thresholds=strict)  # 95 average, min 94
    assert result.status is S.excellent
    result = evaluate([graded(100), graded(79)] + [graded(100)] * 4, thresholds=strict)  # 96.5
    assert result.status is S.completed
    assert result.reasons == (R.minimum_below_excellent,)


# --- R-ENR-10 excellent -------------------------------------------------------------------------------


def test_r_enr_10_excellent_at_exactly_90_average_and_70_minimum() -> None:
    # 70 + 100 + 100 = 270 → 90.0, lowest 70.
    result = evaluate([graded(70), graded(100), graded(100)])
    assert result.status is S.excellent
    assert result.reasons == ()


def test_r_enr_10_average_89_5_is_only_completed() -> None:
    result = evaluate([graded(89), graded(90)])
    assert result.status is S.completed
    assert result.reasons == (R.average_below_excellent,)


def test_r_enr_10_lowest_69_is_only_completed() -> None:
    result = evaluate([graded(69), graded(100), graded(100), graded(100)])  # average 92.25
    assert result.status is S.completed
    assert result.reasons == (R.minimum_below_excellent,)


def test_r_enr_10_submitted_on_the_excellent_deadline_counts() -> None:
    result = evaluate([graded(95), graded(95, EXCELLENT)], today=date(2027, 5, 20))
    assert result.status is S.excellent


def test_r_enr_10_submitted_the_day_after_the_excellent_deadline_is_only_completed() -> None:
    after = EXCELLENT + timedelta(days=1)
    result = evaluate([graded(95), graded(95, after)], today=date(2027, 5, 20))
    assert result.status is S.completed
    assert result.reasons == (R.submitted_after_excellent_deadline,)


def test_r_enr_10_last_grading_after_the_excellent_deadline_is_still_excellent() -> None:
    """Only arrival counts ("届くこと"): graded on 2027-05-15, after the 2027-04-30 deadline."""
    on_deadline = UnitOutcome(submitted_on=EXCELLENT, score=92, graded_on=date(2027, 5, 15))
    result = evaluate([graded(96), on_deadline], today=date(2027, 5, 15))
    assert result.status is S.excellent
    assert result.completed_on == date(2027, 5, 15)


def test_r_enr_10_16_no_excellent_for_re_enrollment() -> None:
    result = evaluate([graded(100), graded(100)], allow_excellent=False)
    assert result.status is S.completed
    assert result.reasons == (R.excellent_not_allowed,)


def test_r_enr_10_every_reason_is_listed() -> None:
    after = EXCELLENT + timedelta(days=1)
    result = evaluate([graded(60), graded(80, after)], allow_excellent=False, today=END)
    assert result.status is S.completed
    assert result.reasons == (
        R.excellent_not_allowed,
        R.submitted_after_excellent_deadline,
        R.average_below_excellent,
        R.minimum_below_excellent,
    )


def test_r_enr_10_excellent_deadline_after_the_end_is_clamped() -> None:
    # A course whose excellent month would fall after the enrollment end: the end governs.
    result = evaluate_completion(
        [graded(95, END)],
        enrollment_end_on=END,
        excellent_deadline_on=END + timedelta(days=31),
        today=END,
    )
    assert result.status is S.excellent


# --- R-ENR-12 resubmission and completion ---------------------------------------------------------------


def test_r_enr_12_below_pass_average_stays_pending_while_resubmission_is_possible() -> None:
    units = [graded(40), graded(60)]
    result = evaluate(units, has_resubmission_service=True, today=END)
    assert result.status is S.pending
    assert result.reasons == (R.resubmission_possible,)
    after = evaluate(units, has_resubmission_service=True, today=END + timedelta(days=1))
    assert after.status is S.not_completed
    assert after.reasons == (R.average_below_pass,)


def test_r_enr_12_below_pass_average_with_no_unit_under_the_pass_mark_is_final() -> None:
    # Organization: average 60 to complete, but units are resubmittable only under 50.
    thresholds = CompletionThresholds(pass_mark=50)
    result = evaluate(
        [graded(55), graded(55)], thresholds=thresholds, has_resubmission_service=True
    )
    assert result.status is S.not_completed


def test_r_enr_12_unit_outcome_counts_the_best_score() -> None:
    first = graded(40, date(2027, 1, 10))
    second = graded(75, date(2027, 2, 10))
    third = graded(55, date(2027, 3, 10))
    assert unit_outcome([third, first, second]) == second
    assert unit_outcome([]) == UNSUBMITTED


def test_r_enr_12_unit_outcome_ties_take_the_earliest_arrival() -> None:
    early = graded(80, date(2027, 1, 10))
    late = graded(80, date(2027, 5, 10))
    assert unit_outcome([late, early]) == early


def test_r_enr_12_unit_outcome_pending_while_a_resubmission_is_graded() -> None:
    pending = UnitOutcome(submitted_on=date(2027, 3, 1))
    assert unit_outcome([graded(40, date(2027, 1, 10)), pending]) == pending
    with pytest.raises(ValueError, match="submitted_on"):
        unit_outcome([UNSUBMITTED])


# --- validation -----------------------------------------------------------------------------------------


def test_completion_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match="at least one"):
        evaluate([])
    with pytest.raises(ValueError, match="together"):
        UnitOutcome(submitted_on=date(2027, 1, 1), score=50)
    with pytest.raises(ValueError, match="score"):
        graded(101)
    with pytest.raises(ValueError, match="before"):
        UnitOutcome(submitted_on=date(2027, 1, 2), score=50, graded_on=date(2027, 1, 1))
    with pytest.raises(ValueError, match="submission"):
        UnitOutcome(submitted_on=None, score=50, graded_on=date(2027, 1, 1))
    with pytest.raises(ValueError, match="excellent_average"):
        CompletionThresholds(pass_average=80, excellent_average=70)


# --- properties -------------------------------------------------------------------------------------------

scores = st.lists(st.integers(0, 100), min_size=1, max_size=12)


@given(values=scores)
def test_r_enr_9_10_status_follows_the_integer_average(values: list[int]) -> None:
    result = evaluate([graded(value) for value in values])
    total, count = sum(values), len(values)
    if total < 60 * count:
        assert result.status is S.not_completed
    elif total >= 90 * count and min(values) >= 70:
        assert result.status is S.excellent
    else:
        assert result.status is S.completed
    assert (result.completed_on is not None) == (result.status in (S.completed, S.excellent))


@given(values=scores, raise_by=st.integers(0, 100), index=st.integers(0, 11))
def test_r_enr_12_a_better_score_never_makes_the_status_worse(
    values: list[int], raise_by: int, index: int
) -> None:
    rank = {S.not_completed: 0, S.completed: 1, S.excellent: 2}
    before = evaluate([graded(value) for value in values]).status
    improved = list(values)
    position = index % len(values)
    improved[position] = min(100, improved[position] + raise_by)
    after = evaluate([graded(value) for value in improved]).status
    assert rank[after] >= rank[before]


def test_r_enr_3_4_the_dates_used_here_are_the_spec_example() -> None:
    assert enrollment_end_on(START, 3) == END
    assert excellent_deadline_on(START, 3) == EXCELLENT
