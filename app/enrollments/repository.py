"""SQL of the enrollment domain: readable statements per caller, locks, lookups. Never commits.

Object-level authorization lives here (ARCHITECTURE convention 3): `readable_by` answers which
enrollments a caller may see — their own (member), their organization's (org_admin), all
(staff) — and every detail, change and list goes through it, so another caller's enrollment is
simply not found (404).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.enrollment import (
    CorrespondenceSettings,
    Enrollment,
    EnrollmentStatus,
)
from app.models.entitlement import EntitlementGrant, GrantSource
from app.models.payment import OrderStatus, PaymentOrder

LIVE_STATUSES = (EnrollmentStatus.applied, EnrollmentStatus.active)
"""An enrollment that runs (its materials may still be on their way): reports, questions,
reminders, leave and the end-of-period close apply to it."""

BLOCKING_STATUSES = (*LIVE_STATUSES, EnrollmentStatus.awaiting_payment)
"""One per learner and course: a re-enrollment waiting for its fee holds the place until it is
paid or its checkout is closed (R-ENR-16)."""


class Reader:
    """Who reads: a learner (own rows), an organization's admin (their organization) or staff."""

    def __init__(
        self,
        *,
        user_id: uuid.UUID | None = None,
        organization_id: uuid.UUID | None = None,
        is_staff: bool = False,
    ) -> None:
        self.user_id = user_id
        self.organization_id = organization_id
        self.is_staff = is_staff

    @classmethod
    def learner(cls, user_id: uuid.UUID) -> Reader:
        return cls(user_id=user_id)

    @classmethod
    def organization(cls, organization_id: uuid.UUID | None) -> Reader:
        # An org_admin without an organization reads nothing (a nil UUID matches no row).
        return cls(organization_id=organization_id or uuid.UUID(int=0))

    @classmethod
    def staff(cls) -> Reader:
        return cls(is_staff=True)


def readable_by(reader: Reader) -> Select[Enrollment]:
    statement = select(Enrollment)
    if reader.is_staff:
        return statement
    if reader.user_id is not None:
        return statement.where(Enrollment.user_id == reader.user_id)
    return statement.where(Enrollment.organization_id == reader.organization_id)


async def get_readable(
    session: AsyncSession, reader: Reader, enrollment_id: uuid.UUID, *, for_update: bool = False
) -> Enrollment | None:
    statement = readable_by(reader).where(Enrollment.id == enrollment_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def settings_for_course(
    session: AsyncSession, course_id: uuid.UUID
) -> CorrespondenceSettings | None:
    return (
        await session.scalars(
            select(CorrespondenceSettings).where(CorrespondenceSettings.course_id == course_id)
        )
    ).one_or_none()


async def lock_learner_course(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> None:
    """Serialize applications of one learner to one course (transaction-scoped advisory lock),
    so "one live enrollment per learner and course" holds under concurrent requests."""
    key = f"enrollment:{user_id}:{course_id}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def live_enrollment(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID, today: date
) -> Enrollment | None:
    """The learner's enrollment in the course that holds its place: live or awaiting its
    re-enrollment fee, and not past its (leave-extended) end."""
    return (
        await session.scalars(
            select(Enrollment)
            .where(
                Enrollment.user_id == user_id,
                Enrollment.course_id == course_id,
                Enrollment.status.in_(BLOCKING_STATUSES),
                Enrollment.enrollment_end_on >= today,
            )
            .limit(1)
        )
    ).one_or_none()


async def re_enrollment_of(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment | None:
    return (
        await session.scalars(
            select(Enrollment)
            .where(Enrollment.re_enrollment_of_id == enrollment_id)
            .with_for_update()
        )
    ).one_or_none()


async def order_for_update(session: AsyncSession, order_id: uuid.UUID) -> PaymentOrder:
    order = (
        await session.scalars(
            select(PaymentOrder).where(PaymentOrder.id == order_id).with_for_update()
        )
    ).one()
    return order


async def order_status(session: AsyncSession, order_id: uuid.UUID) -> OrderStatus:
    status = await session.scalar(select(PaymentOrder.status).where(PaymentOrder.id == order_id))
    assert status is not None
    return status


async def enrollment_by_order(session: AsyncSession, order_id: uuid.UUID) -> Enrollment | None:
    return (
        await session.scalars(
            select(Enrollment).where(Enrollment.order_id == order_id).with_for_update()
        )
    ).one_or_none()


async def set_grant_end(
    session: AsyncSession, *, enrollment_id: uuid.UUID, valid_until: datetime
) -> int:
    """Move the end of the enrollment's live grants (a leave of absence extends them)."""
    result = await session.execute(
        update(EntitlementGrant)
        .where(
            EntitlementGrant.source == GrantSource.enrollment,
            EntitlementGrant.source_ref == str(enrollment_id),
            EntitlementGrant.revoked_at.is_(None),
        )
        .values(valid_until=valid_until)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def reminder_candidates(today: date, limit: int) -> Select[Enrollment]:
    """Running enrollments not reminded this month yet (R-ENR-18), oldest reminder first."""
    month_start = today.replace(day=1)
    return (
        select(Enrollment)
        .where(
            Enrollment.status.in_(LIVE_STATUSES),
            Enrollment.start_on < month_start,
            Enrollment.enrollment_end_on >= today,
            (Enrollment.last_reminded_on.is_(None)) | (Enrollment.last_reminded_on < month_start),
        )
        .order_by(Enrollment.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def past_end(today: date, limit: int) -> Select[Enrollment]:
    """Live enrollments whose (leave-extended) end has passed: they become `ended`."""
    return (
        select(Enrollment)
        .where(Enrollment.status.in_(LIVE_STATUSES), Enrollment.enrollment_end_on < today)
        .order_by(Enrollment.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def unpaid_re_enrollments(before: datetime, limit: int) -> Select[Enrollment, PaymentOrder]:
    """Re-enrollments still awaiting a fee whose order was opened before `before`, with the
    order; both rows locked, skipping rows another worker (or a payer's return) holds."""
    return (
        select(Enrollment, PaymentOrder)
        .join(PaymentOrder, PaymentOrder.id == Enrollment.order_id)
        .where(
            Enrollment.status == EnrollmentStatus.awaiting_payment,
            PaymentOrder.status == OrderStatus.pending,
            PaymentOrder.created_at < before,
        )
        .order_by(PaymentOrder.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


class ShippingState(StrEnum):
    """Staff worklists of the materials desk (R-ENR-2)."""

    awaiting_shipment = "awaiting_shipment"  # live, not shipped (re-enrollments ship nothing)
    awaiting_delivery = "awaiting_delivery"  # shipped, delivery not recorded yet


class LeaveState(StrEnum):
    """Staff worklist of leave requests (R-ENR-17)."""

    pending = "pending"  # a training manager asked; staff have not granted or declined it
    granted = "granted"


def shipping_filter(state: ShippingState) -> ColumnElement[bool]:
    """R-ENR-2 worklists: live enrollments whose materials still have to go out or arrive."""
    if state is ShippingState.awaiting_shipment:
        return and_(
            Enrollment.status.in_(LIVE_STATUSES),
            Enrollment.shipped_on.is_(None),
            Enrollment.re_enrollment_of_id.is_(None),
        )
    return and_(
        Enrollment.status.in_(LIVE_STATUSES),
        Enrollment.shipped_on.is_not(None),
        Enrollment.delivered_on.is_(None),
    )


def leave_filter(state: LeaveState) -> ColumnElement[bool]:
    """R-ENR-17 worklist: leave requests waiting for staff, or granted ones."""
    if state is LeaveState.pending:
        return and_(Enrollment.leave_months > 0, Enrollment.leave_granted_at.is_(None))
    return Enrollment.leave_granted_at.is_not(None)
