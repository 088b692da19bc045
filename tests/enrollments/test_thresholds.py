"""An organization's own completion thresholds (R-ENR-11), snapshotted at application."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEvent, Enrollment, Role
from tests.enrollments.factories import make_correspondence_course
from tests.enrollments.test_api_enrollments import ORG, at, jst, person
from tests.factories import make_organization

MINE = "/api/v1/organizations/me/completion-thresholds"


async def test_r_enr_11_organization_thresholds_apply_to_new_enrollments(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await at(freeze_time, now)
    course, _ = await make_correspondence_course(session)
    org = await make_organization(session)
    _, admin = await person(session, settings, now, Role.org_admin, organization_id=org.id)
    learner, member_headers = await person(session, settings, now, organization_id=org.id)

    defaults = await client.get(MINE, headers=admin)
    assert defaults.status_code == 200
    assert defaults.json()["pass_average"] == 60 and all(defaults.json()["is_default"].values())

    changed = await client.put(
        MINE, json={"pass_average": 70, "excellent_average": 95, "pass_mark": 65}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["pass_average"], body["excellent_average"], body["excellent_minimum"]) == (
        70,
        95,
        70,
    )
    assert body["is_default"]["excellent_minimum"] is True
    applied = await client.post(
        ORG, json={"course_id": str(course.id), "user_id": str(learner.id)}, headers=admin
    )
    assert applied.status_code == 201, applied.text
    enrollment = (
        await session.execute(select(Enrollment).where(Enrollment.user_id == learner.id))
    ).scalar_one()
    assert (enrollment.pass_average, enrollment.excellent_average, enrollment.pass_mark) == (
        70,
        95,
        65,
    )
    audited = await session.scalar(
        select(AuditEvent.action).where(
            AuditEvent.action == "organization.completion_thresholds_changed"
        )
    )
    assert audited is not None

    # A later change does not move the running enrollment.
    assert (await client.put(MINE, json={"pass_average": 80}, headers=admin)).status_code == 200
    await session.refresh(enrollment)
    assert enrollment.pass_average == 70

    # Incoherent with the default excellent average (90): refused, nothing changes.
    refused = await client.put(MINE, json={"pass_average": 95}, headers=admin)
    assert refused.status_code == 400
    assert refused.json()["type"] == "completion-thresholds-incoherent"
    assert (await client.get(MINE, headers=admin)).json()["pass_average"] == 80
    # Members cannot set them.
    assert (await client.put(MINE, json={}, headers=member_headers)).status_code == 403
