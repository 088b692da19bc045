"""Re-enrollment (再受講, R-ENR-16): a new enrollment paid by a ¥4,400 one-time Amazon Pay checkout.

1. `request_re_enrollment` (learner, their organization's training manager, or staff): the
   previous enrollment must have ended not completed, within 1 year after its (leave-extended)
   end, never re-enrolled before (nor be a re-enrollment itself), in a course that allows it
   (`rules.re_enrollment_decision`). A pending order (`OrderKind.re_enrollment`, owned by the
   learner, order number = `merchantReferenceId`) and the new enrollment (`awaiting_payment`,
   same enrollment-period length as the course's, from the R-ENR-1 start of today's application,
   no excellent deadline, `re_enrollment_of_id`) are written, then a one-time checkout session is
   created (its id kept on the enrollment); the payer is sent to its `redirect_url`. Until the fee
   is paid the enrollment takes no reports, questions, reminders or leave, but holds the
   learner's place in the course (no second application meanwhile).
2. `complete_payment` (after the payer approved): the client passes the
   `amazonCheckoutSessionId` it got back on the return URL; it must be the session this
   enrollment opened, carrying its order number. Completing it charges at once: Captured → the
   order is paid, the enrollment becomes `active`, its course grant opens and the learner is
   emailed; Declined or canceled → the order is `failed` and the enrollment `cancelled`
   (`cancel_reason` = `re_enrollment_fee_not_paid`); a new request reuses the row with a fresh
   order.
3. `apply_charge_state`: the payment webhook's hook for a re-enrollment charge (forward only).
4. `close_unpaid` (hourly job): a fee checkout left open for a day — the provider cancels such a
   session — is read at the provider: completed ones are settled from their charge, the rest
   closed as in 2, which frees the learner's place.

Decisions where the spec is silent:

- The session id handed back on the return URL must equal the one stored at request time and
  carry the order number at the provider; anything else is `checkout-mismatch`.
- A re-enrollment whose fee was never paid does not count as the "once": requesting again reuses
  the same row with a new order (the superseded pending order is canceled; its session is never
  completed, so the provider charges nothing for it).
- The re-enrollment keeps the previous enrollment's resubmission service, recipient, managers,
  organization and thresholds; it ships no new materials.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.config import get_settings as app_settings
from app.enrollments import emails, repository, rules
from app.enrollments.errors import (
    CheckoutMismatch,
    CheckoutNotApproved,
    EnrollmentAlreadyExists,
    ReEnrollmentNotAllowed,
    ReEnrollmentNotPending,
    refusal_text,
)
from app.enrollments.repository import Reader
from app.enrollments.service import AUDIT_TARGET, get_enrollment, get_settings, open_grant
from app.kit.calendar import jst_date
from app.models.content import Course
from app.models.enrollment import Enrollment, EnrollmentStatus
from app.models.payment import OrderKind, OrderStatus, PaymentOrder
from app.payments.errors import PaymentProviderUnavailable
from app.payments.orders.service import OrderLineInput, create_order, mark_failed, mark_paid
from app.payments.provider.client import ProviderClient
from app.payments.provider.errors import ProviderNotFound, ProviderRejected, ProviderUnavailable
from app.payments.provider.objects import (
    CHECKOUT_SESSION_LIFETIME,
    Charge,
    ChargeState,
    CheckoutSessionState,
)

logger = logging.getLogger("manabi.enrollments")

FEE_NOT_PAID: Final = "re_enrollment_fee_not_paid"
"""`cancel_reason` of a re-enrollment closed because its fee was declined or never paid."""


def checkout_key(order_id: uuid.UUID) -> str:
    """The checkout session's idempotency key (≤ 32 characters, one per order)."""
    return f"reco-{order_id.hex[:24]}"


async def _is_paid_re_enrollment(session: AsyncSession, row: Enrollment | None) -> bool:
    if row is None or row.order_id is None:
        return row is not None
    return await repository.order_status(session, row.order_id) is OrderStatus.paid


async def request_re_enrollment(
    session: AsyncSession,
    provider: ProviderClient,
    *,
    reader: Reader,
    enrollment_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    return_url: str,
    now: datetime,
) -> tuple[Enrollment, PaymentOrder, str | None]:
    """Start a re-enrollment of `enrollment_id`: (new enrollment, pending order, redirect URL)."""
    previous = await get_enrollment(session, reader, enrollment_id, for_update=True)
    settings = await get_settings(session, previous.course_id)
    await repository.lock_learner_course(session, previous.user_id, previous.course_id)
    existing = await repository.re_enrollment_of(session, previous.id)
    today = jst_date(now)
    decision = rules.re_enrollment_decision(
        rules.CompletionStatus(previous.completion_status.value),
        enrollment_end_on=previous.enrollment_end_on,
        already_re_enrolled=previous.re_enrollment_of_id is not None
        or await _is_paid_re_enrollment(session, existing),
        course_allows=settings.allows_re_enrollment,
        today=today,
    )
    if not decision.is_allowed:
        assert decision.refusal_reason is not None
        reason = refusal_text(decision.refusal_reason.value)
        raise ReEnrollmentNotAllowed(reason=reason, extensions={"reason": reason})
    live = await repository.live_enrollment(session, previous.user_id, previous.course_id, today)
    if live is not None and (existing is None or live.id != existing.id):
        raise EnrollmentAlreadyExists(extensions={"enrollment_id": str(live.id)})

    course = await session.get(Course, previous.course_id)
    assert course is not None
    title = f"再受講料 {course.title}"[:200]
    order = await create_order(
        session,
        user_id=previous.user_id,
        kind=OrderKind.re_enrollment,
        title=title,
        lines=[OrderLineInput(description=title, unit_price_jpy=rules.RE_ENROLLMENT_FEE_JPY)],
        now=now,
    )
    start, end = rules.re_enrollment_period(
        rules.start_on(today, same_month_start=settings.same_month_start),
        rules.enrollment_months(settings.standard_period_months, settings.enrollment_multiplier),
    )
    if existing is not None and existing.order_id is not None:
        superseded = await repository.order_for_update(session, existing.order_id)
        if superseded.status is OrderStatus.pending:
            superseded.status = OrderStatus.canceled
            superseded.failed_reason = "superseded"
    enrollment = existing or Enrollment(
        id=uuid.uuid4(),
        user_id=previous.user_id,
        course_id=previous.course_id,
        organization_id=previous.organization_id,
        channel=previous.channel,
        has_resubmission_service=previous.has_resubmission_service,
        pass_average=previous.pass_average,
        excellent_average=previous.excellent_average,
        excellent_minimum=previous.excellent_minimum,
        pass_mark=previous.pass_mark,
        question_quota=settings.question_quota,
        recipient=previous.recipient,
        training_manager_user_id=previous.training_manager_user_id,
        department_manager_user_id=previous.department_manager_user_id,
        re_enrollment_of_id=previous.id,
        leave_months=0,
        created_at=now,
    )
    enrollment.applied_by_user_id = actor_id
    enrollment.status = EnrollmentStatus.awaiting_payment
    enrollment.cancelled_at = None
    enrollment.cancel_reason = None
    enrollment.accepted_on = today
    enrollment.start_on, enrollment.enrollment_end_on, enrollment.original_end_on = start, end, end
    enrollment.excellent_deadline_on = None
    enrollment.order_id = order.id
    if existing is None:
        session.add(enrollment)
    await session.flush()
    await record_audit_event(
        session,
        action="enrollment.re_enrollment_requested",
        now=now,
        actor_user_id=actor_id,
        target_type=AUDIT_TARGET,
        target_id=enrollment.id,
        data={"previous_id": str(previous.id), "order_number": order.order_number},
    )
    try:
        checkout = await provider.create_checkout_session(
            recurring=False,
            amount_jpy=order.cash_jpy,
            merchant_reference_id=order.order_number,
            return_url=f"{return_url}?enrollment_id={enrollment.id}",
            idempotency_key=checkout_key(order.id),
            note=title,
        )
    except ProviderUnavailable as error:
        raise PaymentProviderUnavailable(headers={"Retry-After": "5"}) from error
    enrollment.checkout_session_id = checkout.checkout_session_id
    await session.flush()
    return enrollment, order, checkout.redirect_url


async def _charge_of_checkout(
    provider: ProviderClient, checkout_session_id: str, order: PaymentOrder
) -> Charge | None:
    """Complete the approved session and read its charge; None when declined at checkout."""
    try:
        checkout = await provider.complete_checkout_session(
            checkout_session_id, amount_jpy=order.cash_jpy
        )
    except ProviderRejected as error:
        checkout = await provider.get_checkout_session(checkout_session_id)
        if checkout.state is CheckoutSessionState.canceled:
            return None
        if checkout.state is not CheckoutSessionState.completed:
            raise CheckoutNotApproved() from error
    if checkout.charge_permission_id is not None:
        order.charge_permission_id = checkout.charge_permission_id
    if checkout.charge_id is None:
        raise CheckoutNotApproved()
    return await provider.get_charge(checkout.charge_id)


async def complete_payment(
    session: AsyncSession,
    provider: ProviderClient,
    *,
    reader: Reader,
    enrollment_id: uuid.UUID,
    checkout_session_id: str,
    now: datetime,
) -> tuple[Enrollment, PaymentOrder]:
    """Settle the re-enrollment fee after the payer approved the checkout."""
    enrollment = await get_enrollment(session, reader, enrollment_id, for_update=True)
    if enrollment.order_id is None or enrollment.re_enrollment_of_id is None:
        raise ReEnrollmentNotPending()
    order = await repository.order_for_update(session, enrollment.order_id)
    if order.status is OrderStatus.paid:
        return enrollment, order  # completed before: answer it unchanged
    if order.status is not OrderStatus.pending:
        raise ReEnrollmentNotPending()
    if checkout_session_id != enrollment.checkout_session_id:
        raise CheckoutMismatch()
    try:
        checkout = await provider.get_checkout_session(checkout_session_id)
        reference = (
            checkout.merchant_metadata.merchant_reference_id if checkout.merchant_metadata else None
        )
        if reference != order.order_number:
            raise CheckoutMismatch()
        charge = await _charge_of_checkout(provider, checkout_session_id, order)
    except ProviderNotFound as error:
        raise CheckoutMismatch() from error
    except ProviderUnavailable as error:
        raise PaymentProviderUnavailable(headers={"Retry-After": "5"}) from error
    except ProviderRejected as error:
        raise CheckoutNotApproved() from error
    if charge is None:
        _close_unpaid(enrollment, order, reason="CheckoutDeclined", now=now)
        await session.flush()
    else:
        await settle(session, enrollment, order, charge, now=now)
    return enrollment, order


def _close_unpaid(
    enrollment: Enrollment, order: PaymentOrder, *, reason: str, now: datetime
) -> None:
    """The fee was declined (the order fails) or never paid (the caller canceled the order):
    the enrollment gives back the learner's place; asking again reuses the row."""
    mark_failed(order, reason=reason)  # only a pending order moves
    if enrollment.status is EnrollmentStatus.awaiting_payment:
        enrollment.status = EnrollmentStatus.cancelled
        enrollment.cancelled_at = now
        enrollment.cancel_reason = FEE_NOT_PAID


async def settle(
    session: AsyncSession,
    enrollment: Enrollment,
    order: PaymentOrder,
    charge: Charge,
    *,
    now: datetime,
) -> None:
    """Apply a charge's state to the fee order (locked by the caller), forward only."""
    if order.status is not OrderStatus.pending:
        if order.status is not OrderStatus.paid and charge.state is ChargeState.captured:
            logger.error(
                "captured charge for a closed re-enrollment order",
                extra={"order_id": str(order.id), "charge_id": charge.charge_id},
            )
        return
    if charge.state is ChargeState.captured:
        mark_paid(order, provider_charge_id=charge.charge_id, paid_at=now)
        if enrollment.status is EnrollmentStatus.awaiting_payment:
            enrollment.status = EnrollmentStatus.active
            await open_grant(session, enrollment, granted_by_user_id=None)
            await on_paid(session, enrollment, order, now=now)
    elif charge.state in (ChargeState.declined, ChargeState.canceled):
        _close_unpaid(enrollment, order, reason=charge.reason_code or charge.state.value, now=now)
    await session.flush()


async def on_paid(
    session: AsyncSession, enrollment: Enrollment, order: PaymentOrder, *, now: datetime
) -> None:
    """The fee was paid: tell the learner (and an organization's training manager). Reached
    from the payer's return, the webhook and the hourly job alike, so the front-end address is
    read from the settings here rather than passed down three call chains."""
    await emails.re_enrollment_confirmed(
        session, enrollment, order, now=now, frontend_base_url=app_settings().frontend_base_url
    )


async def apply_charge_state(session: AsyncSession, charge: Charge, *, now: datetime) -> bool:
    """The payment webhook's hook: True when `charge` pays a re-enrollment fee."""
    number = charge.merchant_metadata.merchant_reference_id if charge.merchant_metadata else None
    if number is None:
        return False
    order = (
        await session.scalars(
            select(PaymentOrder)
            .where(
                PaymentOrder.order_number == number,
                PaymentOrder.kind == OrderKind.re_enrollment,
            )
            .with_for_update()
        )
    ).one_or_none()
    if order is None:
        return False
    enrollment = await repository.enrollment_by_order(session, order.id)
    if enrollment is None:
        return False
    await settle(session, enrollment, order, charge, now=now)
    return True


async def close_unpaid(
    session: AsyncSession, provider: ProviderClient, *, now: datetime, limit: int = 100
) -> int:
    """Close re-enrollment fee checkouts left open for a day (R-ENR-16). Each is read at the
    provider first: a completed session is settled from its charge (the payer did pay), the rest
    are closed; returns how many were handled. A provider outage leaves rows for the next run."""
    rows = (
        await session.execute(
            repository.unpaid_re_enrollments(now - CHECKOUT_SESSION_LIFETIME, limit)
        )
    ).all()
    handled = 0
    for enrollment, order in rows:
        try:
            charge = await _charge_of_open_session(provider, enrollment)
        except ProviderUnavailable:
            logger.warning("provider unavailable; unpaid re-enrollment kept for the next run")
            continue
        if charge is not None:
            await settle(session, enrollment, order, charge, now=now)
        if order.status is OrderStatus.pending:
            order.status, order.failed_reason = OrderStatus.canceled, "expired"
            _close_unpaid(enrollment, order, reason="expired", now=now)
        handled += 1
    await session.flush()
    return handled


async def _charge_of_open_session(
    provider: ProviderClient, enrollment: Enrollment
) -> Charge | None:
    if enrollment.checkout_session_id is None:
        return None
    try:
        checkout = await provider.get_checkout_session(enrollment.checkout_session_id)
    except ProviderNotFound:
        return None
    if checkout.state is CheckoutSessionState.completed and checkout.charge_id is not None:
        return await provider.get_charge(checkout.charge_id)
    return None
