"""Staff enrollment API (`/admin/...`): course settings, applications, shipping, cancellation with
company fault, returns, re-enrollment, leave of absence. R-ENR-1…5, R-ENR-16, R-ENR-17, R-QST-6.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from app.auth.auth import CurrentStaff
from app.content.errors import CourseNotFound
from app.db import DbSession
from app.enrollments import leave, re_enrollment, service
from app.enrollments.errors import (
    CancellationPeriodOver,
    CancellationReasonRequired,
    CorrespondenceSettingsNotFound,
    DeliveryDatesInvalid,
    EnrollmentNotFound,
    EnrollmentNotLive,
    LearnerNotFound,
    LeaveNotPending,
    NotCorrespondenceCourse,
    ReturnDateInvalid,
)
from app.enrollments.repository import (
    LeaveState,
    Reader,
    ShippingState,
    leave_filter,
    readable_by,
    shipping_filter,
)
from app.enrollments.router import (
    APPLY_ERRORS,
    COMPLETE_ERRORS,
    LEAVE_ERRORS,
    ORDER,
    RE_ENROLL_ERRORS,
    AppSettings,
    leave_from_request,
    leave_openapi,
    one,
    start_re_enrollment,
)
from app.enrollments.schemas import (
    CancellationIn,
    CorrespondenceSettingsIn,
    CorrespondenceSettingsOut,
    EnrollmentOut,
    ReEnrollmentPaymentIn,
    ReturnIn,
    ShippingUpdate,
    StaffEnrollmentCreate,
)
from app.kit.clock import Now
from app.kit.errors import InvalidCursor
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.pagination import Page, PageQuery, paginate
from app.kit.request_context import Client
from app.media.deps import MediaStorage
from app.models.enrollment import CompletionStatus, Enrollment, EnrollmentStatus
from app.payments.deps import Provider
from app.payments.purchases.openapi import created, problems

router = APIRouter(prefix="/admin", tags=["admin"])
ADMIN = "/api/v1/admin/enrollments"


@router.get(
    "/courses/{course_id}/correspondence-settings",
    operation_id="admin_get_correspondence_settings",
    summary="A correspondence course's settings",
    responses=problems(CourseNotFound, NotCorrespondenceCourse, CorrespondenceSettingsNotFound),
)
async def get_correspondence_settings(
    course_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> CorrespondenceSettingsOut:
    return CorrespondenceSettingsOut.of(await service.get_settings(session, course_id))


@router.put(
    "/courses/{course_id}/correspondence-settings",
    operation_id="admin_put_correspondence_settings",
    summary="Set a correspondence course's settings",
    description="Standard period P and multiplier (R-ENR-3), same-month start (R-ENR-1), "
    "certificate, resubmission service (R-ENR-12), question service and quota (R-QST-3), "
    "re-enrollment (R-ENR-16) and leave (R-ENR-17) allowed, fee. Audited. Running enrollments "
    "keep their dates.",
    responses=problems(CourseNotFound, NotCorrespondenceCourse),
)
async def put_correspondence_settings(
    course_id: uuid.UUID,
    body: CorrespondenceSettingsIn,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
) -> CorrespondenceSettingsOut:
    row = await service.put_settings(
        session,
        course_id=course_id,
        values=body,
        actor_id=subject.require_user().id,
        now=now,
        client=client,
    )
    return CorrespondenceSettingsOut.of(row)


@router.post(
    "/enrollments",
    operation_id="admin_create_enrollment",
    summary="Enter an application for a learner",
    description="Postal or phone applications (channel `staff`); `accepted_on` defaults to today "
    "(JST). Dates by R-ENR-1/3/4.",
    status_code=201,
    responses=created(*IDEMPOTENCY_ERRORS, LearnerNotFound, *APPLY_ERRORS),
)
@idempotent(status_code=201)
async def create_enrollment(
    body: StaffEnrollmentCreate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    response: Response,
) -> EnrollmentOut:
    row, _ = await service.staff_application(
        session,
        user_id=body.user_id,
        course_id=body.course_id,
        has_resubmission_service=body.has_resubmission_service,
        accepted_on=body.accepted_on,
        actor_id=subject.require_user().id,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    response.headers["Location"] = f"{ADMIN}/{row.id}"
    return await one(session, row)


@router.get(
    "/enrollments",
    operation_id="admin_list_enrollments",
    summary="List enrollments",
    description="Filters: learner, course, organization, status, completion status, and the "
    "staff worklists: `shipping=awaiting_shipment` (materials to send; re-enrollments ship "
    "nothing) or `awaiting_delivery` (R-ENR-2), `leave=pending` (training managers' leave "
    "requests waiting for a decision) or `granted` (R-ENR-17). Newest first.",
    responses=problems(InvalidCursor),
)
async def list_enrollments(
    subject: CurrentStaff,
    session: DbSession,
    page: PageQuery,
    user_id: Annotated[uuid.UUID | None, Query()] = None,
    course_id: Annotated[uuid.UUID | None, Query()] = None,
    organization_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[EnrollmentStatus | None, Query()] = None,
    completion_status: Annotated[CompletionStatus | None, Query()] = None,
    shipping: Annotated[ShippingState | None, Query()] = None,
    leave_state: Annotated[LeaveState | None, Query(alias="leave")] = None,
) -> Page[EnrollmentOut]:
    statement = readable_by(Reader.staff())
    if user_id is not None:
        statement = statement.where(Enrollment.user_id == user_id)
    if course_id is not None:
        statement = statement.where(Enrollment.course_id == course_id)
    if organization_id is not None:
        statement = statement.where(Enrollment.organization_id == organization_id)
    if status is not None:
        statement = statement.where(Enrollment.status == status)
    if completion_status is not None:
        statement = statement.where(Enrollment.completion_status == completion_status)
    if shipping is not None:
        statement = statement.where(shipping_filter(shipping))
    if leave_state is not None:
        statement = statement.where(leave_filter(leave_state))
    rows, next_cursor = await paginate(
        session, statement, order_by=ORDER, descending=True, params=page
    )
    return Page[EnrollmentOut](items=await service.present(session, rows), next_cursor=next_cursor)


@router.get(
    "/enrollments/{enrollment_id}",
    operation_id="admin_get_enrollment",
    summary="One enrollment",
    responses=problems(EnrollmentNotFound),
)
async def get_enrollment(
    enrollment_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> EnrollmentOut:
    return await one(session, await service.get_enrollment(session, Reader.staff(), enrollment_id))


@router.patch(
    "/enrollments/{enrollment_id}/shipping",
    operation_id="admin_update_enrollment_shipping",
    summary="Record shipment and delivery of the materials",
    description="R-ENR-2. Delivery starts the 8-day cancellation window (R-ENR-5) and makes an "
    "applied enrollment active.",
    responses=problems(EnrollmentNotFound, EnrollmentNotLive, DeliveryDatesInvalid),
)
async def update_enrollment_shipping(
    enrollment_id: uuid.UUID,
    body: ShippingUpdate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
) -> EnrollmentOut:
    row = await service.record_shipping(
        session,
        enrollment_id=enrollment_id,
        shipped_on=body.shipped_on,
        delivered_on=body.delivered_on,
        fields_set=set(body.model_fields_set),
        actor_id=subject.require_user().id,
        now=now,
    )
    return await one(session, row)


@router.post(
    "/enrollments/{enrollment_id}/cancel",
    operation_id="admin_cancel_enrollment",
    summary="Cancel an application",
    description="Until 8 days after delivery; later only with `company_at_fault` and a reason "
    "(R-ENR-5). Audited. Access to the course ends.",
    responses=problems(
        EnrollmentNotFound, EnrollmentNotLive, CancellationPeriodOver, CancellationReasonRequired
    ),
)
async def cancel_enrollment(
    enrollment_id: uuid.UUID,
    body: CancellationIn,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    client: Client,
) -> EnrollmentOut:
    row = await service.cancel(
        session,
        reader=Reader.staff(),
        enrollment_id=enrollment_id,
        actor_id=subject.require_user().id,
        company_at_fault=body.company_at_fault,
        reason=body.reason,
        now=now,
        frontend_base_url=settings.frontend_base_url,
        client=client,
    )
    return await one(session, row)


@router.post(
    "/enrollments/{enrollment_id}/return",
    operation_id="admin_confirm_enrollment_return",
    summary="Confirm a returned course",
    description="No questions from the day after the return is confirmed (R-QST-6). Audited.",
    responses=problems(EnrollmentNotFound, EnrollmentNotLive, ReturnDateInvalid),
)
async def confirm_enrollment_return(
    enrollment_id: uuid.UUID,
    body: ReturnIn,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    client: Client,
) -> EnrollmentOut:
    row = await service.confirm_return(
        session,
        enrollment_id=enrollment_id,
        returned_on=body.returned_on,
        actor_id=subject.require_user().id,
        now=now,
        frontend_base_url=settings.frontend_base_url,
        client=client,
    )
    return await one(session, row)


@router.post(
    "/enrollments/{enrollment_id}/re-enrollment",
    operation_id="admin_create_re_enrollment",
    summary="Re-enroll a learner (staff)",
    description="As the learner's own request (R-ENR-16); the order is the learner's.",
    status_code=201,
    responses=created(*IDEMPOTENCY_ERRORS, *RE_ENROLL_ERRORS),
)
@idempotent(status_code=201)
async def create_re_enrollment(
    enrollment_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    provider: Provider,
    request: Request,
    response: Response,
) -> EnrollmentOut:
    return await start_re_enrollment(
        session,
        provider,
        Reader.staff(),
        subject,
        enrollment_id,
        request,
        response,
        now,
        location_prefix=ADMIN,
    )


@router.post(
    "/enrollments/{enrollment_id}/complete-payment",
    operation_id="admin_complete_re_enrollment_payment",
    summary="Complete a re-enrollment fee payment (staff)",
    responses=problems(*COMPLETE_ERRORS),
)
async def complete_re_enrollment_payment(
    enrollment_id: uuid.UUID,
    body: ReEnrollmentPaymentIn,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    provider: Provider,
) -> EnrollmentOut:
    row, _ = await re_enrollment.complete_payment(
        session,
        provider,
        reader=Reader.staff(),
        enrollment_id=enrollment_id,
        checkout_session_id=body.checkout_session_id,
        now=now,
    )
    return await one(session, row)


@router.post(
    "/enrollments/{enrollment_id}/leave",
    operation_id="admin_grant_leave_with_proof",
    summary="Record and grant a leave of absence",
    description="Reason and proof (PDF/PNG/JPEG by content, 10 MB), by the 15th of the final "
    "month (moved back to a business day), once, 1–6 months (R-ENR-17). Granted at once: the "
    "enrollment end and the course access move. Audited.",
    responses=problems(*LEAVE_ERRORS),
    openapi_extra=leave_openapi(),
)
async def grant_leave_with_proof(
    enrollment_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    storage: MediaStorage,
    request: Request,
) -> EnrollmentOut:
    return await leave_from_request(
        request,
        session,
        storage,
        reader=Reader.staff(),
        enrollment_id=enrollment_id,
        actor_id=subject.require_user().id,
        now=now,
    )


class LeaveDeclineIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="Why (kept in the audit log).")


@router.post(
    "/enrollments/{enrollment_id}/leave/decline",
    operation_id="admin_decline_leave",
    summary="Decline a training manager's leave request",
    description="Withdraws a pending leave request with a reason (audited); the enrollment end "
    "does not move and the one leave of R-ENR-17 is not used up.",
    responses=problems(EnrollmentNotFound, LeaveNotPending),
)
async def decline_leave(
    enrollment_id: uuid.UUID,
    body: LeaveDeclineIn,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> EnrollmentOut:
    row = await leave.decline_leave(
        session,
        enrollment_id=enrollment_id,
        actor_id=subject.require_user().id,
        reason=body.reason,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    return await one(session, row)


@router.post(
    "/enrollments/{enrollment_id}/leave/grant",
    operation_id="admin_grant_leave",
    summary="Grant a training manager's leave request",
    description="Moves the enrollment end by the requested months and the course access with it "
    "(R-ENR-17). Audited.",
    responses=problems(EnrollmentNotFound, EnrollmentNotLive, LeaveNotPending),
)
async def grant_leave(
    enrollment_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> EnrollmentOut:
    row = await leave.grant_leave(
        session,
        enrollment_id=enrollment_id,
        actor_id=subject.require_user().id,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    return await one(session, row)
