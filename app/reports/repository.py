"""SQL of the reports domain. Takes the session; never commits.

`own_enrollment` is the one place a learner's enrollment is read: another learner's looks
unknown (R-ENR-7 "only inside the learner's own enrollment")."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Certificate,
    CorrespondenceSettings,
    Course,
    Enrollment,
    ReportRegrade,
    ReportSubmission,
    ReportUnit,
    SubmissionStatus,
)


async def correspondence_course(
    session: AsyncSession, course_id: uuid.UUID
) -> tuple[Course, CorrespondenceSettings] | None:
    row = (
        await session.execute(
            select(Course, CorrespondenceSettings)
            .join(CorrespondenceSettings, CorrespondenceSettings.course_id == Course.id)
            .where(Course.id == course_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def units_of_course(session: AsyncSession, course_id: uuid.UUID) -> list[ReportUnit]:
    return list(
        (
            await session.scalars(
                select(ReportUnit)
                .where(ReportUnit.course_id == course_id)
                .order_by(ReportUnit.position, ReportUnit.created_at, ReportUnit.id)
            )
        ).all()
    )


async def unit(session: AsyncSession, unit_id: uuid.UUID) -> ReportUnit | None:
    return await session.get(ReportUnit, unit_id)


async def own_enrollment(
    session: AsyncSession, *, user_id: uuid.UUID, enrollment_id: uuid.UUID, for_update: bool = False
) -> Enrollment | None:
    statement = select(Enrollment).where(
        Enrollment.id == enrollment_id, Enrollment.user_id == user_id
    )
    if for_update:
        # Serializes submissions of one enrollment (R-ENR-7 under concurrency).
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def submissions_of_enrollment(
    session: AsyncSession, enrollment_id: uuid.UUID, unit_id: uuid.UUID | None = None
) -> list[ReportSubmission]:
    statement = select(ReportSubmission).where(ReportSubmission.enrollment_id == enrollment_id)
    if unit_id is not None:
        statement = statement.where(ReportSubmission.unit_id == unit_id)
    return list(
        (
            await session.scalars(
                statement.order_by(ReportSubmission.submitted_at, ReportSubmission.attempt)
            )
        ).all()
    )


async def submission_with_context(
    session: AsyncSession, submission_id: uuid.UUID, *, for_update: bool = False
) -> tuple[ReportSubmission, ReportUnit, Enrollment, Course] | None:
    statement = (
        select(ReportSubmission, ReportUnit, Enrollment, Course)
        .join(ReportUnit, ReportUnit.id == ReportSubmission.unit_id)
        .join(Enrollment, Enrollment.id == ReportSubmission.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(ReportSubmission.id == submission_id)
    )
    if for_update:
        statement = statement.with_for_update(of=ReportSubmission)
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


async def submissions_with_context(
    session: AsyncSession, submission_ids: Sequence[uuid.UUID]
) -> list[tuple[ReportSubmission, ReportUnit, Enrollment, Course]]:
    """`submission_with_context` for a page of submissions in one statement, in the given order."""
    if not submission_ids:
        return []
    rows = await session.execute(
        select(ReportSubmission, ReportUnit, Enrollment, Course)
        .join(ReportUnit, ReportUnit.id == ReportSubmission.unit_id)
        .join(Enrollment, Enrollment.id == ReportSubmission.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(ReportSubmission.id.in_(submission_ids))
    )
    found = {row[0].id: (row[0], row[1], row[2], row[3]) for row in rows}
    return [found[submission_id] for submission_id in submission_ids if submission_id in found]


def grading_queue(
    grader_user_id: uuid.UUID | None, *, include_unassigned: bool
) -> Select[ReportSubmission]:
    """Essays awaiting a grade: assigned to `grader_user_id` (all assigned ones when None), plus
    the unassigned ones when asked. Order is the caller's (oldest first)."""
    statement = select(ReportSubmission).where(
        ReportSubmission.status == SubmissionStatus.awaiting_grading
    )
    if grader_user_id is None:
        return statement
    mine = ReportSubmission.assigned_grader_user_id == grader_user_id
    if include_unassigned:
        return statement.where(mine | ReportSubmission.assigned_grader_user_id.is_(None))
    return statement.where(mine)


async def units_by_id(
    session: AsyncSession, unit_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ReportUnit]:
    if not unit_ids:
        return {}
    rows = await session.scalars(select(ReportUnit).where(ReportUnit.id.in_(set(unit_ids))))
    return {row.id: row for row in rows}


async def regrades_of(session: AsyncSession, submission_id: uuid.UUID) -> list[ReportRegrade]:
    return list(
        (
            await session.scalars(
                select(ReportRegrade)
                .where(ReportRegrade.submission_id == submission_id)
                .order_by(ReportRegrade.regraded_at)
            )
        ).all()
    )


async def certificate_of_enrollment(
    session: AsyncSession, enrollment_id: uuid.UUID
) -> Certificate | None:
    return (
        await session.scalars(select(Certificate).where(Certificate.enrollment_id == enrollment_id))
    ).one_or_none()
