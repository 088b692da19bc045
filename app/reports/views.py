"""What a learner may see of their own submissions (R-ENR-12, R-ENR-14).

`learner_submission` is the ONLY way a submission reaches a learner response: every learner
endpoint (the submission's creation, the list, the detail) goes through it, so the disclosure
rule is decided in one place:

- R-ENR-14: no grader id or name, ever (the schema has no such field).
- R-ENR-12: answers, correct answers, explanations and comments only when
  `rules.may_disclose_answers` says so — never before the grade, and under the resubmission
  service never for a score below the enrollment's pass mark, at any time. The score is shown.
"""

from __future__ import annotations

from typing import Any

from app.enrollments import rules
from app.models import Enrollment, ReportSubmission, ReportUnit, ReportUnitKind
from app.reports.schemas import LearnerSubmission, QuestionResult


def is_disclosed(submission: ReportSubmission, enrollment: Enrollment) -> bool:
    return rules.may_disclose_answers(
        submission.score,
        pass_mark=enrollment.pass_mark,
        has_resubmission_service=enrollment.has_resubmission_service,
    )


def _results(unit: ReportUnit, answers: list[int]) -> list[QuestionResult]:
    results = []
    for question, chosen in zip(unit.questions, answers, strict=False):
        q: dict[str, Any] = question
        results.append(
            QuestionResult(
                prompt=q["prompt"],
                choices=list(q["choices"]),
                chosen_choice=chosen,
                correct_choice=q["correct_choice"],
                is_correct=chosen == q["correct_choice"],
                explanation=q.get("explanation"),
            )
        )
    return results


def learner_submission(
    submission: ReportSubmission, unit: ReportUnit, enrollment: Enrollment
) -> LearnerSubmission:
    disclosed = is_disclosed(submission, enrollment)
    results = None
    if disclosed and unit.kind is ReportUnitKind.multiple_choice and submission.answers:
        results = _results(unit, submission.answers)
    return LearnerSubmission(
        id=submission.id,
        enrollment_id=submission.enrollment_id,
        unit_id=unit.id,
        unit_title=unit.title,
        kind=unit.kind,
        attempt=submission.attempt,
        submitted_at=submission.submitted_at,
        status=submission.status,
        due_from_on=submission.due_from_on,
        due_until_on=submission.due_until_on,
        score=submission.score,
        graded_at=submission.graded_at,
        is_disclosed=disclosed,
        answers=submission.answers if disclosed else None,
        essay_text=submission.essay_text if disclosed else None,
        results=results,
        comments=submission.comments if disclosed else None,
    )
