"""Emails about a leave of absence (R-ENR-17): requested by a training manager, granted or
declined by staff, or recorded and granted at once by staff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.enrollments.service import open_grant
from app.media.storage.local import LocalDiskStorage
from app.models import Enrollment, Role, User
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.enrollments.outbox import (
    ADMIN,
    ORG,
    by_user,
    enrollment_emails,
    jst,
    person,
    sent,
)
from tests.factories import make_organization, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def storage(app: FastAPI, tmp_path: Path) -> Iterator[None]:
    app.state.media_storage = LocalDiskStorage(tmp_path)
    yield
    app.state.media_storage = None


def _form(months: int = 3) -> dict[str, Any]:
    return {
        "data": {"reason": "illness_or_injury", "months": str(months)},
        "files": {"file": ("proof.pdf", PDF, "application/pdf")},
    }


async def _running(session: AsyncSession, learner: User) -> Enrollment:
    """2026-12-01 … 2027-05-31, excellent deadline 2027-04-30; the leave deadline is Friday
    2027-05-14 (the 15th is a Saturday)."""
    course, course_settings = await make_correspondence_course(session, title="人事労務コース")
    row = await make_enrollment(
        session,
        learner,
        course,
        course_settings,
        accepted_on=date(2026, 11, 20),
        organization_id=learner.organization_id,
    )
    await open_grant(session, row, granted_by_user_id=None)
    return row


async def test_r_enr_17_manager_request_then_grant_emails_learner_and_manager(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2027, 5, 10)
    await freeze_time(now)
    org = await make_organization(session)
    manager, manager_headers = await person(
        session, settings, now, Role.org_admin, locale="en", organization_id=org.id
    )
    learner, _ = await person(session, settings, now, organization_id=org.id)
    _, staff = await person(session, settings, now, Role.staff)
    row = await _running(session, learner)

    requested = await client.post(f"{ORG}/{row.id}/leave", headers=manager_headers, **_form(3))
    assert requested.status_code == 200, requested.text
    rows = await enrollment_emails(session)
    assert sent(rows) == {(learner.id, "leave_requested"), (manager.id, "leave_requested")}
    mails = by_user(rows)
    [to_learner], [to_manager] = mails[learner.id], mails[manager.id]
    assert to_learner.subject == "【学びオンライン】休学申請受付のお知らせ:人事労務コース"
    assert "理由: 病気・ケガの療養" in to_learner.body_text
    assert "延長期間: 3か月" in to_learner.body_text
    assert "現在の在籍期間の終了日: 2027年5月31日" in to_learner.body_text
    assert "承認された場合の終了日: 2027年8月31日" in to_learner.body_text
    assert "承認の可否をあらためてご連絡いたします" in to_learner.body_text
    assert f"/me/enrollments/{row.id}" in to_learner.body_text
    assert to_manager.locale == "en" and "Extension: 3 month(s)" in to_manager.body_text
    assert "Enrollment end if granted: 2027-08-31" in to_manager.body_text
    assert f"/organizations/me/enrollments/{row.id}" in to_manager.body_text

    granted = await client.post(f"{ADMIN}/{row.id}/leave/grant", headers=staff)
    assert granted.status_code == 200, granted.text
    rows = [r for r in await enrollment_emails(session) if r.template == "leave_granted"]
    assert sent(rows) == {(learner.id, "leave_granted"), (manager.id, "leave_granted")}
    mails = by_user(rows)
    [to_learner], [to_manager] = mails[learner.id], mails[manager.id]
    assert "延長前の在籍期間の終了日: 2027年5月31日" in to_learner.body_text
    assert "新しい在籍期間の終了日: 2027年8月31日" in to_learner.body_text
    assert "優秀修了期限(2027年4月30日)は変わりません" in to_learner.body_text
    assert "New enrollment end: 2027-08-31" in to_manager.body_text
    assert "The excellent-completion deadline stays 2027-04-30." in to_manager.body_text


async def test_r_enr_17_declined_request_emails_the_staff_reason(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2027, 5, 10)
    await freeze_time(now)
    org = await make_organization(session)
    manager, manager_headers = await person(
        session, settings, now, Role.org_admin, organization_id=org.id
    )
    learner, _ = await person(session, settings, now, locale="en", organization_id=org.id)
    _, staff = await person(session, settings, now, Role.staff)
    row = await _running(session, learner)
    requested = await client.post(f"{ORG}/{row.id}/leave", headers=manager_headers, **_form(2))
    assert requested.status_code == 200, requested.text

    declined = await client.post(
        f"{ADMIN}/{row.id}/leave/decline",
        json={"reason": "診断書の期間が申請と一致しません"},
        headers=staff,
    )
    assert declined.status_code == 200, declined.text
    rows = [r for r in await enrollment_emails(session) if r.template == "leave_declined"]
    assert sent(rows) == {(learner.id, "leave_declined"), (manager.id, "leave_declined")}
    mails = by_user(rows)
    [to_learner], [to_manager] = mails[learner.id], mails[manager.id]
    assert "理由: 診断書の期間が申請と一致しません" in to_manager.body_text
    assert "申請された延長期間: 2か月" in to_manager.body_text
    assert "在籍期間の終了日(2027年5月31日)は変わりません" in to_manager.body_text
    assert "期限は 2027年5月14日 です" in to_manager.body_text  # the 15th is a Saturday
    assert to_learner.locale == "en"
    assert "Reason: 診断書の期間が申請と一致しません" in to_learner.body_text
    assert "A new request can be made until 2027-05-14." in to_learner.body_text
    assert not [r for r in await enrollment_emails(session) if r.template == "leave_granted"]


async def test_r_enr_17_staff_applied_leave_sends_only_leave_granted_to_the_learner(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2027, 5, 14, 23)  # the last day to apply
    await freeze_time(now)
    learner = await make_user(session)
    staff_user, staff = await person(session, settings, now, Role.staff)
    row = await _running(session, learner)

    response = await client.post(f"{ADMIN}/{row.id}/leave", headers=staff, **_form(6))
    assert response.status_code == 200, response.text
    assert response.json()["enrollment_end_on"] == "2027-11-30"
    [email] = await enrollment_emails(session)
    assert (email.user_id, email.template) == (learner.id, "leave_granted")
    assert "延長期間: 6か月" in email.body_text
    assert "新しい在籍期間の終了日: 2027年11月30日" in email.body_text
    assert staff_user.id not in {r.user_id for r in await enrollment_emails(session)}


async def test_r_enr_17_refused_leave_request_writes_no_email(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = jst(2027, 5, 15, 9)  # Saturday 15th: the deadline was Friday
    await freeze_time(now)
    org = await make_organization(session)
    _, manager_headers = await person(
        session, settings, now, Role.org_admin, organization_id=org.id
    )
    learner, _ = await person(session, settings, now, organization_id=org.id)
    row = await _running(session, learner)
    refused = await client.post(f"{ORG}/{row.id}/leave", headers=manager_headers, **_form())
    assert refused.status_code == 409
    assert await enrollment_emails(session) == []
