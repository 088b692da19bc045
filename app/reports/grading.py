"""Grading essay reports (R-ENR-6, R-ENR-14, R-ENR-15).

Assignment (the spec is silent; both ways work):

- staff assign a submission to a grader (`assign`), or
- a grader takes an unassigned one from the queue (`claim`), or simply grades it (grading an
  unassigned submission takes it). A submission assigned to another grader is refused
  (`report-assigned-to-another-grader`); staff may grade any.

A graded report is never graded again through `grade` (`report-already-graded`); only staff
re-grade, with a reason, recorded in `report_regrade` and the audit log (R-ENR-15). The learner
is emailed the score (`report_graded`) without any grader identity (R-ENR-14). Completion is
evaluated after each grading.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.auth.auth import STAFF_ROLES
from app.kit.calendar import jst_date
from app.kit.pagination import PageParams, paginate
from app.models import (
    AccountStatus,
    Course,
    Enrollment,
    ReportRegrade,
    ReportSubmission,
    ReportUnit,
    ReportUnitKind,
    Role,
    SubmissionStatus,
    User,
)
from app.notifications.service import notify_user
from app.reports import completion, repository
from app.reports.errors import (
    GraderNotFound,
    ReportAlreadyGraded,
    ReportAssignedToAnotherGrader,
    ReportNotEssay,
    ReportNotGraded,
    ReportSubmissionNotFound,
)
from app.reports.schemas import GradeCreate, RegradeCreate

REGRADED_ACTION = "report.regraded"
GRADER_ROLES = (Role.grader, *STAFF_ROLES)

Found = tuple[ReportSubmission, ReportUnit, Enrollment, Course]


def _is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


async def _found(
    session: AsyncSession, submission_id: uuid.UUID, *, for_update: bool = False
) -> Found:
    found = await repository.submission_with_context(session, submission_id, for_update=for_update)
    if found is None:
        raise ReportSubmissionNotFound()
    return found


async def queue(
    session: AsyncSession, grader: User, *, include_unassigned: bool, page: PageParams
) -> tuple[list[ReportSubmission], str | None]:
    """Essays awaiting a grade, oldest first: the grader's own (and the unassigned ones); staff
    see every one."""
    statement = repository.grading_queue(
        None if _is_staff(grader) else grader.id, include_unassigned=include_unassigned
    )
    return await paginate(
        session,
        statement,
        order_by=[ReportSubmission.submitted_at, ReportSubmission.id],
        descending=False,
        params=page,
    )


async def viewable(session: AsyncSession, grader: User, submission_id: uuid.UUID) -> Found:
    """A grader sees submissions assigned to them, unassigned ones, and those they graded."""
    found = await _found(session, submission_id)
    submission = found[0]
    if _is_staff(grader) or grader.id in (
        submission.assigned_grader_user_id,
        submission.grader_user_id,
    ):
        return found
    if submission.assigned_grader_user_id is None and submission.status is (
        SubmissionStatus.awaiting_grading
    ):
        return found
    raise ReportSubmissionNotFound()


def _take(submission: ReportSubmission, grader: User, now: datetime) -> None:
    if submission.assigned_grader_user_id not in (None, grader.id) and not _is_staff(grader):
        raise ReportAssignedToAnotherGrader()
    if submission.assigned_grader_user_id is None:
        submission.assigned_grader_user_id = grader.id
        submission.assigned_at = now


def _gradable(found: Found) -> None:
    submission, unit = found[0], found[1]
    if unit.kind is not ReportUnitKind.essay:
        raise ReportNotEssay()
    if submission.status is SubmissionStatus.graded:
        raise ReportAlreadyGraded()


async def claim(
    session: AsyncSession, grader: User, submission_id: uuid.UUID, *, now: datetime
) -> Found:
    found = await _found(session, submission_id, for_update=True)
    _gradable(found)
    _take(found[0], grader, now)
    await session.flush()
    return found


async def assign(
    session: AsyncSession, submission_id: uuid.UUID, grader_user_id: uuid.UUID, *, now: datetime
) -> Found:
    found = await _found(session, submission_id, for_update=True)
    _gradable(found)
    grader = await session.get(User, grader_user_id)
    if grader is None or grader.role not in GRADER_ROLES or grader.status != AccountStatus.active:
        raise GraderNotFound()
    found[0].assigned_grader_user_id = grader.id
    found[0].assigned_at = now
    await session.flush()
    return found


async def grade(
    session: AsyncSession,
    grader: User,
    submission_id: uuid.UUID,
    body: GradeCreate,
    *,
    now: datetime,
    frontend_base_url: str,
) -> Found:
    found = await _found(session, submission_id, for_update=True)
    _gradable(found)
    submission = found[0]
    _take(submission, grader, now)
    submission.status = SubmissionStatus.graded
    submission.score = body.score
    submission.comments = body.comments
    submission.graded_at = now
    submission.graded_on = jst_date(now)
    submission.grader_user_id = grader.id
    await session.flush()
    await _after_grading(session, found, now=now, frontend_base_url=frontend_base_url)
    return found


async def regrade(
    session: AsyncSession,
    staff: User,
    submission_id: uuid.UUID,
    body: RegradeCreate,
    *,
    now: datetime,
    frontend_base_url: str,
) -> Found:
    """R-ENR-15: staff only, with a reason; audited."""
    found = await _found(session, submission_id, for_update=True)
    submission = found[0]
    if submission.status is not SubmissionStatus.graded or submission.score is None:
        raise ReportNotGraded()
    session.add(
        ReportRegrade(
            id=uuid.uuid4(),
            submission_id=submission.id,
            staff_user_id=staff.id,
            reason=body.reason,
            previous_score=submission.score,
            new_score=body.score,
            previous_comments=submission.comments,
            new_comments=body.comments if body.comments is not None else submission.comments,
            regraded_at=now,
        )
    )
    await record_audit_event(
        session,
        action=REGRADED_ACTION,
        now=now,
        actor_user_id=staff.id,
        target_type="report_submission",
        target_id=submission.id,
        data={"reason": body.reason, "previous_score": submission.score, "new_score": body.score},
    )
    submission.score = body.score
    if body.comments is not None:
        submission.comments = body.comments
    await session.flush()
    await _after_grading(session, found, now=now, frontend_base_url=frontend_base_url)
    return found


async def _after_grading(
    session: AsyncSession, found: Found, *, now: datetime, frontend_base_url: str
) -> None:
    submission, unit, enrollment, course = found
    learner = await session.get(User, enrollment.user_id)
    assert learner is not None
    await notify_user(
        session,
        learner,
        template="report_graded",
        now=now,
        context={
            "course_title": course.title,
            "unit_title": unit.title,
            "score": submission.score,
            "report_url": f"{frontend_base_url}/me/enrollments/{enrollment.id}/report-submissions/{submission.id}",
        },
    )
    await completion.evaluate_and_store(
        session, enrollment, now=now, frontend_base_url=frontend_base_url
    )
