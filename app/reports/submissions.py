"""Learner submissions of report units (R-ENR-6, R-ENR-7, R-ENR-8, R-ENR-12).

- Only inside the learner's own enrollment (another's is `report-enrollment-not-found`), not
  for a cancelled or returned one (`enrollment-not-active`).
- `rules.may_submit` decides: after 23:59:59 JST of the enrollment's last day
  `report-submission-after-enrollment-end` (R-ENR-8); a second submission without the
  resubmission service `report-already-submitted` (R-ENR-7); under the service a resubmission
  waits for the previous grade and is only for a unit below the pass mark (R-ENR-12).
- Concurrency: the enrollment row is locked (`SELECT … FOR UPDATE`) before the unit's
  submissions are counted, so two simultaneous submissions of one unit create one; the unique
  index (enrollment, unit, attempt) backs that up.
- Multiple choice is graded at once: score = ⌊100 × correct ÷ questions⌋ (rounded down, like
  every fraction here); completion is evaluated straight away. Essays are queued with their due
  window (received + 10 … 20 days, R-ENR-6).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.enrollments import rules
from app.enrollments.errors import ReEnrollmentFeeUnpaid
from app.kit.calendar import jst_date
from app.kit.errors import ProblemError
from app.kit.pagination import PageParams, paginate
from app.models import (
    Enrollment,
    EnrollmentStatus,
    ReportSubmission,
    ReportUnit,
    ReportUnitKind,
    SubmissionStatus,
    User,
)
from app.reports import completion, repository
from app.reports.errors import (
    EnrollmentNotActive,
    ReportAnswersInvalid,
    ReportEnrollmentNotFound,
    ReportSubmissionNotFound,
    ReportUnitNotFound,
    submission_refusal,
)
from app.reports.schemas import LearnerQuestion, LearnerReportUnit, SubmissionCreate

_CLOSED_STATUSES = (EnrollmentStatus.cancelled, EnrollmentStatus.returned)


def status_refusal(enrollment: Enrollment) -> type[ProblemError] | None:
    """Why this enrollment takes no report now, whatever the unit: cancelled or returned, or a
    re-enrollment whose fee is not paid yet (R-ENR-16)."""
    if enrollment.status in _CLOSED_STATUSES:
        return EnrollmentNotActive
    if enrollment.status is EnrollmentStatus.awaiting_payment:
        return ReEnrollmentFeeUnpaid
    return None


def unit_state(submissions: list[ReportSubmission]) -> rules.UnitState:
    scores = [s.score for s in submissions if s.score is not None]
    return rules.UnitState(
        submission_count=len(submissions),
        best_score=max(scores) if scores else None,
        has_pending_grading=any(s.status is SubmissionStatus.awaiting_grading for s in submissions),
    )


def multiple_choice_score(unit: ReportUnit, answers: list[int]) -> int:
    """R-ENR-6: the computer's score, 0–100, rounded down."""
    correct = sum(
        1
        for question, chosen in zip(unit.questions, answers, strict=True)
        if chosen == question["correct_choice"]
    )
    return 100 * correct // len(unit.questions)


def _check_answers(unit: ReportUnit, body: SubmissionCreate) -> None:
    if unit.kind is ReportUnitKind.essay:
        if body.answers is not None or not body.essay_text or not body.essay_text.strip():
            raise ReportAnswersInvalid(reason="An essay report is submitted as essay_text.")
        return
    if body.essay_text is not None or body.answers is None:
        raise ReportAnswersInvalid(reason="A multiple-choice report is submitted as answers.")
    if len(body.answers) != len(unit.questions):
        raise ReportAnswersInvalid(
            reason=f"Answer each of the {len(unit.questions)} questions, in order."
        )
    for question, chosen in zip(unit.questions, body.answers, strict=True):
        if not 0 <= chosen < len(question["choices"]):
            raise ReportAnswersInvalid(reason="Each answer is the index of one of its choices.")


async def own_enrollment(
    session: AsyncSession, user: User, enrollment_id: uuid.UUID, *, for_update: bool = False
) -> Enrollment:
    enrollment = await repository.own_enrollment(
        session, user_id=user.id, enrollment_id=enrollment_id, for_update=for_update
    )
    if enrollment is None:
        raise ReportEnrollmentNotFound()
    return enrollment


async def submit(
    session: AsyncSession,
    *,
    user: User,
    enrollment_id: uuid.UUID,
    unit_id: uuid.UUID,
    body: SubmissionCreate,
    now: datetime,
    frontend_base_url: str,
) -> tuple[ReportSubmission, ReportUnit, Enrollment]:
    enrollment = await own_enrollment(session, user, enrollment_id, for_update=True)
    closed = status_refusal(enrollment)
    if closed is not None:
        raise closed()
    unit = await repository.unit(session, unit_id)
    if unit is None or unit.course_id != enrollment.course_id:
        raise ReportUnitNotFound()
    previous = await repository.submissions_of_enrollment(session, enrollment.id, unit.id)
    today = jst_date(now)
    decision = rules.may_submit(
        unit_state(previous),
        has_resubmission_service=enrollment.has_resubmission_service,
        pass_mark=enrollment.pass_mark,
        today=today,
        enrollment_end_on=enrollment.enrollment_end_on,
    )
    if decision.refusal_reason is not None:
        raise submission_refusal(
            decision.refusal_reason, enrollment_end_on=enrollment.enrollment_end_on.isoformat()
        )
    _check_answers(unit, body)
    submission = ReportSubmission(
        id=uuid.uuid4(),
        enrollment_id=enrollment.id,
        unit_id=unit.id,
        attempt=len(previous) + 1,
        submitted_at=now,
        submitted_on=today,
    )
    if unit.kind is ReportUnitKind.multiple_choice:
        assert body.answers is not None
        submission.answers = list(body.answers)
        submission.status = SubmissionStatus.graded
        submission.score = multiple_choice_score(unit, body.answers)
        submission.graded_at = now
        submission.graded_on = today
    else:
        submission.essay_text = body.essay_text
        submission.status = SubmissionStatus.awaiting_grading
        submission.due_from_on, submission.due_until_on = rules.grading_due_window(today)
    session.add(submission)
    await session.flush()
    if submission.status is SubmissionStatus.graded:
        await completion.evaluate_and_store(
            session, enrollment, now=now, frontend_base_url=frontend_base_url
        )
    return submission, unit, enrollment


async def learner_units(
    session: AsyncSession, *, user: User, enrollment_id: uuid.UUID, now: datetime
) -> list[LearnerReportUnit]:
    """The course's units with what the learner has done and whether they may submit now."""
    enrollment = await own_enrollment(session, user, enrollment_id)
    units = await repository.units_of_course(session, enrollment.course_id)
    submissions = await repository.submissions_of_enrollment(session, enrollment.id)
    closed = status_refusal(enrollment)
    out = []
    for unit in units:
        state = unit_state([s for s in submissions if s.unit_id == unit.id])
        decision = rules.may_submit(
            state,
            has_resubmission_service=enrollment.has_resubmission_service,
            pass_mark=enrollment.pass_mark,
            today=jst_date(now),
            enrollment_end_on=enrollment.enrollment_end_on,
        )
        refusal = (
            closed.type
            if closed is not None
            else (
                None
                if decision.refusal_reason is None
                else submission_refusal(decision.refusal_reason).type
            )
        )
        out.append(
            LearnerReportUnit(
                id=unit.id,
                position=unit.position,
                title=unit.title,
                instructions=unit.instructions,
                kind=unit.kind,
                questions=[
                    LearnerQuestion(prompt=q["prompt"], choices=list(q["choices"]))
                    for q in unit.questions
                ],
                submission_count=state.submission_count,
                best_score=state.best_score,
                is_awaiting_grading=state.has_pending_grading,
                may_submit=refusal is None,
                refusal=refusal,
            )
        )
    return out


async def learner_submissions(
    session: AsyncSession, *, user: User, enrollment_id: uuid.UUID, page: PageParams
) -> tuple[Enrollment, list[tuple[ReportSubmission, ReportUnit]], str | None]:
    """One page of the learner's submissions, oldest first (keyset on submitted_at, id)."""
    enrollment = await own_enrollment(session, user, enrollment_id)
    submissions, next_cursor = await paginate(
        session,
        select(ReportSubmission).where(ReportSubmission.enrollment_id == enrollment.id),
        order_by=[ReportSubmission.submitted_at, ReportSubmission.id],
        descending=False,
        params=page,
    )
    units = await repository.units_by_id(session, [s.unit_id for s in submissions])
    return enrollment, [(s, units[s.unit_id]) for s in submissions], next_cursor


async def learner_submission(
    session: AsyncSession, *, user: User, enrollment_id: uuid.UUID, submission_id: uuid.UUID
) -> tuple[ReportSubmission, ReportUnit, Enrollment]:
    enrollment = await own_enrollment(session, user, enrollment_id)
    found = await repository.submission_with_context(session, submission_id)
    if found is None or found[2].id != enrollment.id:
        raise ReportSubmissionNotFound()
    return found[0], found[1], enrollment
