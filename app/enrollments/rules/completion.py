"""Completion and excellent completion (R-ENR-9, R-ENR-10, R-ENR-11; R-ENR-12 best score). Pure.

`evaluate_completion` is called when a grading finishes and once the enrollment end has passed;
it answers from the facts it is given and is safe to call any number of times:

- R-ENR-9 completed (修了): every unit submitted by the enrollment end and the average of all unit
  scores ≥ the pass average (60). Completion date = the day the last grading finished.
- R-ENR-10 excellent (優秀修了): additionally every unit submitted by the excellent-completion
  deadline, average ≥ 90 and lowest score ≥ 70. Not for re-enrollments (R-ENR-16).
- R-ENR-11 not completed (未修了): a unit missing at the enrollment end, or the average below the
  pass average once nothing can change it any more. Organizations set their own thresholds
  (`CompletionThresholds`).

Decisions where the spec is silent:

- Averages are compared exactly, in integers (`sum ≥ threshold × count`): 59 and 61 average 60
  and complete; 89.5 is not 90.
- `pending` until the answer is decided: a unit not yet submitted while the enrollment runs, a
  grading still to finish (even after the end: a report that arrived on the last day is graded
  later, and completion waits for it), or an average below the pass average that a resubmission
  could still raise. A unit missing at the end is decisive at once, whatever is still being graded.
- Without the resubmission service an average below the pass average is final as soon as every
  unit is graded, even before the end (one submission per unit: nothing can change it).
- A report that arrived after the enrollment end (by post, R-ENR-8) counts as missing.
- The last grading may finish after the excellent deadline: only the arrival dates count for
  R-ENR-10 ("届くこと"), so that is still excellent, dated the day of that grading.
- Under the resubmission service a unit counts with its best graded score (the service exists to
  raise a score, and a retry must never lower it); `unit_outcome` picks it. Scores therefore only
  rise, so a completed result never turns into not completed; staff re-grading (R-ENR-15) is the
  only exception and simply calls this again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MAX_SCORE = 100


class CompletionStatus(StrEnum):
    pending = "pending"
    completed = "completed"
    excellent = "excellent"
    not_completed = "not_completed"


class CompletionReason(StrEnum):
    # pending
    units_unsubmitted = "units_unsubmitted"
    grading_pending = "grading_pending"
    resubmission_possible = "resubmission_possible"
    # not completed
    unit_missing = "unit_missing"
    average_below_pass = "average_below_pass"
    # completed but not excellent
    excellent_not_allowed = "excellent_not_allowed"
    submitted_after_excellent_deadline = "submitted_after_excellent_deadline"
    average_below_excellent = "average_below_excellent"
    minimum_below_excellent = "minimum_below_excellent"


def _check_score(value: int, name: str) -> None:
    if not 0 <= value <= MAX_SCORE:
        raise ValueError(f"{name} must be within 0..{MAX_SCORE}")


@dataclass(frozen=True)
class CompletionThresholds:
    """R-ENR-9/10/11/12 thresholds; an organization may override any of them."""

    pass_average: int = 60
    """R-ENR-9: the lowest average of all unit scores that completes."""
    excellent_average: int = 90
    """R-ENR-10: the lowest average for excellent completion."""
    excellent_minimum: int = 70
    """R-ENR-10: the lowest single unit score allowed for excellent completion."""
    pass_mark: int = 60
    """R-ENR-12: a unit scored below this may be resubmitted under the resubmission service, and
    a submission below it never discloses its answers, correct answers or comments."""

    def __post_init__(self) -> None:
        for name in ("pass_average", "excellent_average", "excellent_minimum", "pass_mark"):
            _check_score(getattr(self, name), name)
        if self.excellent_average < self.pass_average:
            raise ValueError("excellent_average must not be below pass_average")


DEFAULT_THRESHOLDS = CompletionThresholds()


@dataclass(frozen=True)
class UnitOutcome:
    """One report unit as it counts for completion: its counted submission, or none.

    `submitted_on` is the JST arrival date; `score` and `graded_on` are set together once the
    grading has finished.
    """

    submitted_on: date | None
    score: int | None = None
    graded_on: date | None = None

    def __post_init__(self) -> None:
        if (self.score is None) != (self.graded_on is None):
            raise ValueError("score and graded_on are set together")
        if self.score is not None:
            _check_score(self.score, "score")
            if self.submitted_on is None:
                raise ValueError("a graded unit has a submission")
        if (
            self.graded_on is not None
            and self.submitted_on is not None
            and self.graded_on < self.submitted_on
        ):
            raise ValueError("graded_on is before submitted_on")


UNSUBMITTED = UnitOutcome(submitted_on=None)


def unit_outcome(attempts: Sequence[UnitOutcome]) -> UnitOutcome:
    """R-ENR-12: the submission of a unit that counts, from all its submissions (any order).

    None submitted: `UNSUBMITTED`. A submission still being graded makes the unit pending (its
    result may raise the score). Otherwise the best score counts; among equal scores the earliest
    arrival (it meets the excellent deadline if any of them does).
    """
    if any(attempt.submitted_on is None for attempt in attempts):
        raise ValueError("attempts are submissions: each has submitted_on")
    if not attempts:
        return UNSUBMITTED
    ungraded = [attempt for attempt in attempts if attempt.score is None]
    if ungraded:
        return min(ungraded, key=lambda attempt: attempt.submitted_on or date.max)
    return min(
        attempts, key=lambda attempt: (-(attempt.score or 0), attempt.submitted_on or date.max)
    )


@dataclass(frozen=True)
class CompletionResult:
    status: CompletionStatus
    completed_on: date | None
    """The day the last grading finished, for completed and excellent; None otherwise."""
    reasons: tuple[CompletionReason, ...]
    """Why the status is not better: empty for excellent."""


_S = CompletionStatus
_R = CompletionReason


def _result(
    status: CompletionStatus, *reasons: CompletionReason, completed_on: date | None = None
) -> CompletionResult:
    return CompletionResult(status=status, completed_on=completed_on, reasons=reasons)


def evaluate_completion(
    units: Sequence[UnitOutcome],
    *,
    enrollment_end_on: date,
    excellent_deadline_on: date,
    today: date,
    thresholds: CompletionThresholds = DEFAULT_THRESHOLDS,
    allow_excellent: bool = True,
    has_resubmission_service: bool = False,
) -> CompletionResult:
    """R-ENR-9/10/11: the completion status of an enrollment on `today` (JST).

    `units` holds one `UnitOutcome` per report unit of the course (`unit_outcome` of its
    submissions under the resubmission service). `allow_excellent` is False for a re-enrollment
    (R-ENR-16); `has_resubmission_service` keeps a below-pass result pending while a unit under
    `thresholds.pass_mark` can still be resubmitted (today ≤ the enrollment end).
    """
    if not units:
        raise ValueError("a course has at least one report unit")
    has_ended = today > enrollment_end_on
    in_time = [
        unit
        for unit in units
        if unit.submitted_on is not None and unit.submitted_on <= enrollment_end_on
    ]
    is_missing = len(in_time) < len(units)
    is_grading = any(unit.score is None for unit in in_time)

    if is_missing and has_ended:
        return _result(_S.not_completed, _R.unit_missing)
    if is_missing or is_grading:
        reasons = [_R.units_unsubmitted] if is_missing else []
        reasons += [_R.grading_pending] if is_grading else []
        return _result(_S.pending, *reasons)

    scores = [unit.score for unit in in_time if unit.score is not None]
    total, count = sum(scores), len(scores)
    if total < thresholds.pass_average * count:
        may_resubmit = (
            has_resubmission_service
            and not has_ended
            and any(score < thresholds.pass_mark for score in scores)
        )
        if may_resubmit:
            return _result(_S.pending, _R.resubmission_possible)
        return _result(_S.not_completed, _R.average_below_pass)

    completed_on = max(unit.graded_on for unit in in_time if unit.graded_on is not None)
    deadline = min(excellent_deadline_on, enrollment_end_on)
    not_excellent: list[CompletionReason] = []
    if not allow_excellent:
        not_excellent.append(_R.excellent_not_allowed)
    if any(unit.submitted_on is not None and unit.submitted_on > deadline for unit in in_time):
        not_excellent.append(_R.submitted_after_excellent_deadline)
    if total < thresholds.excellent_average * count:
        not_excellent.append(_R.average_below_excellent)
    if min(scores) < thresholds.excellent_minimum:
        not_excellent.append(_R.minimum_below_excellent)
    status = _S.completed if not_excellent else _S.excellent
    return _result(status, *not_excellent, completed_on=completed_on)
