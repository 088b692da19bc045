"""Enrollment use cases: course settings, applications, reads, shipping, cancellation, returns.

R-ENR-1 start date, R-ENR-2 shipping (expected ship-by shown; staff record shipment and
delivery), R-ENR-3/4 enrollment end and excellent deadline, R-ENR-5 cancellation (until 8 days
after delivery; later only staff, company at fault, with a reason, audited), R-ENR-12 the
resubmission service is chosen at application only, R-QST-6 staff confirm a return, R-B2B-12
recipients for organization applications. Re-enrollment lives in `re_enrollment.py`, leave of
absence in `leave.py`, reminders in `reminders.py`. Accepting, cancelling and confirming a return
email the learner (and an organization's training manager) in the same transaction
(`emails.py`), with links under the caller's `frontend_base_url`.

Decisions where the task was silent:

- Completion thresholds (R-ENR-11) are the organization's where it set them
  (`organization_thresholds`), the defaults otherwise, snapshotted into the enrollment at
  application so a later change does not move a running enrollment.
- An enrollment is `applied` until its materials are recorded as delivered, then `active`.
- The enrollment's grant (`GrantSource.enrollment`, `source_ref` = the enrollment id) opens the
  course from the start of `start_on` (JST) to the start of the day after the enrollment end.
- Cancelling ends the grant at the cancellation instant; confirming a return ends it at the start
  of the day after the return (R-QST-6: no questions from the next day).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.auth.authenticator import Subject
from app.content.errors import CourseNotFound
from app.enrollments import emails, repository, rules
from app.enrollments.errors import (
    CancellationPeriodOver,
    CancellationReasonRequired,
    CorrespondenceSettingsNotFound,
    DeliveryDatesInvalid,
    EnrollmentAlreadyExists,
    EnrollmentNotFound,
    EnrollmentNotLive,
    LearnerNotFound,
    NotCorrespondenceCourse,
    ResubmissionServiceNotOffered,
    ReturnDateInvalid,
)
from app.enrollments.repository import LIVE_STATUSES, Reader
from app.enrollments.schemas import (
    CorrespondenceSettingsIn,
    EnrollmentOut,
    OrganizationEnrollmentCreate,
)
from app.entitlements.service import end_grants, grant
from app.kit.calendar import jst_date, jst_start_of_day
from app.kit.request_context import ClientInfo
from app.models.content import Course, CourseProgram
from app.models.enrollment import (
    ApplicationChannel,
    CorrespondenceSettings,
    Enrollment,
    EnrollmentStatus,
    Recipient,
)
from app.models.entitlement import GrantScope, GrantSource
from app.models.payment import PaymentOrder
from app.models.user import AccountStatus, Organization, Role, User

AUDIT_TARGET = "enrollment"


def grant_window(start_on: date, end_on: date) -> tuple[datetime, datetime]:
    """The enrollment grant's window: start of `start_on` to the start of the day after the end."""
    return jst_start_of_day(start_on), jst_start_of_day(end_on + timedelta(days=1))


async def _thresholds_for(
    session: AsyncSession, organization_id: uuid.UUID | None
) -> rules.CompletionThresholds:
    """R-ENR-11: the organization's own thresholds where it set them, the defaults elsewhere."""
    if organization_id is None:
        return rules.DEFAULT_THRESHOLDS
    organization = await session.get(Organization, organization_id)
    if organization is None:
        return rules.DEFAULT_THRESHOLDS
    return organization_thresholds(organization)


def organization_thresholds(organization: Organization) -> rules.CompletionThresholds:
    default = rules.DEFAULT_THRESHOLDS
    return rules.CompletionThresholds(
        pass_average=_or(organization.completion_pass_average, default.pass_average),
        excellent_average=_or(organization.completion_excellent_average, default.excellent_average),
        excellent_minimum=_or(organization.completion_excellent_minimum, default.excellent_minimum),
        pass_mark=_or(organization.resubmission_pass_mark, default.pass_mark),
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


# --- Course settings ----------------------------------------------------------------------------


async def _correspondence_course(session: AsyncSession, course_id: uuid.UUID) -> Course:
    course = await session.get(Course, course_id)
    if course is None:
        raise CourseNotFound()
    if course.program is not CourseProgram.correspondence:
        raise NotCorrespondenceCourse()
    return course


async def get_settings(session: AsyncSession, course_id: uuid.UUID) -> CorrespondenceSettings:
    await _correspondence_course(session, course_id)
    row = await repository.settings_for_course(session, course_id)
    if row is None:
        raise CorrespondenceSettingsNotFound()
    return row


async def put_settings(
    session: AsyncSession,
    *,
    course_id: uuid.UUID,
    values: CorrespondenceSettingsIn,
    actor_id: uuid.UUID | None,
    now: datetime,
    client: ClientInfo | None = None,
) -> CorrespondenceSettings:
    """Create or replace a correspondence course's settings. Running enrollments keep their
    stored dates and quota (they were computed at application)."""
    await _correspondence_course(session, course_id)
    row = await repository.settings_for_course(session, course_id)
    if row is None:
        row = CorrespondenceSettings(id=uuid.uuid4(), course_id=course_id)
        session.add(row)
    for name, value in values.model_dump().items():
        setattr(row, name, value)
    await session.flush()
    await record_audit_event(
        session,
        action="enrollment.settings_changed",
        now=now,
        actor_user_id=actor_id,
        target_type="course",
        target_id=course_id,
        client=client,
        data=values.model_dump(),
    )
    return row


# --- Applications (R-ENR-1 … R-ENR-4) -------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    user_id: uuid.UUID
    course_id: uuid.UUID
    has_resubmission_service: bool
    channel: ApplicationChannel
    accepted_on: date
    applied_by_user_id: uuid.UUID | None
    organization_id: uuid.UUID | None = None
    recipient: Recipient = Recipient.learner
    training_manager_user_id: uuid.UUID | None = None
    department_manager_user_id: uuid.UUID | None = None


async def apply(
    session: AsyncSession, application: Application, *, now: datetime, frontend_base_url: str
) -> tuple[Enrollment, CorrespondenceSettings]:
    """Accept an application: dates from the rules, thresholds snapshot, the course's grant,
    the `enrollment_accepted` email."""
    settings = await get_settings(session, application.course_id)
    if application.has_resubmission_service and not settings.offers_resubmission_service:
        raise ResubmissionServiceNotOffered(
            errors={"body.has_resubmission_service": ["not_offered"]}
        )
    await repository.lock_learner_course(session, application.user_id, application.course_id)
    live = await repository.live_enrollment(
        session, application.user_id, application.course_id, jst_date(now)
    )
    if live is not None:
        raise EnrollmentAlreadyExists(extensions={"enrollment_id": str(live.id)})

    start = rules.start_on(application.accepted_on, same_month_start=settings.same_month_start)
    end = rules.enrollment_end_on(
        start, settings.standard_period_months, settings.enrollment_multiplier
    )
    thresholds = await _thresholds_for(session, application.organization_id)
    enrollment = Enrollment(
        id=uuid.uuid4(),
        user_id=application.user_id,
        course_id=application.course_id,
        organization_id=application.organization_id,
        channel=application.channel,
        applied_by_user_id=application.applied_by_user_id,
        status=EnrollmentStatus.applied,
        accepted_on=application.accepted_on,
        start_on=start,
        enrollment_end_on=end,
        original_end_on=end,
        excellent_deadline_on=rules.excellent_deadline_on(
            start, settings.standard_period_months, enrollment_end_on=end
        ),
        has_resubmission_service=application.has_resubmission_service,
        pass_average=thresholds.pass_average,
        excellent_average=thresholds.excellent_average,
        excellent_minimum=thresholds.excellent_minimum,
        pass_mark=thresholds.pass_mark,
        question_quota=settings.question_quota,
        recipient=application.recipient,
        training_manager_user_id=application.training_manager_user_id,
        department_manager_user_id=application.department_manager_user_id,
        leave_months=0,
        created_at=now,
    )
    session.add(enrollment)
    await session.flush()
    await open_grant(session, enrollment, granted_by_user_id=application.applied_by_user_id)
    await emails.enrollment_accepted(
        session,
        enrollment,
        same_month_start=settings.same_month_start,
        now=now,
        frontend_base_url=frontend_base_url,
    )
    return enrollment, settings


async def open_grant(
    session: AsyncSession, enrollment: Enrollment, *, granted_by_user_id: uuid.UUID | None
) -> None:
    valid_from, valid_until = grant_window(enrollment.start_on, enrollment.enrollment_end_on)
    await grant(
        session,
        user_id=enrollment.user_id,
        scope=GrantScope.course,
        course_id=enrollment.course_id,
        source=GrantSource.enrollment,
        source_ref=str(enrollment.id),
        valid_from=valid_from,
        valid_until=valid_until,
        reason=f"enrollment {enrollment.id}",
        granted_by_user_id=granted_by_user_id,
    )


async def _active_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None or user.status is not AccountStatus.active:
        raise LearnerNotFound()
    return user


async def staff_application(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    has_resubmission_service: bool,
    accepted_on: date | None,
    actor_id: uuid.UUID | None,
    now: datetime,
    frontend_base_url: str,
) -> tuple[Enrollment, CorrespondenceSettings]:
    learner = await _active_user(session, user_id)
    return await apply(
        session,
        Application(
            user_id=learner.id,
            course_id=course_id,
            has_resubmission_service=has_resubmission_service,
            channel=ApplicationChannel.staff,
            accepted_on=accepted_on or jst_date(now),
            applied_by_user_id=actor_id,
            organization_id=learner.organization_id,
        ),
        now=now,
        frontend_base_url=frontend_base_url,
    )


async def organization_application(
    session: AsyncSession,
    *,
    caller: Subject,
    body: OrganizationEnrollmentCreate,
    now: datetime,
    frontend_base_url: str,
) -> tuple[Enrollment, CorrespondenceSettings]:
    """An org_admin applies for a learner of their own organization (R-B2B-12 recipients)."""
    caller_user = caller.require_user()
    organization_id = caller_user.organization_id
    learner = await session.get(User, body.user_id)
    if organization_id is None or learner is None or learner.organization_id != organization_id:
        raise LearnerNotFound()
    for manager_id in (body.training_manager_user_id, body.department_manager_user_id):
        if manager_id is None:
            continue
        manager = await session.get(User, manager_id)
        if manager is None or manager.organization_id != organization_id:
            raise LearnerNotFound(errors={"body": ["manager_not_in_organization"]})
    return await apply(
        session,
        Application(
            user_id=learner.id,
            course_id=body.course_id,
            has_resubmission_service=body.has_resubmission_service,
            channel=ApplicationChannel.organization,
            accepted_on=jst_date(now),
            applied_by_user_id=caller_user.id,
            organization_id=organization_id,
            recipient=body.recipient,
            training_manager_user_id=body.training_manager_user_id or caller_user.id,
            department_manager_user_id=body.department_manager_user_id,
        ),
        now=now,
        frontend_base_url=frontend_base_url,
    )


# --- Reads ---------------------------------------------------------------------------------------


def reader_for(subject: Subject) -> Reader:
    """The caller's view: staff/admin all, org_admin their organization, anyone else their own."""
    user = subject.require_user()
    if user.role in (Role.staff, Role.admin):
        return Reader.staff()
    if user.role is Role.org_admin:
        return Reader.organization(user.organization_id)
    return Reader.learner(user.id)


async def get_enrollment(
    session: AsyncSession, reader: Reader, enrollment_id: uuid.UUID, *, for_update: bool = False
) -> Enrollment:
    row = await repository.get_readable(session, reader, enrollment_id, for_update=for_update)
    if row is None:
        raise EnrollmentNotFound()
    return row


async def present(session: AsyncSession, rows: Sequence[Enrollment]) -> list[EnrollmentOut]:
    """Rows as the API shows them, with their course settings and fee orders loaded in bulk."""
    course_ids = {row.course_id for row in rows}
    order_ids = {row.order_id for row in rows if row.order_id is not None}
    same_month: dict[uuid.UUID, bool] = {}
    if course_ids:
        result = await session.execute(
            select(CorrespondenceSettings.course_id, CorrespondenceSettings.same_month_start).where(
                CorrespondenceSettings.course_id.in_(course_ids)
            )
        )
        same_month = {course_id: flag for course_id, flag in result.all()}
    orders: dict[uuid.UUID, PaymentOrder] = {}
    if order_ids:
        found = await session.scalars(select(PaymentOrder).where(PaymentOrder.id.in_(order_ids)))
        orders = {order.id: order for order in found}
    return [
        EnrollmentOut.of(
            row,
            same_month_start=same_month.get(row.course_id, False),
            order=orders.get(row.order_id) if row.order_id else None,
        )
        for row in rows
    ]


# --- Shipping (R-ENR-2) -------------------------------------------------------------------------


async def record_shipping(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    shipped_on: date | None,
    delivered_on: date | None,
    fields_set: set[str],
    actor_id: uuid.UUID | None,
    now: datetime,
) -> Enrollment:
    enrollment = await get_enrollment(session, Reader.staff(), enrollment_id, for_update=True)
    if enrollment.status not in LIVE_STATUSES:
        raise EnrollmentNotLive(status=enrollment.status.value)
    shipped = shipped_on if "shipped_on" in fields_set else enrollment.shipped_on
    delivered = delivered_on if "delivered_on" in fields_set else enrollment.delivered_on
    today = jst_date(now)
    ordered = [day for day in (enrollment.accepted_on, shipped, delivered) if day is not None]
    if ordered != sorted(ordered) or any(day > today for day in ordered[1:]):
        raise DeliveryDatesInvalid()
    if delivered is not None and shipped is None:
        raise DeliveryDatesInvalid()
    enrollment.shipped_on, enrollment.delivered_on = shipped, delivered
    if delivered is not None and enrollment.status is EnrollmentStatus.applied:
        enrollment.status = EnrollmentStatus.active
    await session.flush()
    await record_audit_event(
        session,
        action="enrollment.shipping_recorded",
        now=now,
        actor_user_id=actor_id,
        target_type=AUDIT_TARGET,
        target_id=enrollment.id,
        data={"shipped_on": str(shipped), "delivered_on": str(delivered)},
    )
    return enrollment


# --- Cancellation (R-ENR-5) and returns (R-QST-6) ---------------------------------------------------


async def cancel(
    session: AsyncSession,
    *,
    reader: Reader,
    enrollment_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    company_at_fault: bool,
    reason: str | None,
    now: datetime,
    frontend_base_url: str,
    client: ClientInfo | None = None,
) -> Enrollment:
    """Cancel until delivery + 8 days; later only staff with `company_at_fault` and a reason."""
    enrollment = await get_enrollment(session, reader, enrollment_id, for_update=True)
    if enrollment.status not in LIVE_STATUSES:
        raise EnrollmentNotLive(status=enrollment.status.value)
    at_fault = company_at_fault and reader.is_staff
    if at_fault and not (reason and reason.strip()):
        raise CancellationReasonRequired(errors={"body.reason": ["required"]})
    decision = rules.may_cancel(enrollment.delivered_on, jst_date(now), company_at_fault=at_fault)
    if not decision.is_allowed:
        assert enrollment.delivered_on is not None
        deadline = rules.cancellation_deadline_on(enrollment.delivered_on)
        raise CancellationPeriodOver(
            deadline=deadline.isoformat(),
            extensions={"cancellation_deadline_on": deadline.isoformat()},
        )
    enrollment.status = EnrollmentStatus.cancelled
    enrollment.cancelled_at = now
    enrollment.cancel_reason = reason.strip() if reason else None
    await end_grants(
        session, source=GrantSource.enrollment, source_ref=str(enrollment.id), ends_at=now
    )
    await session.flush()
    await record_audit_event(
        session,
        action="enrollment.cancelled",
        now=now,
        actor_user_id=actor_id,
        target_type=AUDIT_TARGET,
        target_id=enrollment.id,
        client=client,
        data={
            "company_at_fault": at_fault,
            "reason": enrollment.cancel_reason,
            "delivered_on": str(enrollment.delivered_on),
        },
    )
    await emails.enrollment_cancelled(
        session,
        enrollment,
        company_at_fault=at_fault,
        now=now,
        frontend_base_url=frontend_base_url,
    )
    return enrollment


async def confirm_return(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    returned_on: date | None,
    actor_id: uuid.UUID | None,
    now: datetime,
    frontend_base_url: str,
    client: ClientInfo | None = None,
) -> Enrollment:
    """Staff confirm the materials came back (R-QST-6): status `returned`, access (and so the
    question channel) ends at the start of the next day."""
    enrollment = await get_enrollment(session, Reader.staff(), enrollment_id, for_update=True)
    if enrollment.status not in (*LIVE_STATUSES, EnrollmentStatus.cancelled):
        raise EnrollmentNotLive(status=enrollment.status.value)
    today = jst_date(now)
    day = returned_on or today
    if day < enrollment.accepted_on or day > today:
        raise ReturnDateInvalid(errors={"body.returned_on": ["out_of_range"]})
    enrollment.status = EnrollmentStatus.returned
    enrollment.returned_on = day
    await end_grants(
        session,
        source=GrantSource.enrollment,
        source_ref=str(enrollment.id),
        ends_at=jst_start_of_day(day + timedelta(days=1)),
    )
    await session.flush()
    await record_audit_event(
        session,
        action="enrollment.returned",
        now=now,
        actor_user_id=actor_id,
        target_type=AUDIT_TARGET,
        target_id=enrollment.id,
        client=client,
        data={"returned_on": day.isoformat()},
    )
    await emails.enrollment_returned(
        session, enrollment, now=now, frontend_base_url=frontend_base_url
    )
    return enrollment


async def close_ended(session: AsyncSession, *, today: date, limit: int = 500) -> int:
    """Live enrollments past their end become `ended` (completion is the reports package's)."""
    rows = (await session.scalars(repository.past_end(today, limit))).all()
    for row in rows:
        row.status = EnrollmentStatus.ended
    await session.flush()
    return len(rows)
