"""Emails about enrollment decisions, written to the outbox in the caller's transaction (R-NTF-2).

- `enrollment_accepted` (R-ENR-1…4): course, start date, enrollment end, excellent-completion
  deadline when there is one, materials shipping in about 7 business days (R-ENR-2).
- `enrollment_cancelled` (R-ENR-5): with the staff's reason when the company was at fault.
- `enrollment_returned` (R-QST-6): no questions from the day after the return.
- `leave_requested` / `leave_granted` / `leave_declined` (R-ENR-17).
- `re_enrollment_confirmed` (R-ENR-16): new dates, no excellent completion, order and fee.

Who is emailed: the learner, plus the training manager named on an organization's enrollment
(`training_manager_user_id`, R-B2B-12) for acceptance, cancellation and re-enrollment; for leave,
the learner and whoever requested it (not staff). Each person gets one email in their own
language with their own name; accounts that are not active get none. Links point to the
front end's page of the enrollment: `/me/enrollments/{id}` for the learner,
`/organizations/me/enrollments/{id}` for a manager (the API's own paths). Dates read as in the
other emails (`app.notifications.formatting`). Templates live in `app.notifications.templates`.
Every function returns the outbox rows it wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.auth import STAFF_ROLES
from app.enrollments import rules
from app.kit.calendar import jst_date
from app.models.content import Course
from app.models.enrollment import Enrollment
from app.models.payment import PaymentOrder
from app.models.platform import EmailOutbox
from app.models.user import AccountStatus, User
from app.notifications.formatting import format_email_date, format_email_yen
from app.notifications.service import notify_user

Values = Callable[[str], dict[str, object]]
"""Locale → the template values that depend on the reader's language."""

LEAVE_REASONS: dict[str, dict[str, str]] = {
    rules.LeaveReason.illness_or_injury: {"ja": "病気・ケガの療養", "en": "illness or injury"},
    rules.LeaveReason.disaster_or_fire: {
        "ja": "自然災害・火災等の罹災",
        "en": "natural disaster or fire",
    },
    rules.LeaveReason.other_approved: {
        "ja": "その他やむを得ない事情",
        "en": "other unavoidable circumstances",
    },
}


def enrollment_url(frontend_base_url: str, enrollment: Enrollment, reader: User) -> str:
    base = frontend_base_url.rstrip("/")
    if reader.id == enrollment.user_id:
        return f"{base}/me/enrollments/{enrollment.id}"
    return f"{base}/organizations/me/enrollments/{enrollment.id}"


def _day(day: date, locale: str) -> str:
    return format_email_date(day, locale)


def _pick(texts: dict[str, str], locale: str) -> str:
    return texts.get(locale, texts["ja"])


def _organization_manager(enrollment: Enrollment) -> uuid.UUID | None:
    """The training manager named on an organization's enrollment (R-B2B-12), if any."""
    return enrollment.training_manager_user_id if enrollment.organization_id else None


async def _recipients(
    session: AsyncSession, enrollment: Enrollment, others: Iterable[uuid.UUID | None]
) -> list[User]:
    """The learner first, then `others`: once each, active accounts only, no staff copies."""
    people: list[User] = []
    seen: set[uuid.UUID] = set()
    for user_id in (enrollment.user_id, *others):
        if user_id is None or user_id in seen:
            continue
        seen.add(user_id)
        user = await session.get(User, user_id)
        if user is None or user.status is not AccountStatus.active:
            continue
        if user.id != enrollment.user_id and user.role in STAFF_ROLES:
            continue
        people.append(user)
    return people


async def _send(
    session: AsyncSession,
    enrollment: Enrollment,
    *,
    template: str,
    others: Iterable[uuid.UUID | None],
    values: Values,
    now: datetime,
    frontend_base_url: str,
) -> list[EmailOutbox]:
    learner = await session.get(User, enrollment.user_id)
    course = await session.get(Course, enrollment.course_id)
    assert learner is not None and course is not None
    sent = []
    for person in await _recipients(session, enrollment, others):
        sent.append(
            await notify_user(
                session,
                person,
                template=template,
                now=now,
                context={
                    "learner_name": learner.name,
                    "course_title": course.title,
                    "enrollment_url": enrollment_url(frontend_base_url, enrollment, person),
                    **values(person.locale),
                },
            )
        )
    return sent


def _excellent_line(enrollment: Enrollment, locale: str) -> str:
    if enrollment.excellent_deadline_on is None:
        return ""
    day = _day(enrollment.excellent_deadline_on, locale)
    return f"Excellent-completion deadline: {day}\n" if locale == "en" else f"優秀修了期限: {day}\n"


async def enrollment_accepted(
    session: AsyncSession,
    enrollment: Enrollment,
    *,
    same_month_start: bool,
    now: datetime,
    frontend_base_url: str,
) -> list[EmailOutbox]:
    """R-ENR-1…4: the application is accepted; to the learner and an organization's manager."""
    ship_by = rules.materials_ship_by(enrollment.accepted_on)
    late = rules.materials_may_arrive_after_start(
        enrollment.accepted_on, same_month_start=same_month_start
    )
    late_text = {
        "ja": "※お申込みの時期により、教材のお届けが開講日以降になる場合があります。\n",
        "en": "Depending on when the application was made, the materials may arrive after the "
        "start date.\n",
    }

    def values(locale: str) -> dict[str, object]:
        return {
            "start_on": _day(enrollment.start_on, locale),
            "enrollment_end_on": _day(enrollment.enrollment_end_on, locale),
            "excellent_line": _excellent_line(enrollment, locale),
            "materials_ship_by": _day(ship_by, locale),
            "late_delivery_line": _pick(late_text, locale) if late else "",
        }

    return await _send(
        session,
        enrollment,
        template="enrollment_accepted",
        others=[_organization_manager(enrollment)],
        values=values,
        now=now,
        frontend_base_url=frontend_base_url,
    )


async def enrollment_cancelled(
    session: AsyncSession,
    enrollment: Enrollment,
    *,
    company_at_fault: bool,
    now: datetime,
    frontend_base_url: str,
) -> list[EmailOutbox]:
    """R-ENR-5: the application is cancelled; the reason is told when the company was at fault."""
    cancelled_on = jst_date(enrollment.cancelled_at or now)
    reason = enrollment.cancel_reason if company_at_fault else None

    def values(locale: str) -> dict[str, object]:
        line = ""
        if reason:
            line = (
                f"Reason: {reason} (on our side). We apologise for the inconvenience.\n"
                if locale == "en"
                else f"理由: {reason}(当社に起因する事由による取消しです。"
                "ご迷惑をおかけし申し訳ございません。)\n"
            )
        return {"cancelled_on": _day(cancelled_on, locale), "reason_line": line}

    return await _send(
        session,
        enrollment,
        template="enrollment_cancelled",
        others=[_organization_manager(enrollment)],
        values=values,
        now=now,
        frontend_base_url=frontend_base_url,
    )


async def enrollment_returned(
    session: AsyncSession, enrollment: Enrollment, *, now: datetime, frontend_base_url: str
) -> list[EmailOutbox]:
    """R-QST-6: the return is confirmed; questions close from the next day."""
    returned_on = enrollment.returned_on or jst_date(now)

    def values(locale: str) -> dict[str, object]:
        return {
            "returned_on": _day(returned_on, locale),
            "closes_on": _day(returned_on + timedelta(days=1), locale),
        }

    return await _send(
        session,
        enrollment,
        template="enrollment_returned",
        others=[],
        values=values,
        now=now,
        frontend_base_url=frontend_base_url,
    )


async def leave_requested(
    session: AsyncSession, enrollment: Enrollment, *, now: datetime, frontend_base_url: str
) -> list[EmailOutbox]:
    """R-ENR-17: a leave request awaits the staff's decision; to the learner and the requester."""
    extended = rules.extended_end_on(enrollment.original_end_on, enrollment.leave_months)
    reason = LEAVE_REASONS.get(
        enrollment.leave_reason or "", LEAVE_REASONS[rules.LeaveReason.other_approved]
    )

    def values(locale: str) -> dict[str, object]:
        return {
            "leave_reason": _pick(reason, locale),
            "months": enrollment.leave_months,
            "enrollment_end_on": _day(enrollment.enrollment_end_on, locale),
            "extended_end_on": _day(extended, locale),
        }

    return await _send(
        session,
        enrollment,
        template="leave_requested",
        others=[enrollment.leave_requested_by_user_id],
        values=values,
        now=now,
        frontend_base_url=frontend_base_url,
    )


async def leave_granted(
    session: AsyncSession,
    enrollment: Enrollment,
    *,
    previous_end_on: date,
    now: datetime,
    frontend_base_url: str,
) -> list[EmailOutbox]:
    """R-ENR-17: the leave is granted (the new end is stored); to the learner and the requester."""

    def values(locale: str) -> dict[str, object]:
        excellent = ""
        if enrollment.excellent_deadline_on is not None:
            day = _day(enrollment.excellent_deadline_on, locale)
            excellent = (
                f"The excellent-completion deadline stays {day}.\n"
                if locale == "en"
                else f"優秀修了期限({day})は変わりません。\n"
            )
        return {
            "months": enrollment.leave_months,
            "previous_end_on": _day(previous_end_on, locale),
            "enrollment_end_on": _day(enrollment.enrollment_end_on, locale),
            "excellent_line": excellent,
        }

    return await _send(
        session,
        enrollment,
        template="leave_granted",
        others=[enrollment.leave_requested_by_user_id],
        values=values,
        now=now,
        frontend_base_url=frontend_base_url,
    )


async def leave_declined(
    session: AsyncSession,
    enrollment: Enrollment,
    *,
    requested_by_user_id: uuid.UUID | None,
    months: int,
    reason: str,
    now: datetime,
    frontend_base_url: str,
) -> list[EmailOutbox]:
    """R-ENR-17: staff declined the request (`reason`); the request itself is already withdrawn
    from the enrollment, so the requester and months are passed in."""
    deadline = rules.leave_deadline_on(enrollment.original_end_on)
    still_open = jst_date(now) <= deadline

    def values(locale: str) -> dict[str, object]:
        reapply = ""
        if still_open:
            day = _day(deadline, locale)
            reapply = (
                f"A new request can be made until {day}.\n"
                if locale == "en"
                else f"あらためて申請される場合の期限は {day} です。\n"
            )
        return {
            "months": months,
            "decline_reason": reason,
            "enrollment_end_on": _day(enrollment.enrollment_end_on, locale),
            "reapply_line": reapply,
        }

    return await _send(
        session,
        enrollment,
        template="leave_declined",
        others=[requested_by_user_id],
        values=values,
        now=now,
        frontend_base_url=frontend_base_url,
    )


async def re_enrollment_confirmed(
    session: AsyncSession,
    enrollment: Enrollment,
    order: PaymentOrder,
    *,
    now: datetime,
    frontend_base_url: str,
) -> list[EmailOutbox]:
    """R-ENR-16: the fee is paid; new dates, no excellent completion, order number and fee."""

    def values(locale: str) -> dict[str, object]:
        return {
            "start_on": _day(enrollment.start_on, locale),
            "enrollment_end_on": _day(enrollment.enrollment_end_on, locale),
            "order_number": order.order_number,
            "amount": format_email_yen(order.total_jpy, locale),
        }

    return await _send(
        session,
        enrollment,
        template="re_enrollment_confirmed",
        others=[_organization_manager(enrollment)],
        values=values,
        now=now,
        frontend_base_url=frontend_base_url,
    )
