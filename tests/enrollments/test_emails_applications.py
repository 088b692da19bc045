"""Emails when an application is accepted (R-ENR-1…4, R-B2B-12, R-NTF-2), through every channel:
the learner's own, staff's and an organization's training manager's."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AccountStatus, Role
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
from tests.factories import make_organization


async def test_r_enr_1_2_3_4_learner_application_emails_dates_in_japanese(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)  # after the 15th: materials may arrive after the start (R-ENR-2)
    await freeze_time(now)
    course, _ = await make_correspondence_course(session, title="人事労務コース")
    learner, headers = await person(session, settings, now, name="山田 花子")
    response = await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    assert response.status_code == 201, response.text
    enrollment_id = response.json()["id"]

    [email] = await enrollment_emails(session)
    assert email.template == "enrollment_accepted"
    assert email.user_id == learner.id and email.to_address == learner.email
    assert email.locale == "ja"
    assert email.subject == "【学びオンライン】受講申込受付のお知らせ:人事労務コース"
    body = email.body_text
    assert body.startswith("山田 花子 様")
    assert "開講日: 2026年12月1日" in body  # R-ENR-1
    assert "在籍期間: 2026年12月1日 〜 2027年5月31日" in body  # R-ENR-3
    assert "優秀修了期限: 2027年4月30日" in body  # R-ENR-4
    assert "7営業日程度" in body and "発送予定日: 2026年12月2日" in body  # R-ENR-2
    assert "教材のお届けが開講日以降になる場合があります" in body
    assert f"{settings.frontend_base_url}/me/enrollments/{enrollment_id}" in body
    assert "学びオンライン事務局" in body


async def test_r_enr_1_4_staff_application_emails_learner_in_english_not_staff(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 10)
    await freeze_time(now)
    course, _ = await make_correspondence_course(session, title="Labour law")
    learner, _ = await person(session, settings, now, locale="en", name="Hanako Yamada")
    _, staff_headers = await person(session, settings, now, Role.staff)
    response = await client.post(
        ADMIN,
        json={"course_id": str(course.id), "user_id": str(learner.id)},
        headers=staff_headers,
    )
    assert response.status_code == 201, response.text

    [email] = await enrollment_emails(session)
    assert (email.user_id, email.locale) == (learner.id, "en")
    assert email.subject == "[Manabi Online] Application accepted: Labour law"
    body = email.body_text
    assert body.startswith("Dear Hanako Yamada,")
    assert "Start date: 2026-12-01" in body
    assert "Enrollment period: 2026-12-01 to 2027-05-31" in body
    assert "Excellent-completion deadline: 2027-04-30" in body
    assert "about 7 business days" in body and "expected by 2026-11-19" in body
    # Accepted by the 15th: no warning that the materials may come after the start.
    assert "may arrive after" not in body
    assert "Manabi Online support office" in body


async def test_r_b2b_12_organization_application_emails_learner_and_training_manager(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await freeze_time(now)
    course, _ = await make_correspondence_course(session, title="人事労務コース")
    org = await make_organization(session)
    manager, manager_headers = await person(
        session, settings, now, Role.org_admin, locale="en", name="Ken Sato", organization_id=org.id
    )
    learner, _ = await person(session, settings, now, name="山田 花子", organization_id=org.id)
    response = await client.post(
        ORG,
        json={
            "course_id": str(course.id),
            "user_id": str(learner.id),
            "recipient": "training_manager",
        },
        headers=manager_headers,
    )
    assert response.status_code == 201, response.text
    enrollment_id = response.json()["id"]

    rows = await enrollment_emails(session)
    assert sent(rows) == {
        (learner.id, "enrollment_accepted"),
        (manager.id, "enrollment_accepted"),
    }
    mails = by_user(rows)
    [to_learner], [to_manager] = mails[learner.id], mails[manager.id]
    # Each in their own language, with their own name and their own page.
    assert to_learner.locale == "ja" and to_learner.body_text.startswith("山田 花子 様")
    assert f"/me/enrollments/{enrollment_id}" in to_learner.body_text
    assert to_manager.locale == "en" and to_manager.to_address == manager.email
    assert to_manager.body_text.startswith("Dear Ken Sato,")
    assert "Learner: 山田 花子" in to_manager.body_text
    assert "Start date: 2026-12-01" in to_manager.body_text
    assert (
        f"{settings.frontend_base_url}/organizations/me/enrollments/{enrollment_id}"
        in to_manager.body_text
    )


async def test_r_b2b_12_manager_enrolling_themself_gets_one_email(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await freeze_time(now)
    course, _ = await make_correspondence_course(session)
    org = await make_organization(session)
    manager, headers = await person(session, settings, now, Role.org_admin, organization_id=org.id)
    response = await client.post(
        ORG, json={"course_id": str(course.id), "user_id": str(manager.id)}, headers=headers
    )
    assert response.status_code == 201, response.text
    [email] = await enrollment_emails(session)
    assert email.user_id == manager.id
    assert f"/me/enrollments/{response.json()['id']}" in email.body_text


async def test_r_enr_1_inactive_learner_gets_no_email_the_manager_still_does(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await freeze_time(now)
    course, _ = await make_correspondence_course(session)
    org = await make_organization(session)
    manager, headers = await person(session, settings, now, Role.org_admin, organization_id=org.id)
    learner, _ = await person(
        session, settings, now, organization_id=org.id, status=AccountStatus.suspended
    )
    response = await client.post(
        ORG, json={"course_id": str(course.id), "user_id": str(learner.id)}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert sent(await enrollment_emails(session)) == {(manager.id, "enrollment_accepted")}


async def test_r_enr_1_refused_application_writes_no_email(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2026, 11, 20)
    await freeze_time(now)
    course, _ = await make_correspondence_course(session, offers_resubmission_service=False)
    _, headers = await person(session, settings, now)
    refused = await client.post(
        ME, json={"course_id": str(course.id), "has_resubmission_service": True}, headers=headers
    )
    assert refused.status_code == 400
    assert await enrollment_emails(session) == []
    accepted = await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    assert accepted.status_code == 201
    again = await client.post(ME, json={"course_id": str(course.id)}, headers=headers)
    assert again.status_code == 409
    assert len(await enrollment_emails(session)) == 1
