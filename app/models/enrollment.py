"""Correspondence courses (通信教育): course settings and enrollments. R-ENR-1…5, R-ENR-11…13,
R-ENR-16, R-ENR-17, R-QST-3, R-QST-6, R-QST-11, R-B2B-12.

- `CorrespondenceSettings`: one row per course with `program = correspondence`: the standard
  period P, the enrollment multiplier (enrollment period = multiplier × P months), same-month
  start, certificate yes/no, whether the resubmission service may be chosen, the question
  service and its per-enrollment quota, whether re-enrollment and leave are allowed, the
  enrollment fee. Dates follow `app.enrollments.rules`.
- `Enrollment`: one learner in one course for one enrollment period. Dates are computed by the
  pure rules when the application is accepted and stored (`start_on`, `enrollment_end_on`,
  `excellent_deadline_on`); a leave of absence moves `enrollment_end_on` (the original is kept in
  `original_end_on`). Thresholds are a snapshot of the organization's (or the defaults) at
  application, so a later change of the organization's settings does not move a running
  enrollment. `recipient` says who receives materials, returned reports, certificates and
  progress reports (R-B2B-12). A re-enrollment is a new row pointing at the one it repeats.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model
from app.models.user import _enum


class EnrollmentStatus(StrEnum):
    applied = "applied"  # accepted, materials not delivered yet
    awaiting_payment = "awaiting_payment"  # a re-enrollment whose ¥4,400 fee is not paid yet
    active = "active"  # learning (materials delivered or the course started)
    cancelled = "cancelled"  # cancelled within the window (R-ENR-5)
    returned = "returned"  # returned course: no questions from the next day (R-QST-6)
    ended = "ended"  # the enrollment period is over; see `completion_status`


class ApplicationChannel(StrEnum):
    individual = "individual"  # the learner applied themself
    staff = "staff"  # entered by the office (postal / phone applications)
    organization = "organization"  # an organization's training manager applied for a learner


class Recipient(StrEnum):
    """Who receives materials, returned reports, certificates and progress reports (R-B2B-12)."""

    learner = "learner"
    training_manager = "training_manager"
    department_manager = "department_manager"
    both_managers = "both_managers"


class CompletionStatus(StrEnum):
    pending = "pending"
    completed = "completed"  # 修了
    excellent = "excellent"  # 優秀修了
    not_completed = "not_completed"  # 未修了


class CorrespondenceSettings(Model):
    __tablename__ = "correspondence_settings"
    __table_args__ = (
        Index("uq_correspondence_settings_course_id", "course_id", unique=True),
        CheckConstraint("standard_period_months BETWEEN 1 AND 60", name="period_in_range"),
        CheckConstraint("enrollment_multiplier BETWEEN 1 AND 5", name="multiplier_in_range"),
        CheckConstraint("question_quota >= 0", name="question_quota_not_negative"),
        CheckConstraint("fee_jpy >= 0", name="fee_not_negative"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    standard_period_months: Mapped[int] = mapped_column(Integer)
    enrollment_multiplier: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    same_month_start: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    has_certificate: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    offers_resubmission_service: Mapped[bool] = mapped_column(
        default=True, server_default=text("true")
    )
    has_question_service: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    question_quota: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    allows_re_enrollment: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    allows_leave: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    fee_jpy: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Enrollment(Model):
    __tablename__ = "enrollment"
    __table_args__ = (
        Index("ix_enrollment_user_id_start_on", "user_id", "start_on"),
        Index("ix_enrollment_course_id", "course_id"),
        Index("ix_enrollment_organization_id", "organization_id"),
        Index("ix_enrollment_status_enrollment_end_on", "status", "enrollment_end_on"),
        Index(
            "uq_enrollment_re_enrollment_of_id",
            "re_enrollment_of_id",
            unique=True,
            postgresql_where=text("re_enrollment_of_id IS NOT NULL"),
        ),
        CheckConstraint("start_on <= enrollment_end_on", name="dates_ordered"),
        CheckConstraint("leave_months BETWEEN 0 AND 6", name="leave_months_in_range"),
        CheckConstraint(
            "pass_average BETWEEN 0 AND 100 AND excellent_average BETWEEN 0 AND 100 "
            "AND excellent_minimum BETWEEN 0 AND 100 AND pass_mark BETWEEN 0 AND 100",
            name="thresholds_in_range",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    channel: Mapped[ApplicationChannel] = mapped_column(
        _enum(ApplicationChannel, "application_channel")
    )
    applied_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    status: Mapped[EnrollmentStatus] = mapped_column(_enum(EnrollmentStatus, "enrollment_status"))
    accepted_on: Mapped[date] = mapped_column(Date)
    start_on: Mapped[date] = mapped_column(Date)
    enrollment_end_on: Mapped[date] = mapped_column(Date)
    original_end_on: Mapped[date] = mapped_column(Date)
    excellent_deadline_on: Mapped[date | None] = mapped_column(Date)
    """None for a re-enrollment (no excellent completion, R-ENR-16)."""
    has_resubmission_service: Mapped[bool] = mapped_column(
        default=False, server_default=text("false")
    )
    pass_average: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    excellent_average: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    excellent_minimum: Mapped[int] = mapped_column(Integer, default=70, server_default="70")
    pass_mark: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    question_quota: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    recipient: Mapped[Recipient] = mapped_column(
        _enum(Recipient, "enrollment_recipient"), default=Recipient.learner
    )
    training_manager_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    department_manager_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    shipped_on: Mapped[date | None] = mapped_column(Date)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    returned_on: Mapped[date | None] = mapped_column(Date)
    """The day a return was confirmed: no questions from the next day (R-QST-6)."""
    completion_status: Mapped[CompletionStatus] = mapped_column(
        _enum(CompletionStatus, "completion_status"), default=CompletionStatus.pending
    )
    completed_on: Mapped[date | None] = mapped_column(Date)
    re_enrollment_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="RESTRICT")
    )
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payment_order.id", ondelete="RESTRICT")
    )
    """The ¥4,400 re-enrollment fee's order (R-ENR-16)."""
    checkout_session_id: Mapped[str | None] = mapped_column(String(100))
    """The provider checkout session of the fee's current order (R-ENR-16): completed by the
    payer's return, read by the job that closes checkouts left unpaid for a day."""
    leave_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    leave_reason: Mapped[str | None] = mapped_column(String(40))
    leave_note: Mapped[str | None] = mapped_column(Text)
    leave_proof_key: Mapped[str | None] = mapped_column(String(300))
    leave_requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    leave_granted_at: Mapped[datetime | None]
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
