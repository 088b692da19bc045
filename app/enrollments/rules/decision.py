"""The answer of every enrollment eligibility rule: allowed, or refused with a stable reason slug.

Used by R-ENR-5 (cancellation), R-ENR-7/8/12 (submission), R-ENR-16 (re-enrollment) and R-ENR-17
(leave). The service maps a refusal reason to its problem error (`type` = the slug with hyphens).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EnrollmentRefusal(StrEnum):
    # R-ENR-5 cancellation
    cancellation_period_over = "cancellation_period_over"
    # R-ENR-7 / R-ENR-8 / R-ENR-12 submission
    enrollment_ended = "enrollment_ended"
    already_submitted = "already_submitted"
    grading_pending = "grading_pending"
    unit_passed = "unit_passed"
    # R-ENR-16 re-enrollment
    course_excludes_re_enrollment = "course_excludes_re_enrollment"
    already_re_enrolled = "already_re_enrolled"
    enrollment_not_ended = "enrollment_not_ended"
    completion_pending = "completion_pending"
    enrollment_completed = "enrollment_completed"
    re_enrollment_period_over = "re_enrollment_period_over"
    # R-ENR-17 leave of absence
    course_excludes_leave = "course_excludes_leave"
    leave_already_taken = "leave_already_taken"
    leave_deadline_passed = "leave_deadline_passed"
    leave_months_out_of_range = "leave_months_out_of_range"


@dataclass(frozen=True)
class EnrollmentDecision:
    is_allowed: bool
    refusal_reason: EnrollmentRefusal | None = None

    def __post_init__(self) -> None:
        if self.is_allowed == (self.refusal_reason is not None):
            raise ValueError("a decision is allowed without a reason or refused with one")


ALLOWED = EnrollmentDecision(is_allowed=True)


def refused(reason: EnrollmentRefusal) -> EnrollmentDecision:
    return EnrollmentDecision(is_allowed=False, refusal_reason=reason)
