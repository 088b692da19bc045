"""Re-enrollment over the provider simulator (R-ENR-16), leave of absence (R-ENR-17) and the
monthly reminder (R-ENR-18)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.enrollments.reminders import send_report_reminders
from app.enrollments.service import open_grant
from app.kit.calendar import JST
from app.models import AuditEvent, EmailOutbox, Enrollment, EnrollmentStatus, Role
from app.models.enrollment import CompletionStatus
from app.models.entitlement import EntitlementGrant
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import bearer_for, make_organization, make_user
from tests.payments.conftest import sim, simulator  # noqa: F401  (fixtures)
from tests.payments.purchases.shop import Shop, shop  # noqa: F401  (fixture)

ME = "/api/v1/me/enrollments"
ORG = "/api/v1/organizations/me/enrollments"
ADMIN = "/api/v1/admin/enrollments"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jst(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=JST)


async def _ended(shop: Shop, **course: Any) -> tuple[Enrollment, dict[str, str]]:  # noqa: F811
    """An enrollment 2026-02-01 … 2026-07-31 that ended not completed."""
    c, settings = await make_correspondence_course(shop.session, **course)
    user, headers = await shop.person()
    row = await make_enrollment(
        shop.session, user, c, settings, accepted_on=date(2026, 1, 10), delivered_on=None
    )
    row.status = EnrollmentStatus.ended
    row.completion_status = CompletionStatus.not_completed
    await shop.session.flush()
    assert row.enrollment_end_on == date(2026, 7, 31)
    return row, headers


async def _pay(shop: Shop, headers: dict[str, str], prefix: str, body: dict[str, Any]) -> Any:  # noqa: F811
    session_id = body["payment"]["redirect_url"].rsplit("/", 1)[-1]
    await shop.sim.control.approve_checkout(session_id)
    done = await shop.client.post(
        f"{prefix}/{body['id']}/complete-payment",
        json={"checkout_session_id": session_id},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    return done.json()


async def test_r_enr_16_re_enrollment_paid_once_within_a_year(shop: Shop) -> None:  # noqa: F811
    await shop.at(jst(2027, 7, 31))  # the last day of the 1-year window
    previous, headers = await _ended(shop)
    started = await shop.client.post(f"{ME}/{previous.id}/re-enrollment", headers=headers)
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["status"] == "awaiting_payment"
    assert body["re_enrollment_of_id"] == str(previous.id)
    assert body["excellent_deadline_on"] is None
    assert body["start_on"] == "2027-08-01" and body["enrollment_end_on"] == "2028-01-31"
    assert body["payment"]["amount_jpy"] == 4400 and body["payment"]["status"] == "pending"
    paid = await _pay(shop, headers, ME, body)
    assert paid["status"] == "active" and paid["payment"]["status"] == "paid"
    grants = (
        await shop.session.scalars(
            select(EntitlementGrant).where(EntitlementGrant.source_ref == body["id"])
        )
    ).all()
    assert len(grants) == 1
    # R-ENR-16 once only: a second request is refused with the rule's reason.
    again = await shop.client.post(f"{ME}/{previous.id}/re-enrollment", headers=headers)
    assert again.status_code == 409
    assert again.json()["type"].endswith("re-enrollment-not-allowed")
    assert again.json()["reason"] == "already-re-enrolled"
    # …and a re-enrollment cannot itself be re-enrolled.
    chained = await shop.client.post(f"{ME}/{body['id']}/re-enrollment", headers=headers)
    assert chained.status_code == 409


async def test_r_enr_16_one_day_after_the_year_refused(shop: Shop) -> None:  # noqa: F811
    await shop.at(jst(2027, 8, 1))
    previous, headers = await _ended(shop)
    response = await shop.client.post(f"{ME}/{previous.id}/re-enrollment", headers=headers)
    assert response.status_code == 409
    assert response.json()["reason"] == "re-enrollment-period-over"
    count = await shop.session.scalar(
        select(Enrollment.id).where(Enrollment.re_enrollment_of_id == previous.id)
    )
    assert count is None


async def test_r_enr_16_course_excludes_and_completed_refused(shop: Shop) -> None:  # noqa: F811
    await shop.at(jst(2026, 8, 10))
    excluded, headers = await _ended(shop, allows_re_enrollment=False)
    response = await shop.client.post(f"{ME}/{excluded.id}/re-enrollment", headers=headers)
    assert response.json()["reason"] == "course-excludes-re-enrollment"
    completed, headers2 = await _ended(shop, title="別コース")
    completed.completion_status = CompletionStatus.completed
    await shop.session.flush()
    response = await shop.client.post(f"{ME}/{completed.id}/re-enrollment", headers=headers2)
    assert response.json()["reason"] == "enrollment-completed"


async def test_r_enr_16_training_manager_requests_other_org_404(shop: Shop) -> None:  # noqa: F811
    await shop.at(jst(2026, 8, 10))
    org = await make_organization(shop.session)
    other = await make_organization(shop.session, name="別会社")
    previous, _ = await _ended(shop)
    previous.organization_id = org.id
    await shop.session.flush()
    manager = await make_user(shop.session, role=Role.org_admin, organization_id=org.id)
    outsider = await make_user(shop.session, role=Role.org_admin, organization_id=other.id)
    manager_headers = await bearer_for(shop.session, manager, shop.settings, now=shop.now)
    outsider_headers = await bearer_for(shop.session, outsider, shop.settings, now=shop.now)
    refused = await shop.client.post(f"{ORG}/{previous.id}/re-enrollment", headers=outsider_headers)
    assert refused.status_code == 404
    started = await shop.client.post(f"{ORG}/{previous.id}/re-enrollment", headers=manager_headers)
    assert started.status_code == 201, started.text
    paid = await _pay(shop, manager_headers, ORG, started.json())
    assert paid["status"] == "active"


def _leave_files(months: int = 3, content: bytes = PDF) -> dict[str, Any]:
    return {
        "data": {"reason": "illness_or_injury", "months": str(months)},
        "files": {"file": ("proof.pdf", content, "application/pdf")},
    }


async def _running(shop: Shop, org_id: uuid.UUID | None = None) -> Enrollment:  # noqa: F811
    """An enrollment 2026-12-01 … 2027-05-31 (the 15th of May 2027 is a Saturday)."""
    c, settings = await make_correspondence_course(shop.session)
    user = await make_user(shop.session, organization_id=org_id)
    row = await make_enrollment(
        shop.session, user, c, settings, accepted_on=date(2026, 11, 20), organization_id=org_id
    )
    await open_grant(shop.session, row, granted_by_user_id=None)
    return row


async def test_r_enr_17_leave_deadline_15th_on_saturday_walks_back_to_friday(
    shop: Shop,  # noqa: F811
    tmp_path: Any,
) -> None:
    from app.media.storage.local import LocalDiskStorage

    shop.app.state.media_storage = LocalDiskStorage(tmp_path)
    try:
        org = await make_organization(shop.session)
        await shop.at(jst(2027, 5, 14, 23))  # Friday 14th: the deadline (15th is a Saturday)
        row = await _running(shop, org.id)
        manager = await make_user(shop.session, role=Role.org_admin, organization_id=org.id)
        headers = await bearer_for(shop.session, manager, shop.settings, now=shop.now)
        bad = await shop.client.post(
            f"{ORG}/{row.id}/leave", headers=headers, **_leave_files(content=b"MZ not a pdf")
        )
        assert bad.status_code == 415
        assert bad.json()["type"].endswith("leave-proof-invalid")
        requested = await shop.client.post(
            f"{ORG}/{row.id}/leave", headers=headers, **_leave_files(months=3)
        )
        assert requested.status_code == 200, requested.text
        body = requested.json()
        assert body["leave"]["is_granted"] is False and body["enrollment_end_on"] == "2027-05-31"
        twice = await shop.client.post(f"{ORG}/{row.id}/leave", headers=headers, **_leave_files())
        assert twice.json()["reason"] == "leave-already-taken"
        staff = await make_user(shop.session, role=Role.staff)
        staff_headers = await bearer_for(shop.session, staff, shop.settings, now=shop.now)
        granted = await shop.client.post(f"{ADMIN}/{row.id}/leave/grant", headers=staff_headers)
        assert granted.status_code == 200, granted.text
        assert granted.json()["enrollment_end_on"] == "2027-08-31"
        assert granted.json()["original_end_on"] == "2027-05-31"
        grant = (
            await shop.session.scalars(
                select(EntitlementGrant)
                .where(EntitlementGrant.source_ref == str(row.id))
                .execution_options(populate_existing=True)
            )
        ).one()
        assert grant.valid_until == jst(2027, 9, 1, 0)
    finally:
        shop.app.state.media_storage = None


async def test_r_enr_17_leave_on_saturday_15th_refused(shop: Shop, tmp_path: Any) -> None:  # noqa: F811
    from app.media.storage.local import LocalDiskStorage

    shop.app.state.media_storage = LocalDiskStorage(tmp_path)
    try:
        await shop.at(jst(2027, 5, 15, 9))
        row = await _running(shop)
        staff = await make_user(shop.session, role=Role.staff)
        headers = await bearer_for(shop.session, staff, shop.settings, now=shop.now)
        refused = await shop.client.post(
            f"{ADMIN}/{row.id}/leave", headers=headers, **_leave_files()
        )
        assert refused.status_code == 409
        assert refused.json()["reason"] == "leave-deadline-passed"
        assert refused.json()["leave_deadline_on"] == "2027-05-14"
        await shop.session.refresh(row)
        assert row.leave_months == 0 and row.leave_proof_key is None
    finally:
        shop.app.state.media_storage = None


async def test_r_enr_18_monthly_reminder_once_a_month(shop: Shop) -> None:  # noqa: F811
    row = await _running(shop)

    async def counter(session: Any, ids: Any) -> dict[uuid.UUID, int]:
        return {row.id: 2}

    sent = await send_report_reminders(
        shop.session, now=jst(2027, 1, 1, 9), reports_url="https://x", counter=counter
    )
    assert sent >= 1
    again = await send_report_reminders(
        shop.session, now=jst(2027, 1, 20, 9), reports_url="https://x", counter=counter
    )
    assert again == 0
    emails = (
        await shop.session.scalars(
            select(EmailOutbox).where(
                EmailOutbox.user_id == row.user_id, EmailOutbox.template == "report_reminder"
            )
        )
    ).all()
    assert len(emails) == 1 and "2" in emails[0].body_text
    # In the start month nothing is due (R-ENR-18 starts the month after the start).
    fresh = await _running(shop)
    assert (
        await send_report_reminders(
            shop.session,
            now=jst(2026, 12, 20, 9),
            reports_url="https://x",
            counter=lambda s, ids: _const(fresh.id),
        )
        == 0
    )


async def _const(enrollment_id: uuid.UUID) -> dict[uuid.UUID, int]:
    return {enrollment_id: 5}


async def test_r_enr_17_staff_decline_a_leave_request_which_does_not_use_up_the_leave(
    shop: Shop,  # noqa: F811
    tmp_path: Any,
) -> None:
    from app.media.storage.local import LocalDiskStorage

    shop.app.state.media_storage = LocalDiskStorage(tmp_path)
    try:
        org = await make_organization(shop.session)
        await shop.at(jst(2027, 5, 10))
        row = await _running(shop, org.id)
        manager = await make_user(shop.session, role=Role.org_admin, organization_id=org.id)
        headers = await bearer_for(shop.session, manager, shop.settings, now=shop.now)
        staff = await make_user(shop.session, role=Role.staff)
        staff_headers = await bearer_for(shop.session, staff, shop.settings, now=shop.now)
        nothing = await shop.client.post(
            f"{ADMIN}/{row.id}/leave/decline", json={"reason": "-"}, headers=staff_headers
        )
        assert nothing.status_code == 409  # no pending request
        requested = await shop.client.post(
            f"{ORG}/{row.id}/leave", headers=headers, **_leave_files()
        )
        assert requested.status_code == 200, requested.text
        declined = await shop.client.post(
            f"{ADMIN}/{row.id}/leave/decline",
            json={"reason": "診断書の期間が申請と一致しません"},
            headers=staff_headers,
        )
        assert declined.status_code == 200, declined.text
        assert declined.json()["enrollment_end_on"] == "2027-05-31"
        audit = (
            await shop.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "enrollment.leave_declined")
            )
        ).one()
        assert audit.data["months"] == 3 and audit.data["reason"].startswith("診断書")
        # The leave was not used: a corrected request is accepted and can be granted.
        again = await shop.client.post(
            f"{ORG}/{row.id}/leave", headers=headers, **_leave_files(months=2)
        )
        assert again.status_code == 200, again.text
        granted = await shop.client.post(f"{ADMIN}/{row.id}/leave/grant", headers=staff_headers)
        assert granted.json()["enrollment_end_on"] == "2027-07-31"
        # A member cannot decline.
        member_headers = await bearer_for(shop.session, manager, shop.settings, now=shop.now)
        refused = await shop.client.post(
            f"{ADMIN}/{row.id}/leave/decline", json={"reason": "x"}, headers=member_headers
        )
        assert refused.status_code == 403
    finally:
        shop.app.state.media_storage = None
