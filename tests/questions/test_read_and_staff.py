"""Reading own questions (R-QST-10), service questions (R-QST-7) and the staff workflow
(R-QST-2, R-QST-8)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEvent, EmailOutbox
from tests.questions.helpers import (
    END_ON,
    NOON,
    PDF,
    PNG,
    ask,
    headers_at,
    jst,
    member_with_enrollment,
    staff_headers,
)

pytestmark = pytest.mark.usefixtures("storage_root")


def _path(url: str) -> str:
    return url.split("testserver", 1)[-1] if "testserver" in url else url[url.index("/api/") :]


async def test_r_qst_10_another_members_question_is_not_found(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    await freeze_time(NOON)
    _, headers, enrollment = await member_with_enrollment(session, settings)
    _, other_headers, _ = await member_with_enrollment(session, settings)
    question = (await ask(client, enrollment, headers)).json()

    mine = await client.get(f"/api/v1/me/questions/{question['id']}", headers=headers)
    theirs = await client.get(f"/api/v1/me/questions/{question['id']}", headers=other_headers)
    their_list = await client.get("/api/v1/me/questions", headers=other_headers)

    assert mine.status_code == 200
    assert theirs.status_code == 404
    assert theirs.json()["type"] == "question-not-found"
    assert their_list.json() == {"items": [], "next_cursor": None}


async def test_r_qst_10_history_is_unreadable_after_the_usage_period(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    await freeze_time(NOON)
    user, headers, enrollment = await member_with_enrollment(session, settings)
    question = (await ask(client, enrollment, headers, files=[("a.pdf", PDF)])).json()
    link = _path(question["attachments"][0]["download_url"])

    headers = await headers_at(freeze_time, session, user, settings, jst(END_ON, 23, 59))
    last_day = await client.get(f"/api/v1/me/questions/{question['id']}", headers=headers)
    after = jst(END_ON + timedelta(days=1), 0, 0)
    headers = await headers_at(freeze_time, session, user, settings, after)
    closed = await client.get(f"/api/v1/me/questions/{question['id']}", headers=headers)
    listed = await client.get("/api/v1/me/questions", headers=headers)
    stale_link = await client.get(link)

    assert last_day.status_code == 200
    assert closed.status_code == 403
    assert closed.json()["type"] == "question-history-closed"
    assert listed.json()["items"] == []
    assert stale_link.status_code in (403, 410)  # expired or closed: never the file


async def test_r_qst_7_service_questions_have_no_study_quota_or_period(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    """Any signed-in member, no enrollment; the 4th of the day is fine, the 11th is spam."""
    await freeze_time(NOON)
    _, headers, _ = await member_with_enrollment(session, settings, question_quota=0)
    results = [
        await client.post(
            "/api/v1/me/service-questions",
            data={"title": f"ログインについて{i}", "body": "パスワードを変更できません。"},
            headers=headers,
        )
        for i in range(11)
    ]

    assert [r.status_code for r in results[:10]] == [201] * 10
    assert results[0].json()["kind"] == "service"
    assert results[0].json()["enrollment_id"] is None
    assert results[10].status_code == 429
    assert results[10].json()["type"] == "service-question-rate-limited"
    assert "Retry-After" in results[10].headers
    listed = await client.get("/api/v1/me/questions?kind=service&limit=4", headers=headers)
    assert len(listed.json()["items"]) == 4
    assert listed.json()["next_cursor"] is not None


async def test_r_qst_8_staff_queue_oldest_first_with_due_dates_then_answer_emails_member(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    user, _, enrollment = await member_with_enrollment(session, settings)
    staff, _ = await staff_headers(session, settings)
    headers = await headers_at(freeze_time, session, user, settings, jst(NOON.date(), 9))
    first = (await ask(client, enrollment, headers, title="一問目")).json()
    headers = await headers_at(freeze_time, session, user, settings, jst(NOON.date(), 10))
    second = (await ask(client, enrollment, headers, title="二問目")).json()
    staff_auth = await headers_at(freeze_time, session, staff, settings, NOON)
    headers = await headers_at(freeze_time, session, user, settings, NOON)

    queue = await client.get("/api/v1/admin/questions", headers=staff_auth)
    assert [q["id"] for q in queue.json()["items"]] == [first["id"], second["id"]]
    assert queue.json()["items"][0]["due_on"] == "2027-05-20"
    assert queue.json()["items"][0]["is_overdue"] is False
    member_view = await client.get("/api/v1/admin/questions", headers=headers)
    assert member_view.status_code == 403

    answered = await client.post(
        f"/api/v1/admin/questions/{first['id']}/answer",
        data={"body": "2行目は両辺に3を掛けています。", "is_learning_advice": "true"},
        files=[("attachments", ("figure.png", PNG, "image/png"))],
        headers=staff_auth,
    )

    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    assert answered.json()["is_learning_advice"] is True
    assert [a["part"] for a in answered.json()["attachments"]] == ["answer"]
    emails = list(
        await session.scalars(
            select(EmailOutbox).where(
                EmailOutbox.user_id == user.id, EmailOutbox.template == "question_answered"
            )
        )
    )
    assert len(emails) == 1
    assert "一問目" in emails[0].body_text
    audit = await session.scalar(select(AuditEvent).where(AuditEvent.target_id == first["id"]))
    assert audit is not None
    assert audit.action == "question.answered"
    assert audit.actor_user_id == staff.id
    mine = await client.get(f"/api/v1/me/questions/{first['id']}", headers=headers)
    assert mine.json()["answer_body"] == "2行目は両辺に3を掛けています。"
    download = await client.get(_path(mine.json()["attachments"][0]["download_url"]))
    assert download.status_code == 200
    assert download.content == PNG
    remaining = await client.get("/api/v1/admin/questions", headers=staff_auth)
    assert [q["id"] for q in remaining.json()["items"]] == [second["id"]]
    again = await client.post(
        f"/api/v1/admin/questions/{first['id']}/decline",
        json={"reason": "対象外"},
        headers=staff_auth,
    )
    assert again.status_code == 409
    assert again.json()["type"] == "question-already-closed"


async def test_r_qst_2_staff_declines_out_of_scope_with_a_reason(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    await freeze_time(NOON)
    user, headers, enrollment = await member_with_enrollment(session, settings)
    _, staff_auth = await staff_headers(session, settings)
    question = (await ask(client, enrollment, headers, title="他社の問題集について")).json()

    declined = await client.post(
        f"/api/v1/admin/questions/{question['id']}/decline",
        json={"reason": "教材セットに含まれない書籍に関するご質問には回答できません。"},
        headers=staff_auth,
    )

    assert declined.status_code == 200, declined.text
    mine = (await client.get(f"/api/v1/me/questions/{question['id']}", headers=headers)).json()
    assert mine["status"] == "declined"
    assert mine["decline_reason"].startswith("教材セット")
    email = await session.scalar(
        select(EmailOutbox).where(
            EmailOutbox.user_id == user.id, EmailOutbox.template == "question_declined"
        )
    )
    assert email is not None


async def test_r_qst_8_answer_with_a_renamed_executable_is_refused_and_question_stays_open(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    await freeze_time(NOON)
    _, headers, enrollment = await member_with_enrollment(session, settings)
    _, staff_auth = await staff_headers(session, settings)
    question = (await ask(client, enrollment, headers)).json()

    refused = await client.post(
        f"/api/v1/admin/questions/{question['id']}/answer",
        data={"body": "回答"},
        files=[("attachments", ("answer.pdf", b"MZ\x90\x00not a pdf", "application/pdf"))],
        headers=staff_auth,
    )

    assert refused.status_code == 415
    assert refused.json()["type"] == "attachment-type-not-allowed"
    mine = (await client.get(f"/api/v1/me/questions/{question['id']}", headers=headers)).json()
    assert mine["status"] == "open"
