"""Report submissions: who may submit, what is disclosed, when to remind. Pure, no clock.

- R-ENR-7 one submission per unit; R-ENR-12 under the resubmission service a unit whose best
  graded score is below the pass mark may be submitted again, any number of times, during the
  enrollment; R-ENR-8 nothing after the enrollment end (`may_submit`).
- R-ENR-12 a submission scored below the pass mark under the resubmission service never discloses
  its answers, correct answers or grader comments — only its score — not even after the end
  (`may_disclose_answers`).
- R-ENR-18 the monthly reminder for unsubmitted units (`reminder_due`).

Decisions where the spec is silent:

- A resubmission waits for the previous submission's grade (`grading_pending`): until it is known
  nobody can say whether the unit is below the pass mark.
- Seed 001's postal cut-off (no new resubmission form once a score is fixed on or after the 25th
  of the final month) is about mailing paper forms; for web submissions the seed's own web rule
  applies — resubmission is possible through the enrollment's last day.
- Submitting before the start date is not refused: materials usually arrive before the 1st
  (R-ENR-2) and no rule forbids an early report.
- The reminder goes out on the 1st of each month (`REMINDER_DAY_OF_MONTH`) from the month after
  the start month through the final enrollment month, to a learner with at least one unsubmitted
  unit, at most once per calendar month. A job that runs late in the month still sends that
  month's reminder; nothing is sent after the enrollment end. Nothing in the start month: the
  standard pace is one unit a month (seed 001 受講期間), so nothing is late yet. Courses that send
  no reminders (seed 001) are filtered out by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.enrollments.rules.completion import MAX_SCORE
from app.enrollments.rules.decision import (
    ALLOWED,
    EnrollmentDecision,
    EnrollmentRefusal,
    refused,
)

REMINDER_DAY_OF_MONTH = 1
"""R-ENR-18: the day of the month the reminder for unsubmitted units goes out."""


@dataclass(frozen=True)
class UnitState:
    """What the learner has done with one report unit so far."""

    submission_count: int = 0
    best_score: int | None = None
    """The best graded score among the unit's submissions; None while none is graded."""
    has_pending_grading: bool = False
    """A submission of this unit is still waiting for its grade."""

    def __post_init__(self) -> None:
        if self.submission_count < 0:
            raise ValueError("submission_count must be >= 0")
        if self.best_score is not None and not 0 <= self.best_score <= MAX_SCORE:
            raise ValueError(f"best_score must be within 0..{MAX_SCORE}")
        if self.submission_count == 0 and (self.best_score is not None or self.has_pending_grading):
            raise ValueError("a unit without submissions has no score and no pending grading")


def may_submit(
    unit_state: UnitState,
    *,
    has_resubmission_service: bool,
    pass_mark: int,
    today: date,
    enrollment_end_on: date,
) -> EnrollmentDecision:
    """R-ENR-7/8/12: may the learner submit this unit on `today` (JST date of the arrival)?

    Refusals, in this order: `enrollment_ended` (after the last day, R-ENR-8); `already_submitted`
    (one submission per unit without the service, R-ENR-7); under the service `grading_pending`
    (the previous submission has no grade yet) and `unit_passed` (best score ≥ `pass_mark`).
    """
    if today > enrollment_end_on:
        return refused(EnrollmentRefusal.enrollment_ended)
    if unit_state.submission_count == 0:
        return ALLOWED
    if not has_resubmission_service:
        return refused(EnrollmentRefusal.already_submitted)
    if unit_state.has_pending_grading or unit_state.best_score is None:
        return refused(EnrollmentRefusal.grading_pending)
    if unit_state.best_score >= pass_mark:
        return refused(EnrollmentRefusal.unit_passed)
    return ALLOWED


def may_disclose_answers(
    submission_score: int | None, *, pass_mark: int, has_resubmission_service: bool
) -> bool:
    """R-ENR-12: may this submission's answers, correct answers and grader comments be shown?

    Never before it is graded (`submission_score` None). Under the resubmission service never for a
    score below `pass_mark` — at any time, also after the enrollment end; the score alone is shown.
    The decision is per submission: a later passing submission of the same unit discloses its own
    content and nothing of the earlier below-pass ones.
    """
    if submission_score is None:
        return False
    return not (has_resubmission_service and submission_score < pass_mark)


def reminder_due(
    today: date,
    *,
    units_unsubmitted: int,
    start_on: date,
    enrollment_end_on: date,
    last_reminded_on: date | None,
) -> bool:
    """R-ENR-18: should the monthly reminder for unsubmitted units be sent to this learner today?

    True from the `REMINDER_DAY_OF_MONTH` of each month after the start month through the
    enrollment end, when a unit is unsubmitted and no reminder went out earlier this month.
    """
    if units_unsubmitted < 0:
        raise ValueError("units_unsubmitted must be >= 0")
    if units_unsubmitted == 0 or today > enrollment_end_on:
        return False
    if (today.year, today.month) <= (start_on.year, start_on.month):
        return False
    if today.day < REMINDER_DAY_OF_MONTH:
        return False
    return last_reminded_on is None or (last_reminded_on.year, last_reminded_on.month) < (
        today.year,
        today.month,
    )
