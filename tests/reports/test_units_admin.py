"""Staff manage report units (R-ENR-6): create, order, change, delete; questions freeze once a
unit has a submission; learners never see the answer key."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Role
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import bearer_for, make_course, make_user
from tests.reports.test_reports_api import IN_TERM

QUESTION = {"prompt": "就業規則の届出先は?", "choices": ["労基署", "市役所"], "correct_choice": 0}


async def test_r_enr_6_staff_manage_report_units(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(IN_TERM)
    course, course_settings = await make_correspondence_course(session)
    staff = await make_user(session, role=Role.staff)
    headers = await bearer_for(session, staff, settings, IN_TERM)
    base = f"/api/v1/admin/courses/{course.id}/report-units"

    essay = await client.post(base, json={"title": "論述", "kind": "essay"}, headers=headers)
    assert essay.status_code == 201, essay.text
    assert essay.headers["Location"].endswith(essay.json()["id"])
    mc = await client.post(
        base,
        json={"title": "択一", "kind": "multiple_choice", "questions": [QUESTION], "position": 1},
        headers=headers,
    )
    assert mc.status_code == 201, mc.text
    listed = (await client.get(base, headers=headers)).json()["items"]
    assert [(u["title"], u["position"]) for u in listed] == [("択一", 1), ("論述", 2)]

    # Shapes that cannot be graded are refused and create nothing.
    no_questions = await client.post(
        base, json={"title": "空", "kind": "multiple_choice"}, headers=headers
    )
    assert no_questions.status_code == 400
    assert no_questions.json()["type"] == "report-unit-invalid"
    essay_with_key = await client.post(
        base, json={"title": "論述2", "kind": "essay", "questions": [QUESTION]}, headers=headers
    )
    assert essay_with_key.status_code == 400
    assert len((await client.get(base, headers=headers)).json()["items"]) == 2
    other = await make_course(session)  # not a correspondence course
    assert (
        await client.post(
            f"/api/v1/admin/courses/{other.id}/report-units",
            json={"title": "x", "kind": "essay"},
            headers=headers,
        )
    ).status_code == 404

    # Learners see the unit without its answer key.
    learner = await make_user(session)
    enrollment = await make_enrollment(
        session, learner, course, course_settings, accepted_on=date(2026, 11, 20)
    )
    learner_headers = await bearer_for(session, learner, settings, IN_TERM)
    seen = await client.get(
        f"/api/v1/me/enrollments/{enrollment.id}/report-units", headers=learner_headers
    )
    assert seen.status_code == 200, seen.text
    assert "correct_choice" not in seen.text and "労基署" in seen.text

    # Once submitted, the questions are frozen and the unit cannot be deleted; its title can change.
    unit_id = mc.json()["id"]
    submitted = await client.post(
        f"/api/v1/me/enrollments/{enrollment.id}/report-units/{unit_id}/submissions",
        json={"answers": [0]},
        headers=learner_headers,
    )
    assert submitted.status_code == 201, submitted.text
    frozen = await client.patch(
        f"/api/v1/admin/report-units/{unit_id}",
        json={"questions": [QUESTION, QUESTION]},
        headers=headers,
    )
    assert frozen.status_code == 409 and frozen.json()["type"] == "report-unit-has-submissions"
    renamed = await client.patch(
        f"/api/v1/admin/report-units/{unit_id}", json={"title": "択一(改)"}, headers=headers
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "択一(改)"
    assert (
        await client.delete(f"/api/v1/admin/report-units/{unit_id}", headers=headers)
    ).status_code == 409
    assert (
        await client.delete(f"/api/v1/admin/report-units/{essay.json()['id']}", headers=headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/admin/report-units/{essay.json()['id']}", headers=headers)
    ).status_code == 404
    # Members cannot manage units.
    assert (
        await client.post(base, json={"title": "x", "kind": "essay"}, headers=learner_headers)
    ).status_code == 403
