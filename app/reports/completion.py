"""Completion of an enrollment, evaluated and stored (R-ENR-9, R-ENR-10, R-ENR-11, R-ENR-13).

`evaluate_and_store` runs `rules.evaluate_completion` over the enrollment's units and stores the
status and completion date on the `Enrollment`. It is called when a grading finishes (computer or
grader), after a staff re-grading, and by the daily job for enrollments whose end has passed
(`app.reports.tasks`). It is idempotent: a call that finds nothing new changes nothing and
sends nothing.

- The thresholds are the enrollment's snapshot (the organization's or the defaults, R-ENR-11).
- Under the resubmission service each unit counts with `rules.unit_outcome` (best score).
- A re-enrollment (or an enrollment without an excellent deadline) cannot be excellent (R-ENR-16).
- When the status becomes final (completed, excellent, not completed) the learner is emailed
  (`completion_result`). A completed or excellent enrollment of a course with certificates gets
  its certificate (R-ENR-13, `certificates.issue_for`), once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.enrollments import rules
from app.kit.calendar import jst_date
from app.models import (
    CompletionStatus,
    CorrespondenceSettings,
    Course,
    Enrollment,
    ReportSubmission,
    User,
)
from app.notifications.service import notify_user
from app.reports import repository
from app.reports.certificates import issue_for, revoke_for

RESULT_TITLES = {
    CompletionStatus.completed: {"ja": "修了", "en": "completed"},
    CompletionStatus.excellent: {"ja": "優秀修了", "en": "completed with excellence"},
    CompletionStatus.not_completed: {"ja": "未修了", "en": "not completed"},
}


def thresholds_of(enrollment: Enrollment) -> rules.CompletionThresholds:
    return rules.CompletionThresholds(
        pass_average=enrollment.pass_average,
        excellent_average=enrollment.excellent_average,
        excellent_minimum=enrollment.excellent_minimum,
        pass_mark=enrollment.pass_mark,
    )


def evaluate(
    enrollment: Enrollment,
    unit_ids: list[object],
    submissions: list[ReportSubmission],
    *,
    now: datetime,
) -> rules.CompletionResult:
    """The pure evaluation for one enrollment from its units and submissions."""
    attempts: dict[object, list[rules.UnitOutcome]] = defaultdict(list)
    for submission in submissions:
        attempts[submission.unit_id].append(
            rules.UnitOutcome(
                submitted_on=submission.submitted_on,
                score=submission.score,
                graded_on=submission.graded_on,
            )
        )
    return rules.evaluate_completion(
        [rules.unit_outcome(attempts[unit_id]) for unit_id in unit_ids],
        enrollment_end_on=enrollment.enrollment_end_on,
        excellent_deadline_on=enrollment.excellent_deadline_on or enrollment.enrollment_end_on,
        today=jst_date(now),
        thresholds=thresholds_of(enrollment),
        allow_excellent=(
            enrollment.excellent_deadline_on is not None and enrollment.re_enrollment_of_id is None
        ),
        has_resubmission_service=enrollment.has_resubmission_service,
    )


async def evaluate_and_store(
    session: AsyncSession, enrollment: Enrollment, *, now: datetime, frontend_base_url: str
) -> rules.CompletionResult | None:
    """Evaluate, store, email and issue the certificate. None for a course without units."""
    units = await repository.units_of_course(session, enrollment.course_id)
    if not units:
        return None
    submissions = await repository.submissions_of_enrollment(session, enrollment.id)
    result = evaluate(enrollment, [unit.id for unit in units], submissions, now=now)
    status = CompletionStatus(result.status.value)
    if status is enrollment.completion_status and result.completed_on == enrollment.completed_on:
        return result
    enrollment.completion_status = status
    enrollment.completed_on = result.completed_on
    await session.flush()
    if status is CompletionStatus.pending:
        await revoke_for(session, enrollment, now=now)
        return result
    found = await repository.correspondence_course(session, enrollment.course_id)
    learner = await session.get(User, enrollment.user_id)
    assert found is not None and learner is not None
    course, settings = found
    await _email_result(session, learner, course, status, now=now, base_url=frontend_base_url)
    if status in (CompletionStatus.completed, CompletionStatus.excellent):
        await _certify(session, enrollment, learner, course, settings, now, frontend_base_url)
    else:
        await revoke_for(session, enrollment, now=now)
    return result


async def _email_result(
    session: AsyncSession,
    learner: User,
    course: Course,
    status: CompletionStatus,
    *,
    now: datetime,
    base_url: str,
) -> None:
    title = RESULT_TITLES[status]
    await notify_user(
        session,
        learner,
        template="completion_result",
        now=now,
        context={
            "course_title": course.title,
            "result_title": title.get(learner.locale, title["ja"]),
            "enrollments_url": f"{base_url}/me/enrollments",
        },
    )


async def _certify(
    session: AsyncSession,
    enrollment: Enrollment,
    learner: User,
    course: Course,
    settings: CorrespondenceSettings,
    now: datetime,
    base_url: str,
) -> None:
    if not settings.has_certificate or enrollment.completed_on is None:
        return
    await issue_for(
        session,
        enrollment,
        learner=learner,
        course=course,
        now=now,
        frontend_base_url=base_url,
    )
