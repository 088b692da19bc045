"""Staff worklists on the enrollment list: materials to ship or awaiting delivery (R-ENR-2) and
leave requests waiting for a decision (R-ENR-17)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Enrollment, EnrollmentStatus, Role
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import bearer_for, make_user

ADMIN = "/api/v1/admin/enrollments"
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


async def _row(session: AsyncSession, **changes: Any) -> Enrollment:
    course, settings = await make_correspondence_course(session)
    row = await make_enrollment(
        session,
        await make_user(session),
        course,
        settings,
        accepted_on=date(2026, 11, 20),
        status=EnrollmentStatus.applied,
    )
    for name, value in changes.items():
        setattr(row, name, value)
    await session.flush()
    return row


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> set[str]:
    response = await client.get(f"{ADMIN}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_r_enr_2_17_staff_worklists_for_shipping_and_leave_requests(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(NOW)
    to_ship = await _row(session)
    in_transit = await _row(session, shipped_on=date(2026, 11, 24))
    delivered = await _row(
        session,
        status=EnrollmentStatus.active,
        shipped_on=date(2026, 11, 22),
        delivered_on=date(2026, 11, 24),
    )
    cancelled = await _row(session, status=EnrollmentStatus.cancelled)
    previous = await _row(session, status=EnrollmentStatus.ended)
    re_enrolled = await _row(
        session, status=EnrollmentStatus.active, re_enrollment_of_id=previous.id
    )
    pending_leave = await _row(
        session, status=EnrollmentStatus.active, leave_months=3, leave_reason="illness_or_injury"
    )
    granted_leave = await _row(
        session,
        status=EnrollmentStatus.active,
        leave_months=2,
        leave_reason="other_approved",
        leave_granted_at=NOW,
    )
    staff = await make_user(session, role=Role.staff)
    headers = await bearer_for(session, staff, settings, now=NOW)

    awaiting_shipment = await _ids(client, headers, "shipping=awaiting_shipment")
    assert str(to_ship.id) in awaiting_shipment
    for row in (in_transit, delivered, cancelled, re_enrolled):  # a re-enrollment ships nothing
        assert str(row.id) not in awaiting_shipment
    assert await _ids(client, headers, "shipping=awaiting_delivery") == {str(in_transit.id)}
    assert await _ids(client, headers, "leave=pending") == {str(pending_leave.id)}
    assert await _ids(client, headers, "leave=granted") == {str(granted_leave.id)}

    refused = await client.get(f"{ADMIN}?leave=maybe", headers=headers)
    assert refused.status_code == 422
    member_headers = await bearer_for(session, await make_user(session), settings, now=NOW)
    assert (await client.get(f"{ADMIN}?leave=pending", headers=member_headers)).status_code == 403
