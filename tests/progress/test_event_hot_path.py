"""The progress write without an `Idempotency-Key` (R-PRG-5, R-ID-7, R-ID-9): one autocommit
statement that checks the login session, the lesson and the grant and records the event — and
answers every request exactly as the documented (idempotent) route does."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AccountStatus, AuthSession, LessonProgress, ProgressEvent, Role, User
from tests.factories import bearer_for, make_user
from tests.progress.factories import event, events_path, member_with_access, video_course
from tests.statements import recorded_statements


async def _counts(session: AsyncSession) -> tuple[int, int]:
    return (
        await session.scalar(select(func.count()).select_from(LessonProgress)) or 0,
        await session.scalar(select(func.count()).select_from(ProgressEvent)) or 0,
    )


def _problem(response: httpx.Response) -> tuple[int, dict[str, Any]]:
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, body


async def test_r_prg_5_an_event_without_key_is_one_statement_with_the_session_check(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    await session.commit()

    async with recorded_statements(session) as statements:
        response = await client.post(events_path(lesson), json=event(30, (0, 30)), headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["recorded"] is True
    (write,) = [s for s in statements if "FROM test_clock" not in s]
    assert "auth_session" in write  # the login session check rides in the write
    assert "entitlement_grant" in write
    assert "INSERT INTO progress_event" in write
    assert await _counts(session) == (1, 1)

    # With a key, the documented route: the idempotency record shares the request transaction.
    async with recorded_statements(session) as keyed:
        response = await client.post(
            events_path(lesson),
            json=event(60, (30, 60)),
            headers={**headers, "Idempotency-Key": "k-0"},
        )
    assert response.status_code == 200, response.text
    assert any("idempotency_record" in s for s in keyed)
    assert await _counts(session) == (1, 2)


async def _session_change(session: AsyncSession, member: User, change: str) -> None:
    now = datetime.now(UTC)
    if change == "revoked":
        await session.execute(
            update(AuthSession).where(AuthSession.user_id == member.id).values(revoked_at=now)
        )
    elif change == "expired":
        await session.execute(
            update(AuthSession).where(AuthSession.user_id == member.id).values(expires_at=now)
        )
    elif change == "epoch":
        member.session_epoch += 1
    elif change == "suspended":
        member.status = AccountStatus.suspended
    elif change == "withdrawn":
        member.status = AccountStatus.withdrawn
    await session.flush()


@pytest.mark.parametrize("change", ["revoked", "expired", "epoch", "suspended", "withdrawn"])
async def test_r_id_7_r_id_9_events_of_dead_sessions_are_refused_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, change: str
) -> None:
    """The statement writes nothing without a live login session; the answer is the one
    `Authenticator` gives on /me — for a known lesson and an unknown one (no 404 leaks)."""
    course, lesson = await video_course(session)
    member, headers = await member_with_access(session, settings, course)
    await _session_change(session, member, change)
    await session.commit()

    expected = await client.get("/api/v1/me", headers=headers)
    assert expected.status_code in (401, 403)
    for path in (events_path(lesson), f"/api/v1/me/lessons/{uuid.uuid4()}/progress-events"):
        response = await client.post(path, json=event(30, (0, 30)), headers=headers)
        assert _problem(response)[0] == expected.status_code, response.text
        assert response.json()["type"] == expected.json()["type"]
    assert await _counts(session) == (0, 0)


async def test_spec_1_a_role_change_applies_to_event_writes_at_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """Staff preview (and record progress on) unpublished courses only while they are staff:
    the statement reads the live role, not the token's."""
    staff = await make_user(session, role=Role.staff)
    headers = await bearer_for(session, staff, settings)
    _, lesson = await video_course(session, is_published=False)
    await session.commit()
    previewed = await client.post(events_path(lesson), json=event(10, (0, 10)), headers=headers)
    assert previewed.status_code == 200, previewed.text

    staff.role = Role.member
    await session.commit()
    demoted = await client.post(events_path(lesson), json=event(20, (10, 20)), headers=headers)

    assert demoted.status_code == 404
    assert demoted.json()["type"] == "lesson-not-found"
    assert await _counts(session) == (1, 1)


_GOOD = event(10, (0, 10))

# (path suffix, body, content type, authenticated)
_REQUESTS: list[tuple[str, bytes | None, str | None, bool]] = [
    ("", b'{"event_id": "not-a-uuid", "occurred_at": "x", "position_seconds": -1}', None, True),
    ("", b'{"event_id": ', None, True),  # not JSON
    ("", b'{"event_id": ', None, False),  # not JSON, anonymous: FastAPI reads the body first
    ("", b"", None, True),  # no body
    ("", b'{"event_id": "x"}', "text/plain", True),  # not declared as JSON
    ("", b'{"event_id": "x"}', "application/merge-patch+json", True),
    ("", b"[]", None, True),
    ("", b"null", None, True),
    ("", None, None, False),  # anonymous
    ("bad-id", None, None, True),  # a malformed lesson id, a good body
    ("bad-id", b'{"position_seconds": "far"}', None, True),  # both wrong: path errors first
]


@pytest.mark.parametrize(("lesson", "body", "content_type", "signed_in"), _REQUESTS)
async def test_r_prg_5_with_or_without_a_key_bad_requests_get_the_same_problem(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    lesson: str,
    body: bytes | None,
    content_type: str | None,
    signed_in: bool,
) -> None:
    """Requests without an `Idempotency-Key` take the fast route; with one, the documented
    route. Both parse, check and refuse alike (same status, same problem, same field errors)."""
    course, video = await video_course(session)
    _, auth = await member_with_access(session, settings, course)
    await session.commit()
    path = events_path(video) if not lesson else f"/api/v1/me/lessons/{lesson}/progress-events"
    content = body if body is not None else json.dumps(_GOOD).encode()
    headers = {"Content-Type": content_type or "application/json", **(auth if signed_in else {})}

    fast = await client.post(path, content=content, headers=headers)
    keyed = await client.post(
        path, content=content, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
    )

    assert fast.status_code >= 400, fast.text
    assert _problem(fast) == _problem(keyed)
    assert fast.headers["content-type"] == keyed.headers["content-type"]
    assert await _counts(session) == (0, 0)


async def test_r_prg_5_with_or_without_a_key_the_answer_has_the_same_shape(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    await session.commit()

    fast = await client.post(events_path(lesson), json=event(10, (0, 10)), headers=headers)
    keyed = await client.post(
        events_path(lesson),
        json=event(20, (10, 20)),
        headers={**headers, "Idempotency-Key": "k-1"},
    )

    assert (fast.status_code, keyed.status_code) == (200, 200)
    assert fast.headers["content-type"] == keyed.headers["content-type"] == "application/json"
    assert fast.json().keys() == keyed.json().keys()
    assert (fast.json()["watched_seconds"], keyed.json()["watched_seconds"]) == (10, 20)
    assert fast.json()["recorded"] is keyed.json()["recorded"] is True


async def test_r_id_11_a_partner_key_cannot_record_events(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """An operation for people: a partner key alone is refused as `Authenticator` refuses it."""
    _, lesson = await video_course(session)
    await session.commit()
    headers = {"X-API-Key": "mk_abcdefgh_" + "x" * 43}

    fast = await client.post(events_path(lesson), json=_GOOD, headers=headers)
    keyed = await client.post(
        events_path(lesson), json=_GOOD, headers={**headers, "Idempotency-Key": "k-2"}
    )

    assert _problem(fast) == _problem(keyed)
    assert (fast.status_code, fast.json()["type"]) == (403, "role-not-allowed")
    assert await _counts(session) == (0, 0)
