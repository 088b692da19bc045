"""The enrollment API contract (R-ENR-1…5, R-ENR-16, R-ENR-17, R-B2B-12)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from app.enrollments import rules
from app.enrollments.rules import LeaveReason
from app.kit.schemas import ResponseSchema, Schema
from app.models.enrollment import (
    ApplicationChannel,
    CompletionStatus,
    CorrespondenceSettings,
    Enrollment,
    EnrollmentStatus,
    Recipient,
)
from app.models.payment import OrderStatus, PaymentOrder


class CorrespondenceSettingsIn(Schema):
    standard_period_months: int = Field(ge=1, le=60, description="Standard period P (R-ENR-3).")
    enrollment_multiplier: int = Field(
        default=rules.DEFAULT_ENROLLMENT_MULTIPLIER,
        ge=1,
        le=5,
        description="Enrollment period = P × multiplier months (R-ENR-3).",
    )
    same_month_start: bool = Field(default=False, description="Start on the 1st of A's month.")
    has_certificate: bool = True
    offers_resubmission_service: bool = True
    has_question_service: bool = True
    question_quota: int = Field(default=6, ge=0, le=100, description="R-QST-3.")
    allows_re_enrollment: bool = True
    allows_leave: bool = True
    fee_jpy: int = Field(default=0, ge=0, le=10_000_000, description="Tax-included fee.")


class CorrespondenceSettingsOut(ResponseSchema):
    course_id: uuid.UUID
    standard_period_months: int
    enrollment_multiplier: int
    enrollment_months: int
    same_month_start: bool
    has_certificate: bool
    offers_resubmission_service: bool
    has_question_service: bool
    question_quota: int
    allows_re_enrollment: bool
    allows_leave: bool
    fee_jpy: int
    currency: Literal["JPY"] = "JPY"

    @classmethod
    def of(cls, row: CorrespondenceSettings) -> CorrespondenceSettingsOut:
        return cls(
            course_id=row.course_id,
            standard_period_months=row.standard_period_months,
            enrollment_multiplier=row.enrollment_multiplier,
            enrollment_months=rules.enrollment_months(
                row.standard_period_months, row.enrollment_multiplier
            ),
            same_month_start=row.same_month_start,
            has_certificate=row.has_certificate,
            offers_resubmission_service=row.offers_resubmission_service,
            has_question_service=row.has_question_service,
            question_quota=row.question_quota,
            allows_re_enrollment=row.allows_re_enrollment,
            allows_leave=row.allows_leave,
            fee_jpy=row.fee_jpy,
        )


class MyEnrollmentCreate(Schema):
    course_id: uuid.UUID
    has_resubmission_service: bool = Field(
        default=False, description="Chosen at application only (R-ENR-12)."
    )


class StaffEnrollmentCreate(MyEnrollmentCreate):
    user_id: uuid.UUID
    accepted_on: date | None = Field(
        default=None, description="The day the application was accepted; default today (JST)."
    )


class OrganizationEnrollmentCreate(MyEnrollmentCreate):
    user_id: uuid.UUID = Field(description="A learner of the caller's organization.")
    recipient: Recipient = Field(
        default=Recipient.learner,
        description="Who receives materials, reports and certificates (R-B2B-12).",
    )
    training_manager_user_id: uuid.UUID | None = Field(
        default=None, description="Default: the caller."
    )
    department_manager_user_id: uuid.UUID | None = None


class ShippingUpdate(Schema):
    shipped_on: date | None = None
    delivered_on: date | None = None


class CancellationIn(Schema):
    company_at_fault: bool = Field(
        default=False,
        description="Staff only: cancel after the 8-day window because the company was at fault.",
    )
    reason: str | None = Field(default=None, max_length=2000)


class ReturnIn(Schema):
    returned_on: date | None = Field(default=None, description="Default today (JST).")


class ReEnrollmentPaymentIn(Schema):
    checkout_session_id: str = Field(
        min_length=1,
        max_length=100,
        description="`amazonCheckoutSessionId` from the return URL after the buyer approved.",
    )


class LeaveForm(Schema):
    reason: LeaveReason
    months: int = Field(ge=1, le=6, description="1–6 months (R-ENR-17).")
    note: str | None = Field(default=None, max_length=2000)


class LeaveOut(ResponseSchema):
    months: int
    reason: str | None
    note: str | None
    is_granted: bool
    granted_at: datetime | None
    has_proof: bool


class PaymentOut(ResponseSchema):
    order_id: uuid.UUID
    order_number: str
    status: OrderStatus
    amount_jpy: int
    currency: Literal["JPY"] = "JPY"
    redirect_url: str | None = Field(
        default=None, description="Where the payer approves the fee (Amazon Pay)."
    )


class EnrollmentOut(ResponseSchema):
    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    organization_id: uuid.UUID | None
    channel: ApplicationChannel
    status: EnrollmentStatus
    accepted_on: date
    start_on: date
    enrollment_end_on: date
    original_end_on: date
    excellent_deadline_on: date | None
    materials_ship_by: date | None = Field(
        description="Expected shipping day (R-ENR-2); null for a re-enrollment, which ships "
        "nothing (the learner keeps the materials, R-ENR-16)."
    )
    materials_may_arrive_after_start: bool
    shipped_on: date | None
    delivered_on: date | None
    cancellation_deadline_on: date | None = Field(
        description="Last day to cancel: delivery + 8 days (R-ENR-5); null before delivery."
    )
    cancelled_at: datetime | None
    returned_on: date | None
    has_resubmission_service: bool
    question_quota: int
    recipient: Recipient
    training_manager_user_id: uuid.UUID | None
    department_manager_user_id: uuid.UUID | None
    completion_status: CompletionStatus
    completed_on: date | None
    re_enrollment_of_id: uuid.UUID | None
    leave: LeaveOut | None
    payment: PaymentOut | None = None
    created_at: datetime

    @classmethod
    def of(
        cls,
        row: Enrollment,
        *,
        same_month_start: bool = False,
        order: PaymentOrder | None = None,
        redirect_url: str | None = None,
    ) -> EnrollmentOut:
        leave = None
        if row.leave_months:
            leave = LeaveOut(
                months=row.leave_months,
                reason=row.leave_reason,
                note=row.leave_note,
                is_granted=row.leave_granted_at is not None,
                granted_at=row.leave_granted_at,
                has_proof=row.leave_proof_key is not None,
            )
        payment = None
        if order is not None:
            payment = PaymentOut(
                order_id=order.id,
                order_number=order.order_number,
                status=order.status,
                amount_jpy=order.total_jpy,
                redirect_url=redirect_url,
            )
        return cls(
            id=row.id,
            user_id=row.user_id,
            course_id=row.course_id,
            organization_id=row.organization_id,
            channel=row.channel,
            status=row.status,
            accepted_on=row.accepted_on,
            start_on=row.start_on,
            enrollment_end_on=row.enrollment_end_on,
            original_end_on=row.original_end_on,
            excellent_deadline_on=row.excellent_deadline_on,
            materials_ship_by=None
            if row.re_enrollment_of_id is not None
            else rules.materials_ship_by(row.accepted_on),
            materials_may_arrive_after_start=row.re_enrollment_of_id is None
            and rules.materials_may_arrive_after_start(
                row.accepted_on, same_month_start=same_month_start
            ),
            shipped_on=row.shipped_on,
            delivered_on=row.delivered_on,
            cancellation_deadline_on=(
                rules.cancellation_deadline_on(row.delivered_on) if row.delivered_on else None
            ),
            cancelled_at=row.cancelled_at,
            returned_on=row.returned_on,
            has_resubmission_service=row.has_resubmission_service,
            question_quota=row.question_quota,
            recipient=row.recipient,
            training_manager_user_id=row.training_manager_user_id,
            department_manager_user_id=row.department_manager_user_id,
            completion_status=row.completion_status,
            completed_on=row.completed_on,
            re_enrollment_of_id=row.re_enrollment_of_id,
            leave=leave,
            payment=payment,
            created_at=row.created_at,
        )
