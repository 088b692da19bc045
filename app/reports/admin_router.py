"""Staff operations on reports: report units of a course (R-ENR-6), assigning essays to
graders, reading any submission with its grader, re-grading with a reason (R-ENR-15)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import ProblemError
from app.kit.pagination import Page
from app.kit.problems import problem_responses
from app.models import ReportUnit
from app.reports import grading, repository, units
from app.reports.auth import AppSettings, CurrentStaff
from app.reports.errors import (
    CourseNotCorrespondence,
    GraderNotFound,
    ReportAlreadyGraded,
    ReportNotEssay,
    ReportNotGraded,
    ReportSubmissionNotFound,
    ReportUnitHasSubmissions,
    ReportUnitInvalid,
    ReportUnitNotFound,
)
from app.reports.grader_router import grader_submission
from app.reports.schemas import (
    AdminReportUnit,
    AssignmentCreate,
    ChoiceQuestion,
    Regrade,
    RegradeCreate,
    ReportUnitCreate,
    ReportUnitUpdate,
    StaffSubmission,
)

router = APIRouter(prefix="/admin", tags=["admin"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def unit_out(unit: ReportUnit) -> AdminReportUnit:
    return AdminReportUnit(
        id=unit.id,
        course_id=unit.course_id,
        position=unit.position,
        title=unit.title,
        instructions=unit.instructions,
        kind=unit.kind,
        questions=[ChoiceQuestion.model_validate(q) for q in unit.questions],
    )


@router.get(
    "/courses/{course_id}/report-units",
    operation_id="admin_list_report_units",
    summary="The report units of a correspondence course, in order",
    responses=problems(CourseNotCorrespondence),
)
async def list_report_units(
    course_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> Page[AdminReportUnit]:
    found = await units.list_units(session, course_id)
    return Page[AdminReportUnit](items=[unit_out(u) for u in found], next_cursor=None)


@router.post(
    "/courses/{course_id}/report-units",
    operation_id="admin_create_report_unit",
    summary="Add a report unit (multiple choice or essay)",
    description="R-ENR-6: multiple choice is graded by the computer at once (needs questions "
    "with their correct choice); essays are graded by a grader.",
    status_code=201,
    responses=problems(CourseNotCorrespondence, ReportUnitInvalid),
)
async def create_report_unit(
    course_id: uuid.UUID,
    body: ReportUnitCreate,
    subject: CurrentStaff,
    session: DbSession,
    request: Request,
    response: Response,
) -> AdminReportUnit:
    unit = await units.create_unit(session, course_id, body)
    response.headers["Location"] = request.url_for(
        "admin_get_report_unit", unit_id=str(unit.id)
    ).path
    return unit_out(unit)


@router.get(
    "/report-units/{unit_id}",
    operation_id="admin_get_report_unit",
    name="admin_get_report_unit",
    summary="A report unit with its answer key",
    responses=problems(ReportUnitNotFound),
)
async def get_report_unit(
    unit_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> AdminReportUnit:
    return unit_out(await units.get_unit(session, unit_id))


@router.patch(
    "/report-units/{unit_id}",
    operation_id="admin_update_report_unit",
    summary="Change a report unit",
    description="Questions are frozen once the unit has a submission.",
    responses=problems(ReportUnitNotFound, ReportUnitInvalid, ReportUnitHasSubmissions),
)
async def update_report_unit(
    unit_id: uuid.UUID, body: ReportUnitUpdate, subject: CurrentStaff, session: DbSession
) -> AdminReportUnit:
    return unit_out(await units.update_unit(session, unit_id, body))


@router.delete(
    "/report-units/{unit_id}",
    operation_id="admin_delete_report_unit",
    summary="Delete a report unit without submissions",
    status_code=204,
    responses=problems(ReportUnitNotFound, ReportUnitHasSubmissions),
)
async def delete_report_unit(unit_id: uuid.UUID, subject: CurrentStaff, session: DbSession) -> None:
    await units.delete_unit(session, unit_id)


async def _staff_submission(session: DbSession, found: grading.Found) -> StaffSubmission:
    submission, unit = found[0], found[1]
    regrades = await repository.regrades_of(session, submission.id)
    return StaffSubmission(
        **grader_submission(*found).model_dump(),
        kind=unit.kind,
        answers=submission.answers,
        grader_user_id=submission.grader_user_id,
        regrades=[
            Regrade(
                reason=r.reason,
                previous_score=r.previous_score,
                new_score=r.new_score,
                staff_user_id=r.staff_user_id,
                regraded_at=r.regraded_at,
            )
            for r in regrades
        ],
    )


@router.get(
    "/report-submissions/{submission_id}",
    operation_id="admin_get_report_submission",
    summary="Any submission, with its grader and re-gradings",
    responses=problems(ReportSubmissionNotFound),
)
async def get_report_submission(
    submission_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> StaffSubmission:
    return await _staff_submission(
        session, await grading.viewable(session, subject.require_user(), submission_id)
    )


@router.post(
    "/report-submissions/{submission_id}/assignment",
    operation_id="admin_assign_report_submission",
    summary="Assign an essay to a grader",
    responses=problems(
        ReportSubmissionNotFound, ReportNotEssay, ReportAlreadyGraded, GraderNotFound
    ),
)
async def assign_report_submission(
    submission_id: uuid.UUID,
    body: AssignmentCreate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
) -> StaffSubmission:
    found = await grading.assign(session, submission_id, body.grader_user_id, now=now)
    return await _staff_submission(session, found)


@router.post(
    "/report-submissions/{submission_id}/regrade",
    operation_id="admin_regrade_report_submission",
    summary="Re-grade a graded report (company at fault), with a reason",
    description="R-ENR-15: staff only, audited (`report.regraded`); completion is evaluated "
    "again and the learner emailed the new score.",
    responses=problems(ReportSubmissionNotFound, ReportNotGraded),
)
async def regrade_report_submission(
    submission_id: uuid.UUID,
    body: RegradeCreate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> StaffSubmission:
    found = await grading.regrade(
        session,
        subject.require_user(),
        submission_id,
        body,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    return await _staff_submission(session, found)
