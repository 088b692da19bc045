"""Pure correspondence-course rules (R-ENR-1 … R-ENR-12, R-ENR-16 … R-ENR-18): no I/O, no clock.

- `calendar`: start date, materials shipping, enrollment end, excellent deadline, cancellation
  deadline, essay due window, last submission instant, re-enrollment and leave dates.
- `completion`: completion / excellent / not completed / pending, with organization thresholds.
- `submissions`: one submission per unit, the resubmission service, answer disclosure, reminders.
- `changes`: cancellation, re-enrollment and leave-of-absence eligibility.
- `decision`: the allowed-or-refused answer with its reason slug.

Everything is re-exported here: `from app.enrollments.rules import evaluate_completion`.
"""

from app.enrollments.rules.calendar import (
    CANCELLATION_DAYS_AFTER_DELIVERY,
    DEFAULT_ENROLLMENT_MULTIPLIER,
    GRADING_DUE_MAX_DAYS,
    GRADING_DUE_MIN_DAYS,
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
from app.enrollments.rules.changes import (
    LEAVE_MAX_MONTHS,
    LEAVE_MIN_MONTHS,
    RE_ENROLLMENT_FEE_JPY,
    LeaveReason,
    leave_decision,
    may_cancel,
    re_enrollment_decision,
)
from app.enrollments.rules.completion import (
    DEFAULT_THRESHOLDS,
    UNSUBMITTED,
    CompletionReason,
    CompletionResult,
    CompletionStatus,
    CompletionThresholds,
    UnitOutcome,
    evaluate_completion,
    unit_outcome,
)
from app.enrollments.rules.decision import EnrollmentDecision, EnrollmentRefusal
from app.enrollments.rules.submissions import (
    REMINDER_DAY_OF_MONTH,
    UnitState,
    may_disclose_answers,
    may_submit,
    reminder_due,
)

__all__ = [
    "CANCELLATION_DAYS_AFTER_DELIVERY",
    "DEFAULT_ENROLLMENT_MULTIPLIER",
    "DEFAULT_THRESHOLDS",
    "GRADING_DUE_MAX_DAYS",
    "GRADING_DUE_MIN_DAYS",
    "LEAVE_MAX_MONTHS",
    "LEAVE_MIN_MONTHS",
    "REMINDER_DAY_OF_MONTH",
    "RE_ENROLLMENT_FEE_JPY",
    "UNSUBMITTED",
    "CompletionReason",
    "CompletionResult",
    "CompletionStatus",
    "CompletionThresholds",
    "EnrollmentDecision",
    "EnrollmentRefusal",
    "LeaveReason",
    "UnitOutcome",
    "UnitState",
    "cancellation_deadline_on",
    "enrollment_end_on",
    "enrollment_months",
    "evaluate_completion",
    "excellent_deadline_on",
    "extended_end_on",
    "grading_due_window",
    "is_submission_on_time",
    "last_submission_instant",
    "leave_deadline_on",
    "leave_decision",
    "materials_may_arrive_after_start",
    "materials_ship_by",
    "may_cancel",
    "may_disclose_answers",
    "may_submit",
    "month_end_counting_start",
    "re_enrollment_deadline_on",
    "re_enrollment_decision",
    "re_enrollment_period",
    "reminder_due",
    "start_on",
    "unit_outcome",
]
