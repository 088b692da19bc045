"""Enrollment HTTP API for learners (`/me/enrollments`) and training managers
(`/organizations/me/enrollments`). HTTP only; decisions live in the services.

R-ENR-1…5 (applications, dates, cancellation), R-ENR-16 (re-enrollment), R-ENR-17 (leave, training
manager only), R-B2B-12 (recipients). Another learner's or another organization's enrollment is
not found (404).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.auth import CurrentOrgAdmin, CurrentUser
from app.auth.authenticator import Subject
from app.config import Settings
from app.content.errors import CourseNotFound
from app.db import DbSession
from app.enrollments import leave, re_enrollment, service
from app.enrollments.errors import (
    CancellationPeriodOver,
    CheckoutMismatch,
    CheckoutNotApproved,
    CorrespondenceSettingsNotFound,
    EnrollmentAlreadyExists,
    EnrollmentNotFound,
    EnrollmentNotLive,
    LearnerNotFound,
    LeaveNotAllowed,
    LeaveProofInvalid,
    NotCorrespondenceCourse,
    ReEnrollmentNotAllowed,
    ReEnrollmentNotPending,
    ResubmissionServiceNotOffered,
)
from app.enrollments.repository import Reader, readable_by
from app.enrollments.schemas import (
    CancellationIn,
    EnrollmentOut,
    LeaveForm,
    MyEnrollmentCreate,
    OrganizationEnrollmentCreate,
    ReEnrollmentPaymentIn,
)
from app.kit.calendar import jst_date
from app.kit.clock import Now
from app.kit.errors import InvalidCursor
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.pagination import Page, PageQuery, paginate
from app.media.deps import MediaStorage
from app.media.errors import FileTooLarge
from app.media.storage import Storage
from app.media.uploads import parse_fields, receive_multipart
from app.models.enrollment import ApplicationChannel, Enrollment
from app.payments.deps import Provider
from app.payments.purchases.openapi import created, problems

TAG = "enrollments"
router = APIRouter(tags=[TAG])
ORDER = [Enrollment.created_at, Enrollment.id]

APPLY_ERRORS = (
    CourseNotFound,
    NotCorrespondenceCourse,
    CorrespondenceSettingsNotFound,
    ResubmissionServiceNotOffered,
    EnrollmentAlreadyExists,
)
RE_ENROLL_ERRORS = (
    EnrollmentNotFound,
    ReEnrollmentNotAllowed,
    EnrollmentAlreadyExists,
)
COMPLETE_ERRORS = (
    EnrollmentNotFound,
    ReEnrollmentNotPending,
    CheckoutMismatch,
    CheckoutNotApproved,
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]
"""The app's settings (`frontend_base_url` for the links in enrollment emails)."""


async def one(
    session: DbSession, row: Enrollment, redirect_url: str | None = None
) -> EnrollmentOut:
    out = (await service.present(session, [row]))[0]
    if redirect_url is not None and out.payment is not None:
        out.payment.redirect_url = redirect_url
    return out


async def page_of(session: DbSession, reader: Reader, page: PageQuery) -> Page[EnrollmentOut]:
    rows, next_cursor = await paginate(
        session, readable_by(reader), order_by=ORDER, descending=True, params=page
    )
    return Page[EnrollmentOut](items=await service.present(session, rows), next_cursor=next_cursor)


def _learner(subject: Subject) -> Reader:
    return Reader.learner(subject.require_user().id)


def _organization(subject: Subject) -> Reader:
    return Reader.organization(subject.require_user().organization_id)


# --- Learner ---------------------------------------------------------------------------------------


@router.post(
    "/me/enrollments",
    operation_id="enrollments_create_my_enrollment",
    summary="Apply for a correspondence course",
    description="Starts on the 1st of next month (or this month for same-month courses, R-ENR-1); "
    "enrollment end and excellent-completion deadline from the course's period (R-ENR-3/4). "
    "The resubmission service is chosen here only (R-ENR-12). One live enrollment per course.",
    status_code=201,
    responses=created(*IDEMPOTENCY_ERRORS, *APPLY_ERRORS),
)
@idempotent(status_code=201)
async def create_my_enrollment(
    body: MyEnrollmentCreate,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    response: Response,
) -> EnrollmentOut:
    user = subject.require_user()
    enrollment, _ = await service.apply(
        session,
        service.Application(
            user_id=user.id,
            course_id=body.course_id,
            has_resubmission_service=body.has_resubmission_service,
            channel=ApplicationChannel.individual,
            accepted_on=jst_date(now),
            applied_by_user_id=user.id,
            organization_id=user.organization_id,
        ),
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    response.headers["Location"] = f"/api/v1/me/enrollments/{enrollment.id}"
    return await one(session, enrollment)


@router.get(
    "/me/enrollments",
    operation_id="enrollments_list_my_enrollments",
    summary="My enrollments",
    description="The caller's enrollments, newest first. Completion status is read-only.",
    responses=problems(InvalidCursor),
)
async def list_my_enrollments(
    subject: CurrentUser, session: DbSession, page: PageQuery
) -> Page[EnrollmentOut]:
    return await page_of(session, _learner(subject), page)


@router.get(
    "/me/enrollments/{enrollment_id}",
    operation_id="enrollments_get_my_enrollment",
    summary="One of my enrollments",
    description="Dates, shipping (expected ship-by, R-ENR-2), cancellation deadline (R-ENR-5).",
    responses=problems(EnrollmentNotFound),
)
async def get_my_enrollment(
    enrollment_id: uuid.UUID, subject: CurrentUser, session: DbSession
) -> EnrollmentOut:
    row = await service.get_enrollment(session, _learner(subject), enrollment_id)
    return await one(session, row)


@router.post(
    "/me/enrollments/{enrollment_id}/cancel",
    operation_id="enrollments_cancel_my_enrollment",
    summary="Cancel my application",
    description="Until 8 days after the materials arrive, the delivery day being day 0 (R-ENR-5).",
    responses=problems(EnrollmentNotFound, EnrollmentNotLive, CancellationPeriodOver),
)
async def cancel_my_enrollment(
    enrollment_id: uuid.UUID,
    body: CancellationIn,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> EnrollmentOut:
    row = await service.cancel(
        session,
        reader=_learner(subject),
        enrollment_id=enrollment_id,
        actor_id=subject.require_user().id,
        company_at_fault=False,
        reason=body.reason,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    return await one(session, row)


@router.post(
    "/me/enrollments/{enrollment_id}/re-enrollment",
    operation_id="enrollments_create_my_re_enrollment",
    summary="Re-enroll after an enrollment ended not completed",
    description="Once, within 1 year after the enrollment end, ¥4,400 tax included (R-ENR-16). "
    "Answers the new enrollment with `payment.redirect_url` (Amazon Pay); it becomes active "
    "when paid (`.../complete-payment`).",
    status_code=201,
    responses=created(*IDEMPOTENCY_ERRORS, *RE_ENROLL_ERRORS),
)
@idempotent(status_code=201)
async def create_my_re_enrollment(
    enrollment_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    provider: Provider,
    request: Request,
    response: Response,
) -> EnrollmentOut:
    return await start_re_enrollment(
        session, provider, _learner(subject), subject, enrollment_id, request, response, now
    )


@router.post(
    "/me/enrollments/{enrollment_id}/complete-payment",
    operation_id="enrollments_complete_my_re_enrollment_payment",
    summary="Complete the re-enrollment fee payment",
    description="After the payer approved on Amazon Pay: pass the `amazonCheckoutSessionId` "
    "from the return URL. Paid → the re-enrollment is active (R-ENR-16).",
    responses=problems(*COMPLETE_ERRORS),
)
async def complete_my_re_enrollment_payment(
    enrollment_id: uuid.UUID,
    body: ReEnrollmentPaymentIn,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    provider: Provider,
) -> EnrollmentOut:
    row, _ = await re_enrollment.complete_payment(
        session,
        provider,
        reader=_learner(subject),
        enrollment_id=enrollment_id,
        checkout_session_id=body.checkout_session_id,
        now=now,
    )
    return await one(session, row)


async def start_re_enrollment(
    session: DbSession,
    provider: Provider,
    reader: Reader,
    subject: Subject,
    enrollment_id: uuid.UUID,
    request: Request,
    response: Response,
    now: Now,
    location_prefix: str = "/api/v1/me/enrollments",
) -> EnrollmentOut:
    row, _, redirect_url = await re_enrollment.request_re_enrollment(
        session,
        provider,
        reader=reader,
        enrollment_id=enrollment_id,
        actor_id=subject.require_user().id,
        return_url=_settings(request).payment_checkout_return_url,
        now=now,
    )
    response.headers["Location"] = f"{location_prefix}/{row.id}"
    return await one(session, row, redirect_url)


# --- Training manager (org_admin) ---------------------------------------------------------------------

ORG = "/organizations/me/enrollments"


@router.post(
    ORG,
    operation_id="organizations_create_enrollment",
    summary="Apply for a learner of my organization",
    description="The learner must belong to the caller's organization. Recipient of materials, "
    "reports and certificates: learner / training manager / department manager (R-B2B-12).",
    status_code=201,
    responses=created(*IDEMPOTENCY_ERRORS, LearnerNotFound, *APPLY_ERRORS),
)
@idempotent(status_code=201)
async def create_organization_enrollment(
    body: OrganizationEnrollmentCreate,
    subject: CurrentOrgAdmin,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    response: Response,
) -> EnrollmentOut:
    row, _ = await service.organization_application(
        session,
        caller=subject,
        body=body,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    response.headers["Location"] = f"/api/v1{ORG}/{row.id}"
    return await one(session, row)


@router.get(
    ORG,
    operation_id="organizations_list_enrollments",
    summary="My organization's enrollments",
    description="Only the caller's organization, newest first.",
    responses=problems(InvalidCursor),
)
async def list_organization_enrollments(
    subject: CurrentOrgAdmin, session: DbSession, page: PageQuery
) -> Page[EnrollmentOut]:
    return await page_of(session, _organization(subject), page)


@router.get(
    ORG + "/{enrollment_id}",
    operation_id="organizations_get_enrollment",
    summary="One of my organization's enrollments",
    responses=problems(EnrollmentNotFound),
)
async def get_organization_enrollment(
    enrollment_id: uuid.UUID, subject: CurrentOrgAdmin, session: DbSession
) -> EnrollmentOut:
    row = await service.get_enrollment(session, _organization(subject), enrollment_id)
    return await one(session, row)


@router.post(
    ORG + "/{enrollment_id}/cancel",
    operation_id="organizations_cancel_enrollment",
    summary="Cancel a learner's application",
    description="Until 8 days after the materials arrive (R-ENR-5).",
    responses=problems(EnrollmentNotFound, EnrollmentNotLive, CancellationPeriodOver),
)
async def cancel_organization_enrollment(
    enrollment_id: uuid.UUID,
    body: CancellationIn,
    subject: CurrentOrgAdmin,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> EnrollmentOut:
    row = await service.cancel(
        session,
        reader=_organization(subject),
        enrollment_id=enrollment_id,
        actor_id=subject.require_user().id,
        company_at_fault=False,
        reason=body.reason,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    return await one(session, row)


@router.post(
    ORG + "/{enrollment_id}/re-enrollment",
    operation_id="organizations_create_re_enrollment",
    summary="Re-enroll a learner (training manager)",
    description="As `/me/enrollments/{id}/re-enrollment` (R-ENR-16); the order is the learner's.",
    status_code=201,
    responses=created(*IDEMPOTENCY_ERRORS, *RE_ENROLL_ERRORS),
)
@idempotent(status_code=201)
async def create_organization_re_enrollment(
    enrollment_id: uuid.UUID,
    subject: CurrentOrgAdmin,
    session: DbSession,
    now: Now,
    provider: Provider,
    request: Request,
    response: Response,
) -> EnrollmentOut:
    return await start_re_enrollment(
        session,
        provider,
        _organization(subject),
        subject,
        enrollment_id,
        request,
        response,
        now,
        location_prefix=f"/api/v1{ORG}",
    )


@router.post(
    ORG + "/{enrollment_id}/complete-payment",
    operation_id="organizations_complete_re_enrollment_payment",
    summary="Complete a re-enrollment fee payment (training manager)",
    responses=problems(*COMPLETE_ERRORS),
)
async def complete_organization_re_enrollment_payment(
    enrollment_id: uuid.UUID,
    body: ReEnrollmentPaymentIn,
    subject: CurrentOrgAdmin,
    session: DbSession,
    now: Now,
    provider: Provider,
) -> EnrollmentOut:
    row, _ = await re_enrollment.complete_payment(
        session,
        provider,
        reader=_organization(subject),
        enrollment_id=enrollment_id,
        checkout_session_id=body.checkout_session_id,
        now=now,
    )
    return await one(session, row)


LEAVE_ERRORS = (
    EnrollmentNotFound,
    EnrollmentNotLive,
    LeaveNotAllowed,
    LeaveProofInvalid,
    FileTooLarge,
)


def leave_openapi() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["reason", "months", "file"],
                        "properties": {
                            "reason": {
                                "type": "string",
                                "enum": ["illness_or_injury", "disaster_or_fire", "other_approved"],
                            },
                            "months": {"type": "integer", "minimum": 1, "maximum": 6},
                            "note": {"type": "string"},
                            "file": {"type": "string", "format": "binary"},
                        },
                    }
                }
            },
        }
    }


@router.post(
    ORG + "/{enrollment_id}/leave",
    operation_id="organizations_request_leave",
    summary="Apply for a leave of absence (training manager)",
    description="Reason and proof (PDF/PNG/JPEG by content, 10 MB), by the 15th of the final "
    "month (moved back to a business day), once, 1–6 months (R-ENR-17). Staff grant it.",
    responses=problems(*LEAVE_ERRORS),
    openapi_extra=leave_openapi(),
)
async def request_organization_leave(
    enrollment_id: uuid.UUID,
    subject: CurrentOrgAdmin,
    session: DbSession,
    now: Now,
    storage: MediaStorage,
    request: Request,
) -> EnrollmentOut:
    return await leave_from_request(
        request,
        session,
        storage,
        reader=_organization(subject),
        enrollment_id=enrollment_id,
        actor_id=subject.require_user().id,
        now=now,
    )


async def leave_from_request(
    request: Request,
    session: AsyncSession,
    storage: Storage,
    *,
    reader: Reader,
    enrollment_id: uuid.UUID,
    actor_id: uuid.UUID,
    now: datetime,
) -> EnrollmentOut:
    """The multipart leave form (reason, months, note, proof file) into `leave.apply_for_leave`;
    shared by the training manager's request and staff's record-and-grant."""
    async with receive_multipart(request, max_file_bytes=leave.LEAVE_PROOF_MAX_BYTES) as (
        upload,
        fields,
    ):
        row = await leave.apply_for_leave(
            session,
            storage,
            reader=reader,
            enrollment_id=enrollment_id,
            form=parse_fields(LeaveForm, fields),
            proof=upload,
            actor_id=actor_id,
            now=now,
            frontend_base_url=_settings(request).frontend_base_url,
        )
    return await one(session, row)
