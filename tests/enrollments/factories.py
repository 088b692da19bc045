"""Test data for correspondence courses: a course with its settings, an enrollment whose dates
come from the pure rules (R-ENR-1, R-ENR-3, R-ENR-4)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.enrollments import rules
from app.models import (
    ApplicationChannel,
    CorrespondenceSettings,
    Course,
    CourseProgram,
    Enrollment,
    EnrollmentStatus,
    User,
)
from tests.factories import make_course


async def make_correspondence_course(
    session: AsyncSession,
    *,
    title: str = "人事労務コース",
    standard_period_months: int = 3,
    enrollment_multiplier: int = 2,
    same_month_start: bool = False,
    has_certificate: bool = True,
    offers_resubmission_service: bool = True,
    has_question_service: bool = True,
    question_quota: int = 6,
    allows_re_enrollment: bool = True,
    allows_leave: bool = True,
) -> tuple[Course, CorrespondenceSettings]:
    course = await make_course(
        session, title=title, program=CourseProgram.correspondence, is_membership_content=False
    )
    settings = CorrespondenceSettings(
        id=uuid.uuid4(),
        course_id=course.id,
        standard_period_months=standard_period_months,
        enrollment_multiplier=enrollment_multiplier,
        same_month_start=same_month_start,
        has_certificate=has_certificate,
        offers_resubmission_service=offers_resubmission_service,
        has_question_service=has_question_service,
        question_quota=question_quota,
        allows_re_enrollment=allows_re_enrollment,
        allows_leave=allows_leave,
        fee_jpy=0,
    )
    session.add(settings)
    await session.flush()
    return course, settings


async def make_enrollment(
    session: AsyncSession,
    user: User,
    course: Course,
    settings: CorrespondenceSettings,
    *,
    accepted_on: date,
    status: EnrollmentStatus = EnrollmentStatus.active,
    has_resubmission_service: bool = False,
    delivered_on: date | None = None,
    organization_id: uuid.UUID | None = None,
) -> Enrollment:
    start = rules.start_on(accepted_on, same_month_start=settings.same_month_start)
    end = rules.enrollment_end_on(
        start, settings.standard_period_months, settings.enrollment_multiplier
    )
    enrollment = Enrollment(
        id=uuid.uuid4(),
        user_id=user.id,
        course_id=course.id,
        organization_id=organization_id,
        channel=ApplicationChannel.individual,
        status=status,
        accepted_on=accepted_on,
        start_on=start,
        enrollment_end_on=end,
        original_end_on=end,
        excellent_deadline_on=rules.excellent_deadline_on(
            start, settings.standard_period_months, enrollment_end_on=end
        ),
        has_resubmission_service=has_resubmission_service,
        question_quota=settings.question_quota,
        delivered_on=delivered_on,
    )
    session.add(enrollment)
    await session.flush()
    return enrollment
