"""The grading queue for graders (添削者), staff and admins (R-ENR-6, R-ENR-14, R-ENR-15).

- `GET /grader/report-submissions`: essays awaiting a grade, oldest first — the grader's own
  and (`include_unassigned`, default true) the unassigned ones; staff see all.
- `POST …/{id}/claim` takes an unassigned one; `POST …/{id}/grade` grades it (score 0–100,
  comments) and emails the learner (without the grader's identity). A graded report is
  `report-already-graded`: re-grading is staff-only (`/admin/report-submissions/{id}/regrade`).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery
from app.kit.problems import problem_responses
from app.models import Course, Enrollment, ReportSubmission, ReportUnit
from app.reports import grading, repository
from app.reports.auth import AppSettings, CurrentGrader
from app.reports.errors import (
    ReportAlreadyGraded,
    ReportAssignedToAnotherGrader,
    ReportNotEssay,
    ReportSubmissionNotFound,
)
from app.reports.schemas import GradeCreate, GraderSubmission

router = APIRouter(prefix="/grader", tags=["reports"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def grader_submission(
    submission: ReportSubmission, unit: ReportUnit, enrollment: Enrollment, course: Course
) -> GraderSubmission:
    return GraderSubmission(
        id=submission.id,
        enrollment_id=enrollment.id,
        unit_id=unit.id,
        unit_title=unit.title,
        course_title=course.title,
        attempt=submission.attempt,
        submitted_at=submission.submitted_at,
        due_until_on=submission.due_until_on,
        status=submission.status,
        instructions=unit.instructions,
        essay_text=submission.essay_text,
        assigned_grader_user_id=submission.assigned_grader_user_id,
        score=submission.score,
        comments=submission.comments,
        graded_at=submission.graded_at,
    )


@router.get(
    "/report-submissions",
    operation_id="reports_list_grading_queue",
    summary="Essays waiting for a grade",
    description="Oldest first: yours and, with `include_unassigned`, the unassigned ones "
    "(staff: all). Graded within 10–20 days of receipt (R-ENR-6).",
    responses=problems(InvalidCursor),
)
async def list_grading_queue(
    subject: CurrentGrader, session: DbSession, page: PageQuery, include_unassigned: bool = True
) -> Page[GraderSubmission]:
    found, next_cursor = await grading.queue(
        session, subject.require_user(), include_unassigned=include_unassigned, page=page
    )
    rows = await repository.submissions_with_context(session, [row.id for row in found])
    return Page[GraderSubmission](
        items=[grader_submission(*row) for row in rows], next_cursor=next_cursor
    )


@router.get(
    "/report-submissions/{submission_id}",
    operation_id="reports_get_grader_submission",
    summary="Read a submission to grade",
    responses=problems(ReportSubmissionNotFound),
)
async def get_grader_submission(
    submission_id: uuid.UUID, subject: CurrentGrader, session: DbSession
) -> GraderSubmission:
    return grader_submission(
        *await grading.viewable(session, subject.require_user(), submission_id)
    )


@router.post(
    "/report-submissions/{submission_id}/claim",
    operation_id="reports_claim_submission",
    summary="Take an unassigned essay from the queue",
    responses=problems(
        ReportSubmissionNotFound, ReportNotEssay, ReportAlreadyGraded, ReportAssignedToAnotherGrader
    ),
)
async def claim_submission(
    submission_id: uuid.UUID, subject: CurrentGrader, session: DbSession, now: Now
) -> GraderSubmission:
    return grader_submission(
        *await grading.claim(session, subject.require_user(), submission_id, now=now)
    )


@router.post(
    "/report-submissions/{submission_id}/grade",
    operation_id="reports_grade_submission",
    summary="Grade an essay (score and comments)",
    description="Once: a graded report is `report-already-graded` (R-ENR-15). The learner is "
    "emailed the score without the grader's identity (R-ENR-14); completion is evaluated "
    "(R-ENR-9, R-ENR-10).",
    responses=problems(
        ReportSubmissionNotFound, ReportNotEssay, ReportAlreadyGraded, ReportAssignedToAnotherGrader
    ),
)
async def grade_submission(
    submission_id: uuid.UUID,
    body: GradeCreate,
    subject: CurrentGrader,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> GraderSubmission:
    found = await grading.grade(
        session,
        subject.require_user(),
        submission_id,
        body,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    return grader_submission(*found)
