"""Enrollment API: settings, applications, reads, shipping, cancellation, returns
(R-ENR-1…5, R-ENR-12, R-QST-6, R-B2B-12)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.calendar import JST
from app.models import AuditEvent, Enrollment, EnrollmentStatus, Role, User
from app.models.entitlement import EntitlementGrant, GrantSource
from tests.enrollments.factories import make_correspondence_course
from tests.factories import bearer_for, make_organization, make_user

ME = "/api/v1/me/enrollments"
ORG = "/api/v1/organizations/me/enrollments"
ADMIN = "/api/v1/admin/enrollments"


def jst(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=JST)


async def at(freeze_time: Any, moment: datetime) -> None:
    await freeze_time(moment)


async def person(
    session: AsyncSession, settings: Settings, now: datetime, role: Role = Role.member, **kw: Any
) -> tuple[User, dict[str, str]]:
    user = await make_user(session, role=role, **kw)
    return user, await bearer_for(session, user, settings, now=now)


async def test_r_enr_3_staff_put_and_get_settings(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session)
    _, staff = await person(session, settings, now, Role.staff)
    _, member = await person(session, settings, now)
    url = f"/api/v1/admin/courses/{course.id}/correspondence-settings"
    body = {"standard_period_months": 4, "enrollment_multiplier": 3, "question_quota": 8}
    assert (await client.put(url, json=body, headers=member)).status_code == 403
    response = await client.put(url, json=body, headers=staff)
    assert response.status_code == 200, response.text
    got = (await client.get(url, headers=staff)).json()
    assert got["standard_period_months"] == 4
    assert got["enrollment_months"] == 12
    assert got["question_quota"] == 8
    assert got["same_month_start"] is False


async def test_r_enr_1_3_4_learner_applies_dates_and_grant(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session, standard_period_months=3)
    user, headers = await person(session, settings, now)
    response = await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"{ME}/{body['id']}"
    assert body["start_on"] == "2026-12-01"
    assert body["enrollment_end_on"] == "2027-05-31"
    assert body["excellent_deadline_on"] == "2027-04-30"
    assert body["status"] == "applied"
    assert body["channel"] == "individual"
    assert body["completion_status"] == "pending"
    assert body["materials_ship_by"] == "2026-12-02"  # 7 business days; 11-23 is a holiday
    assert body["materials_may_arrive_after_start"] is True
    grants = (
        await session.scalars(
            select(EntitlementGrant).where(
                EntitlementGrant.source == GrantSource.enrollment,
                EntitlementGrant.source_ref == body["id"],
            )
        )
    ).all()
    assert len(grants) == 1
    assert grants[0].user_id == user.id and grants[0].course_id == course.id
    assert grants[0].valid_from == jst(2026, 12, 1, 0)
    assert grants[0].valid_until == jst(2027, 6, 1, 0)


async def test_r_enr_1_same_month_start(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session, same_month_start=True)
    _, headers = await person(session, settings, now)
    body = (await client.post(ME, json={"course_id": str(course.id)}, headers=headers)).json()
    assert body["start_on"] == "2026-11-01"
    assert body["enrollment_end_on"] == "2027-04-30"


async def test_one_live_enrollment_per_course_409_and_nothing_written(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session)
    user, headers = await person(session, settings, now)
    assert (
        await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    ).status_code == 201
    again = await client.post(
        ME, json={"course_id": str(course.id)}, headers={**headers, "Accept-Language": "en"}
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("enrollment-already-exists")
    count = len(
        (await session.scalars(select(Enrollment).where(Enrollment.user_id == user.id))).all()
    )
    assert count == 1


async def test_r_enr_12_resubmission_service_only_if_offered(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session, offers_resubmission_service=False)
    _, headers = await person(session, settings, now)
    response = await client.post(
        ME, json={"course_id": str(course.id), "has_resubmission_service": True}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("resubmission-service-not-offered")


async def test_staff_application_with_accepted_on_and_filters(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session)
    learner, _ = await person(session, settings, now)
    _, staff = await person(session, settings, now, Role.staff)
    response = await client.post(
        ADMIN,
        json={"course_id": str(course.id), "user_id": str(learner.id), "accepted_on": "2026-10-31"},
        headers=staff,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["channel"] == "staff" and body["start_on"] == "2026-11-01"
    listed = await client.get(ADMIN, params={"user_id": str(learner.id)}, headers=staff)
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]
    empty = await client.get(
        ADMIN, params={"user_id": str(learner.id), "status": "cancelled"}, headers=staff
    )
    assert empty.json()["items"] == []


async def test_lists_are_cursor_paged_and_others_are_404(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    _, headers = await person(session, settings, now)
    _, other = await person(session, settings, now)
    ids = []
    for index in range(3):
        course, _ = await make_correspondence_course(session, title=f"コース{index}")
        response = await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
        ids.append(response.json()["id"])
    first = (await client.get(ME, params={"limit": 2}, headers=headers)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (
        await client.get(ME, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
    ).json()
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert sorted(seen) == sorted(ids) and second["next_cursor"] is None
    assert (await client.get(f"{ME}/{ids[0]}", headers=other)).status_code == 404
    assert (await client.get(ME, headers=other)).json()["items"] == []
    cancel = await client.post(f"{ME}/{ids[0]}/cancel", json={}, headers=other)
    assert cancel.status_code == 404


async def test_r_b2b_12_org_admin_applies_for_own_learner_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session)
    org = await make_organization(session)
    other_org = await make_organization(session, name="別会社")
    admin, admin_headers = await person(
        session, settings, now, Role.org_admin, organization_id=org.id
    )
    _, other_admin = await person(
        session, settings, now, Role.org_admin, organization_id=other_org.id
    )
    learner, _ = await person(session, settings, now, organization_id=org.id)
    outsider, _ = await person(session, settings, now)
    refused = await client.post(
        ORG, json={"course_id": str(course.id), "user_id": str(outsider.id)}, headers=admin_headers
    )
    assert refused.status_code == 404
    assert refused.json()["type"].endswith("learner-not-found")
    response = await client.post(
        ORG,
        json={
            "course_id": str(course.id),
            "user_id": str(learner.id),
            "recipient": "training_manager",
        },
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["channel"] == "organization"
    assert body["organization_id"] == str(org.id)
    assert body["recipient"] == "training_manager"
    assert body["training_manager_user_id"] == str(admin.id)
    listed = (await client.get(ORG, headers=admin_headers)).json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    # Another organization's admin sees nothing and gets 404 on the detail.
    assert (await client.get(ORG, headers=other_admin)).json()["items"] == []
    assert (await client.get(f"{ORG}/{body['id']}", headers=other_admin)).status_code == 404
    assert (
        await client.post(f"{ORG}/{body['id']}/cancel", json={}, headers=other_admin)
    ).status_code == 404


async def _delivered_enrollment(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time: Any,
    delivered_on: date,
) -> tuple[str, dict[str, str], dict[str, str]]:
    now = jst(2026, 11, 2)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session)
    _, headers = await person(session, settings, now)
    enrollment_id = (
        await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    ).json()["id"]
    delivery_day = jst(delivered_on.year, delivered_on.month, delivered_on.day, 18)
    await at(freeze_time, delivery_day)
    _, staff = await person(session, settings, delivery_day, Role.staff)
    shipped = await client.patch(
        f"{ADMIN}/{enrollment_id}/shipping",
        json={"shipped_on": "2026-11-10", "delivered_on": delivered_on.isoformat()},
        headers=staff,
    )
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "active"
    return enrollment_id, headers, staff


async def test_r_enr_2_shipping_dates_validated(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    enrollment_id, _, staff = await _delivered_enrollment(
        client, session, settings, freeze_time, date(2026, 11, 12)
    )
    bad = await client.patch(
        f"{ADMIN}/{enrollment_id}/shipping", json={"delivered_on": "2026-11-09"}, headers=staff
    )
    assert bad.status_code == 400
    assert bad.json()["type"].endswith("enrollment-delivery-dates-invalid")
    body = (await client.get(f"{ADMIN}/{enrollment_id}", headers=staff)).json()
    assert body["delivered_on"] == "2026-11-12"
    assert body["cancellation_deadline_on"] == "2026-11-20"


async def test_r_enr_5_cancel_on_day_8_after_delivery(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    enrollment_id, headers, _ = await _delivered_enrollment(
        client, session, settings, freeze_time, date(2026, 11, 12)
    )
    moment = jst(2026, 11, 20, 23)  # day 8 (delivery day is day 0)
    await at(freeze_time, moment)
    owner = await session.get(User, uuid.UUID(await _owner(session, enrollment_id)))
    assert owner is not None
    headers.update(await bearer_for(session, owner, settings, now=moment))
    response = await client.post(f"{ME}/{enrollment_id}/cancel", json={}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    grant = (
        await session.scalars(
            select(EntitlementGrant)
            .where(EntitlementGrant.source_ref == enrollment_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    # Not started yet (start 2026-12-01): the grant is revoked instead of shortened.
    assert grant.revoked_at is not None


async def _owner(session: AsyncSession, enrollment_id: str) -> str:
    row = await session.get(Enrollment, uuid.UUID(enrollment_id))
    assert row is not None
    return str(row.user_id)


async def test_r_enr_5_day_9_refused_then_staff_company_at_fault(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    enrollment_id, headers, staff = await _delivered_enrollment(
        client, session, settings, freeze_time, date(2026, 11, 12)
    )
    moment = jst(2026, 11, 21, 0)  # day 9
    await at(freeze_time, moment)
    owner = await session.get(User, uuid.UUID(await _owner(session, enrollment_id)))
    assert owner is not None
    headers.update(await bearer_for(session, owner, settings, now=moment))
    staff_user = await make_user(session, role=Role.staff)
    staff = await bearer_for(session, staff_user, settings, now=moment)
    refused = await client.post(f"{ME}/{enrollment_id}/cancel", json={}, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("cancellation-period-over")
    assert refused.json()["cancellation_deadline_on"] == "2026-11-20"
    # Staff without company fault: refused as well; with fault but no reason: 400.
    assert (
        await client.post(f"{ADMIN}/{enrollment_id}/cancel", json={}, headers=staff)
    ).status_code == 409
    no_reason = await client.post(
        f"{ADMIN}/{enrollment_id}/cancel", json={"company_at_fault": True}, headers=staff
    )
    assert no_reason.status_code == 400
    # A learner claiming company fault is ignored (still refused).
    claimed = await client.post(
        f"{ME}/{enrollment_id}/cancel",
        json={"company_at_fault": True, "reason": "x"},
        headers=headers,
    )
    assert claimed.status_code == 409
    done = await client.post(
        f"{ADMIN}/{enrollment_id}/cancel",
        json={"company_at_fault": True, "reason": "教材の落丁"},
        headers=staff,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "cancelled"
    audit = (
        await session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "enrollment.cancelled",
                AuditEvent.target_id == enrollment_id,
            )
        )
    ).one()
    assert audit.data["company_at_fault"] is True and audit.data["reason"] == "教材の落丁"


async def test_r_qst_6_staff_confirm_return_ends_access_next_day(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 2)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session, same_month_start=True)
    _, headers = await person(session, settings, now)
    _, staff = await person(session, settings, now, Role.staff)
    enrollment_id = (
        await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    ).json()["id"]
    response = await client.post(
        f"{ADMIN}/{enrollment_id}/return", json={"returned_on": "2026-11-02"}, headers=staff
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "returned"
    assert response.json()["returned_on"] == "2026-11-02"
    grant = (
        await session.scalars(
            select(EntitlementGrant)
            .where(EntitlementGrant.source_ref == enrollment_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    assert grant.valid_until == jst(2026, 11, 3, 0)
    again = await client.post(f"{ADMIN}/{enrollment_id}/return", json={}, headers=staff)
    assert again.status_code == 409


async def test_status_is_ended_after_the_end_by_the_job(
    session: AsyncSession,
) -> None:
    from app.enrollments.service import close_ended
    from tests.enrollments.factories import make_enrollment

    course, course_settings = await make_correspondence_course(session)
    user = await make_user(session)
    row = await make_enrollment(
        session, user, course, course_settings, accepted_on=date(2026, 11, 20)
    )
    assert await close_ended(session, today=date(2027, 5, 31)) == 0
    assert await close_ended(session, today=date(2027, 6, 1)) >= 1
    await session.refresh(row)
    assert row.status is EnrollmentStatus.ended
