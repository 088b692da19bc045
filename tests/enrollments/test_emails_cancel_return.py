"""Emails when an application is cancelled (R-ENR-5) or a return is confirmed (R-QST-6)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Role
from tests.enrollments.factories import make_correspondence_course
from tests.enrollments.outbox import (
    ADMIN,
    ME,
    ORG,
    by_user,
    enrollment_emails,
    jst,
    person,
    sent,
)
from tests.factories import bearer_for, make_organization


async def _deliver(
    client: httpx.AsyncClient, staff: dict[str, str], enrollment_id: str, delivered_on: str
) -> None:
    shipped = await client.patch(
        f"{ADMIN}/{enrollment_id}/shipping",
        json={"shipped_on": "2026-11-10", "delivered_on": delivered_on},
        headers=staff,
    )
    assert shipped.status_code == 200, shipped.text


async def test_r_enr_5_learner_cancels_in_time_and_is_emailed_without_a_reason(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(jst(2026, 11, 2))
    course, _ = await make_correspondence_course(session, title="人事労務コース")
    learner, headers = await person(session, settings, jst(2026, 11, 2))
    enrollment_id = (
        await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    ).json()["id"]
    moment = jst(2026, 11, 20, 23)  # day 8 after a delivery on the 12th
    await freeze_time(moment)
    _, staff = await person(session, settings, moment, Role.staff)
    await _deliver(client, staff, enrollment_id, "2026-11-12")
    headers.update(await bearer_for(session, learner, settings, now=moment))
    response = await client.post(
        f"{ME}/{enrollment_id}/cancel", json={"reason": "都合により"}, headers=headers
    )
    assert response.status_code == 200, response.text

    rows = [
        row for row in await enrollment_emails(session) if row.template != "enrollment_accepted"
    ]
    [email] = rows
    assert (email.user_id, email.template) == (learner.id, "enrollment_cancelled")
    assert email.subject == "【学びオンライン】受講申込取消しのお知らせ:人事労務コース"
    assert "取消日: 2026年11月20日" in email.body_text
    # The learner's own note is not repeated back as if it were the company's reason.
    assert "理由" not in email.body_text and "都合により" not in email.body_text
    assert f"/me/enrollments/{enrollment_id}" in email.body_text


async def test_r_enr_5_refused_cancellation_writes_no_email_then_company_fault_tells_the_reason(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(jst(2026, 11, 2))
    course, _ = await make_correspondence_course(session, title="人事労務コース")
    org = await make_organization(session)
    manager, manager_headers = await person(
        session, settings, jst(2026, 11, 2), Role.org_admin, locale="en", organization_id=org.id
    )
    learner, _ = await person(session, settings, jst(2026, 11, 2), organization_id=org.id)
    created = await client.post(
        ORG,
        json={"course_id": str(course.id), "user_id": str(learner.id)},
        headers=manager_headers,
    )
    assert created.status_code == 201, created.text
    enrollment_id = created.json()["id"]
    moment = jst(2026, 11, 21, 9)  # day 9 after a delivery on the 12th: too late
    await freeze_time(moment)
    _, staff = await person(session, settings, moment, Role.staff)
    await _deliver(client, staff, enrollment_id, "2026-11-12")
    manager_headers.update(await bearer_for(session, manager, settings, now=moment))
    accepted = await enrollment_emails(session)

    late = await client.post(f"{ORG}/{enrollment_id}/cancel", json={}, headers=manager_headers)
    assert late.status_code == 409
    no_fault = await client.post(f"{ADMIN}/{enrollment_id}/cancel", json={}, headers=staff)
    assert no_fault.status_code == 409
    no_reason = await client.post(
        f"{ADMIN}/{enrollment_id}/cancel", json={"company_at_fault": True}, headers=staff
    )
    assert no_reason.status_code == 400
    assert await enrollment_emails(session) == accepted  # refusals email nobody

    done = await client.post(
        f"{ADMIN}/{enrollment_id}/cancel",
        json={"company_at_fault": True, "reason": "教材の落丁"},
        headers=staff,
    )
    assert done.status_code == 200, done.text
    rows = [r for r in await enrollment_emails(session) if r.template == "enrollment_cancelled"]
    assert sent(rows) == {
        (learner.id, "enrollment_cancelled"),
        (manager.id, "enrollment_cancelled"),
    }
    mails = by_user(rows)
    [to_learner], [to_manager] = mails[learner.id], mails[manager.id]
    assert "理由: 教材の落丁" in to_learner.body_text
    assert "当社に起因する事由" in to_learner.body_text
    assert "取消日: 2026年11月21日" in to_learner.body_text
    assert to_manager.locale == "en"
    assert "Reason: 教材の落丁 (on our side)" in to_manager.body_text
    assert "Cancelled on: 2026-11-21" in to_manager.body_text
    assert f"/organizations/me/enrollments/{enrollment_id}" in to_manager.body_text


async def test_r_qst_6_confirmed_return_tells_the_learner_questions_close_the_next_day(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(jst(2026, 11, 2))
    course, _ = await make_correspondence_course(
        session, title="人事労務コース", same_month_start=True
    )
    learner, headers = await person(session, settings, jst(2026, 11, 2))
    enrollment_id = (
        await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    ).json()["id"]
    now = jst(2026, 11, 5)
    await freeze_time(now)
    _, staff = await person(session, settings, now, Role.staff)
    bad = await client.post(
        f"{ADMIN}/{enrollment_id}/return", json={"returned_on": "2026-11-06"}, headers=staff
    )
    assert bad.status_code == 400  # in the future: refused, nobody emailed
    assert {r.template for r in await enrollment_emails(session)} == {"enrollment_accepted"}

    response = await client.post(
        f"{ADMIN}/{enrollment_id}/return", json={"returned_on": "2026-11-04"}, headers=staff
    )
    assert response.status_code == 200, response.text
    [email] = [r for r in await enrollment_emails(session) if r.template == "enrollment_returned"]
    assert email.user_id == learner.id
    assert email.subject == "【学びオンライン】教材ご返却確認のお知らせ:人事労務コース"
    assert "返却日: 2026年11月4日" in email.body_text
    assert "2026年11月5日 以降は、このコースへの質問の受付を終了" in email.body_text


async def test_r_qst_6_return_email_in_english(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 5)
    await freeze_time(now)
    course, _ = await make_correspondence_course(session, same_month_start=True)
    learner, headers = await person(session, settings, now, locale="en")
    _, staff = await person(session, settings, now, Role.staff)
    enrollment_id = (
        await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    ).json()["id"]
    response = await client.post(f"{ADMIN}/{enrollment_id}/return", json={}, headers=staff)
    assert response.status_code == 200, response.text
    [email] = [r for r in await enrollment_emails(session) if r.template == "enrollment_returned"]
    assert email.locale == "en" and email.user_id == learner.id
    assert "(returned on 2026-11-05)" in email.body_text
    assert "From 2026-11-06 the course takes no more questions" in email.body_text
    assert email.to_address == learner.email
