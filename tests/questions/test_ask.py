"""Asking study questions through the API: quotas, usage period, service, attachments
(R-QST-1, R-QST-3, R-QST-4, R-QST-5, R-QST-6, R-QST-11). A refusal creates nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import EnrollmentStatus
from app.models.enrollment import CompletionStatus
from tests.enrollments.factories import make_correspondence_course
from tests.factories import make_user
from tests.questions.helpers import (
    END_ON,
    EXE,
    JPEG,
    PDF,
    PNG,
    START_ON,
    ask,
    count_attachments,
    count_questions,
    enroll,
    headers_at,
    jst,
    member_with_enrollment,
    stored_files,
)

pytestmark = pytest.mark.usefixtures("storage_root")
DAY = date(2027, 5, 10)


async def test_r_qst_1_question_with_three_attachments_is_created(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
) -> None:
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings)

    response = await ask(
        client, enrollment, headers, files=[("a.pdf", PDF), ("b.png", PNG), ("c.jpg", JPEG)]
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/api/v1/me/questions/{body['id']}"
    assert body["status"] == "open"
    assert body["kind"] == "study"
    assert body["asked_on"] == "2027-05-10"
    assert body["due_on"] == "2027-05-20"  # R-QST-8: 10 days by default
    assert [a["file_kind"] for a in body["attachments"]] == ["pdf", "png", "jpeg"]
    assert len(stored_files(storage_root)) == 3
    download = await client.get(body["attachments"][0]["download_url"].split("testserver")[-1])
    assert download.status_code == 200
    assert download.content == PDF


async def test_r_qst_4_the_fourth_question_of_the_day_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    user, _, enrollment = await member_with_enrollment(session, settings)
    headers = await headers_at(freeze_time, session, user, settings, jst(DAY, 9))
    for _ in range(3):
        assert (await ask(client, enrollment, headers)).status_code == 201

    response = await ask(client, enrollment, headers)

    assert response.status_code == 409
    assert response.json()["type"] == "question-daily-quota-exceeded"
    assert await count_questions(session) == 3


async def test_r_qst_4_daily_quota_counts_across_enrollments_and_resets_at_jst_midnight(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    user, headers, first = await member_with_enrollment(session, settings)
    course, course_settings = await make_correspondence_course(session, title="簿記3級")
    second = await enroll(session, user, course, course_settings)
    headers = await headers_at(freeze_time, session, user, settings, jst(DAY, 23, 58))
    assert (await ask(client, first, headers)).status_code == 201
    assert (await ask(client, first, headers)).status_code == 201
    assert (await ask(client, second, headers)).status_code == 201

    # 23:59:59 JST is still the same JST day (14:59:59 UTC).
    headers = await headers_at(freeze_time, session, user, settings, jst(DAY, 23, 59, 59))
    late = await ask(client, second, headers)
    midnight = jst(DAY + timedelta(days=1), 0, 0, 0)  # 00:00 JST: a new day
    headers = await headers_at(freeze_time, session, user, settings, midnight)
    next_day = await ask(client, second, headers)

    assert late.status_code == 409
    assert late.json()["type"] == "question-daily-quota-exceeded"
    assert next_day.status_code == 201, next_day.text
    assert next_day.json()["asked_on"] == "2027-05-11"


async def test_r_qst_3_the_seventh_question_of_the_course_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    user, _, enrollment = await member_with_enrollment(session, settings)
    for day_offset in range(3):
        when = jst(DAY + timedelta(days=day_offset))
        headers = await headers_at(freeze_time, session, user, settings, when)
        for _ in range(2):
            assert (await ask(client, enrollment, headers)).status_code == 201
    headers = await headers_at(freeze_time, session, user, settings, jst(DAY + timedelta(days=5)))

    response = await ask(client, enrollment, headers)

    assert response.status_code == 409
    assert response.json()["type"] == "question-enrollment-quota-exceeded"
    assert "6" in response.json()["detail"]
    assert await count_questions(session) == 6


async def test_r_qst_3_course_setting_changes_the_enrollment_quota(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings, question_quota=2)
    assert (await ask(client, enrollment, headers)).status_code == 201
    assert (await ask(client, enrollment, headers)).status_code == 201

    response = await ask(client, enrollment, headers)

    assert response.json()["type"] == "question-enrollment-quota-exceeded"
    quota = await client.get(
        f"/api/v1/me/enrollments/{enrollment.id}/question-quota", headers=headers
    )
    assert quota.json() | {} == {
        "today": "2027-05-10",
        "has_question_service": True,
        "first_day": "2027-04-01",
        "last_day": "2027-09-30",
        "per_enrollment": 2,
        "used_in_enrollment": 2,
        "per_day": 3,
        "used_today": 2,
        "remaining_today": 0,
    }


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (jst(START_ON - timedelta(days=1), 23, 59, 59), False),
        (jst(START_ON, 0, 0, 0), True),
        (jst(END_ON, 23, 59, 59), True),
        (jst(END_ON + timedelta(days=1), 0, 0, 0), False),
    ],
    ids=["day-before-start", "start-day", "last-second-of-end-day", "day-after-end"],
)
async def test_r_qst_5_questions_only_inside_the_usage_period(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    at: datetime,
    allowed: bool,
) -> None:
    user, _, enrollment = await member_with_enrollment(session, settings)
    headers = await headers_at(freeze_time, session, user, settings, at)

    response = await ask(client, enrollment, headers)

    if allowed:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 409
        assert response.json()["type"] == "question-outside-period"
        assert await count_questions(session) == 0


async def test_r_qst_6_returned_course_takes_questions_on_the_return_day_not_the_next(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    user, _, enrollment = await member_with_enrollment(
        session, settings, status=EnrollmentStatus.returned, returned_on=DAY
    )
    headers = await headers_at(freeze_time, session, user, settings, jst(DAY, 23, 59, 59))
    same_day = await ask(client, enrollment, headers)
    midnight = jst(DAY + timedelta(days=1), 0, 0, 0)
    headers = await headers_at(freeze_time, session, user, settings, midnight)
    next_day = await ask(client, enrollment, headers)

    assert same_day.status_code == 201
    assert next_day.status_code == 409
    assert next_day.json()["type"] == "question-outside-period"


async def test_r_qst_11_course_without_question_service_takes_none(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(
        session, settings, has_question_service=False
    )

    response = await ask(client, enrollment, headers)

    assert response.status_code == 403
    assert response.json()["type"] == "question-service-unavailable"
    assert await count_questions(session) == 0


async def test_r_qst_2_another_members_enrollment_is_not_found(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    await freeze_time(jst(DAY))
    _, _, enrollment = await member_with_enrollment(session, settings)
    _, other_headers, _ = await member_with_enrollment(
        session, settings, user=await make_user(session)
    )

    response = await ask(client, enrollment, other_headers)

    assert response.status_code == 404
    assert response.json()["type"] == "question-enrollment-not-found"


@pytest.mark.parametrize(
    ("files", "status", "problem"),
    [
        ([("scan.png", PDF), ("photo.pdf", EXE)], 415, "attachment-type-not-allowed"),
        ([("empty.pdf", b"")], 400, "attachment-empty"),
        ([("a.pdf", PDF)] * 4, 400, "too-many-attachments"),
        ([("big.pdf", PDF + b"0" * (10 * 1024 * 1024))], 413, "attachment-too-large"),
    ],
    ids=["exe-named-pdf", "empty", "four-files", "over-10-mb"],
)
async def test_r_qst_1_attachment_refusals_create_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
    files: list[tuple[str, bytes]],
    status: int,
    problem: str,
) -> None:
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings)

    response = await ask(client, enrollment, headers, files=files)

    assert response.status_code == status, response.text
    assert response.json()["type"] == problem
    assert await count_questions(session) == 0
    assert await count_attachments(session) == 0
    assert stored_files(storage_root) == []


async def test_r_qst_1_type_is_decided_by_content_not_name(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    """A real PDF named .png is stored as a PDF; a PNG named .pdf as a PNG."""
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings)

    response = await ask(
        client, enrollment, headers, files=[("photo.png", PDF), ("document.pdf", PNG)]
    )

    assert response.status_code == 201, response.text
    assert [(a["filename"], a["content_type"]) for a in response.json()["attachments"]] == [
        ("photo.png", "application/pdf"),
        ("document.pdf", "image/png"),
    ]


async def test_r_qst_1_quota_refusal_stores_no_file(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
) -> None:
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings, question_quota=0)

    response = await ask(client, enrollment, headers, files=[("a.pdf", PDF)])

    assert response.json()["type"] == "question-enrollment-quota-exceeded"
    assert stored_files(storage_root) == []


async def test_idempotency_key_replays_the_first_question(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings)
    keyed = headers | {"Idempotency-Key": "q-0001-retry"}

    first = await ask(client, enrollment, keyed)
    second = await ask(client, enrollment, keyed)

    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json()["id"] == first.json()["id"]
    assert await count_questions(session) == 1


async def test_r_qst_1_an_oversized_upload_is_refused_while_it_streams_in(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
) -> None:
    """Beyond three full attachments and the text, the request is refused with 413 before it
    is buffered, and nothing is created or stored."""
    from app.questions.rules import MAX_ATTACHMENT_BYTES, MAX_UPLOAD_BODY_BYTES

    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings)
    big = PDF + b"0" * (MAX_ATTACHMENT_BYTES - len(PDF))  # each file alone is within 10 MB
    response = await ask(
        client,
        enrollment,
        headers,
        files=[("a.pdf", big), ("b.pdf", big), ("c.pdf", big), ("d.pdf", big)],
    )
    assert 4 * len(big) > MAX_UPLOAD_BODY_BYTES
    assert response.status_code == 413, response.text[:300]
    assert await count_questions(session) == 0
    assert stored_files(storage_root) == []


async def test_r_qst_5_completed_course_still_takes_questions_inside_the_period(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
) -> None:
    """Seed 001 §9: questions are taken within the enrollment period even after the
    certificate arrived; completion closes nothing."""
    user, _, enrollment = await member_with_enrollment(session, settings)
    enrollment.completion_status = CompletionStatus.completed
    enrollment.completed_on = date(2027, 5, 1)
    await session.flush()
    headers = await headers_at(freeze_time, session, user, settings, jst(END_ON, 23, 59, 59))

    response = await ask(client, enrollment, headers)

    assert response.status_code == 201, response.text
