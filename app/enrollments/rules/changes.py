"""Changes to an enrollment: cancellation, re-enrollment, leave of absence. Pure, no clock.

- R-ENR-5 `may_cancel`: until 8 days after the materials arrive (delivery day is day 0); later
  only when the company is at fault.
- R-ENR-16 `re_enrollment_decision`: only for an enrollment that ended not completed; applied for
  within 1 year after its end; once; not for courses that exclude it. Fee `RE_ENROLLMENT_FEE_JPY`
  (¥4,400 tax included). The new period: `calendar.re_enrollment_period`; no excellent completion
  (`evaluate_completion(..., allow_excellent=False)`).
- R-ENR-17 `leave_decision`: a reason from `LeaveReason` with a proof document; applied for by
  `calendar.leave_deadline_on` (the 15th of the final month, walked back to a business day); once;
  1 to 6 months, extending the end to `calendar.extended_end_on`.

Decisions where the spec is silent:

- Before the materials are delivered an application may always be cancelled (the 8 days run from
  arrival). A course that ships nothing should pass the day the course became usable (its start
  date) as `delivered_on`.
- "Once only" for re-enrollment covers the chain: a re-enrollment cannot itself be re-enrolled
  (seed 001: 申請は、1回のみ), so the caller passes `already_re_enrolled=True` for an enrollment
  that has a re-enrollment or is one.
- An enrollment whose completion is still `pending` after its end (a grading not finished) cannot
  be re-enrolled yet: whether it ended not completed is not known.
- A leave moves only the enrollment end. The excellent-completion deadline (standard period + 2
  months from the start) stays where it is; the question usage period follows the new end.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from app.enrollments.rules.calendar import (
    cancellation_deadline_on,
    leave_deadline_on,
    re_enrollment_deadline_on,
)
from app.enrollments.rules.completion import CompletionStatus
from app.enrollments.rules.decision import (
    ALLOWED,
    EnrollmentDecision,
    EnrollmentRefusal,
    refused,
)

RE_ENROLLMENT_FEE_JPY = 4_400
"""R-ENR-16: the re-enrollment fee, consumption tax included."""

LEAVE_MIN_MONTHS = 1
LEAVE_MAX_MONTHS = 6
"""R-ENR-17: a leave extends the enrollment by 1 to 6 whole months."""


class LeaveReason(StrEnum):
    """R-ENR-17: the grounds for a leave of absence; each needs a proof document."""

    illness_or_injury = "illness_or_injury"
    disaster_or_fire = "disaster_or_fire"
    other_approved = "other_approved"


def may_cancel(
    delivered_on: date | None, today: date, *, company_at_fault: bool
) -> EnrollmentDecision:
    """R-ENR-5: may the application be cancelled on `today`?

    Yes when the company is at fault, when nothing has been delivered yet (`delivered_on` None),
    or through delivery day + 8 (day 8 yes, day 9 `cancellation_period_over`).
    """
    if company_at_fault or delivered_on is None:
        return ALLOWED
    if today <= cancellation_deadline_on(delivered_on):
        return ALLOWED
    return refused(EnrollmentRefusal.cancellation_period_over)


def re_enrollment_decision(
    previous_status: CompletionStatus,
    *,
    enrollment_end_on: date,
    already_re_enrolled: bool,
    course_allows: bool,
    today: date,
) -> EnrollmentDecision:
    """R-ENR-16: may the previous enrollment (ended on `enrollment_end_on`, the leave-extended end
    if any) be re-enrolled on `today`?

    Refusals, in this order: `course_excludes_re_enrollment`, `already_re_enrolled`,
    `enrollment_not_ended` (today ≤ the end), `completion_pending`, `enrollment_completed`
    (completed or excellent), `re_enrollment_period_over` (after `re_enrollment_deadline_on`).
    """
    if not course_allows:
        return refused(EnrollmentRefusal.course_excludes_re_enrollment)
    if already_re_enrolled:
        return refused(EnrollmentRefusal.already_re_enrolled)
    if today <= enrollment_end_on:
        return refused(EnrollmentRefusal.enrollment_not_ended)
    if previous_status is CompletionStatus.pending:
        return refused(EnrollmentRefusal.completion_pending)
    if previous_status is not CompletionStatus.not_completed:
        return refused(EnrollmentRefusal.enrollment_completed)
    if today > re_enrollment_deadline_on(enrollment_end_on):
        return refused(EnrollmentRefusal.re_enrollment_period_over)
    return ALLOWED


def leave_decision(
    today: date,
    *,
    enrollment_end_on: date,
    already_taken: bool,
    requested_months: int,
    course_allows: bool,
) -> EnrollmentDecision:
    """R-ENR-17: may a leave of `requested_months` months be applied for on `today`?

    Refusals, in this order: `course_excludes_leave`, `leave_already_taken` (once per
    enrollment), `leave_months_out_of_range` (not 1–6), `leave_deadline_passed` (after
    `leave_deadline_on(enrollment_end_on)`).
    """
    if not course_allows:
        return refused(EnrollmentRefusal.course_excludes_leave)
    if already_taken:
        return refused(EnrollmentRefusal.leave_already_taken)
    if not LEAVE_MIN_MONTHS <= requested_months <= LEAVE_MAX_MONTHS:
        return refused(EnrollmentRefusal.leave_months_out_of_range)
    if today > leave_deadline_on(enrollment_end_on):
        return refused(EnrollmentRefusal.leave_deadline_passed)
    return ALLOWED
