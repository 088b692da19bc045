"""A re-enrollment before and without its fee (R-ENR-16): it takes no reports or questions, holds
the learner's place, and gives it back when the fee is declined or the checkout is left open for
a day (the provider cancels such a session). Driven over the provider simulator."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.enrollments.re_enrollment import FEE_NOT_PAID, close_unpaid
from app.kit.calendar import JST
from app.models import Enrollment, EnrollmentStatus, ReportUnit, ReportUnitKind, Role
from app.models.enrollment import CompletionStatus
from app.models.entitlement import EntitlementGrant
from app.models.payment import PaymentOrder
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.payments.conftest import sim, simulator  # noqa: F401  (fixtures)
from tests.payments.purchases.shop import Shop, shop  # noqa: F401  (fixture)

ME = "/api/v1/me/enrollments"
ADMIN = "/api/v1/admin/enrollments"


def jst(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=JST)


async def _ended(shop: Shop) -> tuple[Enrollment, dict[str, str]]:  # noqa: F811
    """An enrollment 2026-02-01 … 2026-07-31 that ended not completed, in a course with one
    multiple-choice report unit."""
    course, settings = await make_correspondence_course(shop.session)
    shop.session.add(
        ReportUnit(
            id=uuid.uuid4(),
            course_id=course.id,
            position=1,
            title="第1回レポート",
            instructions="",
            kind=ReportUnitKind.multiple_choice,
            questions=[{"prompt": "問1", "choices": ["ア", "イ"], "correct_choice": 0}],
        )
    )
    user, headers = await shop.person()
    row = await make_enrollment(
        shop.session, user, course, settings, accepted_on=date(2026, 1, 10), delivered_on=None
    )
    row.status = EnrollmentStatus.ended
    row.completion_status = CompletionStatus.not_completed
    await shop.session.flush()
    return row, headers


async def _request(shop: Shop, previous: Enrollment, headers: dict[str, str]) -> dict[str, Any]:  # noqa: F811
    started = await shop.client.post(f"{ME}/{previous.id}/re-enrollment", headers=headers)
    assert started.status_code == 201, started.text
    body: dict[str, Any] = started.json()
    return body


def _session_id(body: dict[str, Any]) -> str:
    return str(body["payment"]["redirect_url"].rsplit("/", 1)[-1])


async def _complete(
    on: Shop, headers: dict[str, str], body: dict[str, Any], session_id: str
) -> Any:
    return await on.client.post(
        f"{ME}/{body['id']}/complete-payment",
        json={"checkout_session_id": session_id},
        headers=headers,
    )


async def _state(shop: Shop, enrollment_id: str) -> tuple[EnrollmentStatus, str | None, str]:  # noqa: F811
    row = await shop.session.get(Enrollment, uuid.UUID(enrollment_id), populate_existing=True)
    assert row is not None and row.order_id is not None
    order = await shop.session.get(PaymentOrder, row.order_id, populate_existing=True)
    assert order is not None
    return row.status, row.cancel_reason, order.status.value


async def test_r_enr_16_unpaid_re_enrollment_takes_no_reports_or_questions_and_holds_the_place(
    shop: Shop,  # noqa: F811
) -> None:
    await shop.at(jst(2027, 3, 10))
    previous, headers = await _ended(shop)
    body = await _request(shop, previous, headers)
    assert body["status"] == "awaiting_payment"
    assert body["start_on"] == "2027-04-01"
    assert body["materials_ship_by"] is None  # a re-enrollment ships nothing
    assert body["materials_may_arrive_after_start"] is False
    await shop.at(jst(2027, 4, 2))  # the new period has started, the fee is still unpaid

    unit_id = (
        await shop.session.scalars(
            select(ReportUnit.id).where(ReportUnit.course_id == previous.course_id)
        )
    ).one()
    report = await shop.client.post(
        f"{ME}/{body['id']}/report-units/{unit_id}/submissions",
        json={"answers": [0]},
        headers=headers,
    )
    assert report.status_code == 409, report.text
    assert report.json()["type"] == "re-enrollment-fee-unpaid"
    units = await shop.client.get(f"{ME}/{body['id']}/report-units", headers=headers)
    assert units.status_code == 200, units.text
    assert [(u["may_submit"], u["refusal"]) for u in units.json()["items"]] == [
        (False, "re-enrollment-fee-unpaid")
    ]
    question = await shop.client.post(
        f"{ME}/{body['id']}/questions",
        data={"title": "第1回について", "body": "問1の意味を教えてください。"},
        headers=headers,
    )
    assert question.status_code == 409, question.text
    assert question.json()["type"] == "re-enrollment-fee-unpaid"
    grants = await shop.session.scalars(
        select(EntitlementGrant).where(EntitlementGrant.source_ref == body["id"])
    )
    assert grants.all() == []

    # The place is held: staff cannot enter a second application for the same course meanwhile.
    _, staff = await shop.person(Role.staff)
    second = await shop.client.post(
        ADMIN,
        json={"course_id": str(previous.course_id), "user_id": str(previous.user_id)},
        headers=staff,
    )
    assert second.status_code == 409, second.text
    assert second.json()["enrollment_id"] == body["id"]


async def test_r_enr_16_checkout_open_a_day_is_closed_and_frees_the_place(shop: Shop) -> None:  # noqa: F811
    start = jst(2027, 3, 10, 10)
    await shop.at(start)
    previous, headers = await _ended(shop)
    body = await _request(shop, previous, headers)

    # Day before the deadline (23 h 59 min): the checkout is still the payer's to finish.
    almost = start + timedelta(hours=23, minutes=59)
    await shop.at(almost)
    assert await close_unpaid(shop.session, shop.provider, now=almost) == 0
    assert (await _state(shop, body["id"]))[0] is EnrollmentStatus.awaiting_payment

    late = start + timedelta(hours=24, minutes=1)
    await shop.at(late)
    assert await close_unpaid(shop.session, shop.provider, now=late) == 1
    await shop.session.commit()
    assert await _state(shop, body["id"]) == (EnrollmentStatus.cancelled, FEE_NOT_PAID, "canceled")
    shown = (await shop.client.get(f"{ME}/{body['id']}", headers=headers)).json()
    assert shown["status"] == "cancelled"
    # The payer's return after that is refused; nothing is charged.
    refused = await _complete(shop, headers, body, _session_id(body))
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "re-enrollment-not-pending"

    # The place is free again: asking again reuses the same enrollment with a fresh order.
    again = await _request(shop, previous, headers)
    assert again["id"] == body["id"] and again["status"] == "awaiting_payment"
    assert again["payment"]["order_number"] != body["payment"]["order_number"]
    await shop.sim.control.approve_checkout(_session_id(again))
    paid = await _complete(shop, headers, again, _session_id(again))
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "active" and paid.json()["payment"]["status"] == "paid"


async def test_r_enr_16_checkout_completed_but_answer_lost_is_settled_by_the_job(
    shop: Shop,  # noqa: F811
) -> None:
    start = jst(2027, 3, 10, 10)
    await shop.at(start)
    previous, headers = await _ended(shop)
    body = await _request(shop, previous, headers)
    session_id = _session_id(body)
    await shop.sim.control.approve_checkout(session_id)
    # The payer paid but our answer to the return was lost: the provider holds a captured charge.
    await shop.provider.complete_checkout_session(session_id, amount_jpy=4400)

    late = start + timedelta(days=1, minutes=1)
    await shop.at(late)
    assert await close_unpaid(shop.session, shop.provider, now=late) == 1
    await shop.session.commit()
    assert await _state(shop, body["id"]) == (EnrollmentStatus.active, None, "paid")
    grants = await shop.session.scalars(
        select(EntitlementGrant).where(EntitlementGrant.source_ref == body["id"])
    )
    assert len(grants.all()) == 1


async def test_r_enr_16_declined_fee_frees_the_place_and_a_new_request_pays(shop: Shop) -> None:  # noqa: F811
    await shop.at(jst(2027, 3, 10))
    previous, headers = await _ended(shop)
    body = await _request(shop, previous, headers)
    session_id = _session_id(body)
    await shop.sim.control.queue_checkout_outcomes(session_id, ["HardDeclined"])
    await shop.sim.control.approve_checkout(session_id)
    declined = await _complete(shop, headers, body, session_id)
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "cancelled"
    assert declined.json()["payment"]["status"] == "failed"
    status, reason, _ = await _state(shop, body["id"])
    assert (status, reason) == (EnrollmentStatus.cancelled, FEE_NOT_PAID)

    again = await _request(shop, previous, headers)
    assert again["id"] == body["id"]
    await shop.sim.control.approve_checkout(_session_id(again))
    paid = await _complete(shop, headers, again, _session_id(again))
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "active"


async def test_r_enr_16_return_with_another_checkout_session_is_refused(shop: Shop) -> None:  # noqa: F811
    await shop.at(jst(2027, 3, 10))
    mine, my_headers = await _ended(shop)
    theirs, their_headers = await _ended(shop)
    my_body = await _request(shop, mine, my_headers)
    their_body = await _request(shop, theirs, their_headers)
    await shop.sim.control.approve_checkout(_session_id(their_body))
    # Someone else's approved session handed back on my return URL pays nothing of mine.
    refused = await _complete(shop, my_headers, my_body, _session_id(their_body))
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "re-enrollment-checkout-mismatch"
    assert (await _state(shop, my_body["id"]))[0] is EnrollmentStatus.awaiting_payment
