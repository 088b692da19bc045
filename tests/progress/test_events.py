"""Playback progress through the API: events, completion, resume (R-PRG-1, R-PRG-5)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.hot_query import driver_connection
from app.models import (
    AuthSession,
    CourseProgram,
    Lesson,
    LessonKind,
    LessonProgress,
    ProgressEvent,
    Role,
)
from app.progress import rules, service
from app.progress.repository import watched_enough_sql
from app.progress.schemas import ProgressEventIn
from tests.factories import bearer_for, make_course, make_user
from tests.progress.factories import (
    T0,
    event,
    events_path,
    make_lesson,
    member_with_access,
    video_course,
)


async def _watch(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    lesson: Lesson,
    start: float,
    end: float,
    *,
    at: datetime = T0,
) -> dict[str, Any]:
    """Play [start, end) in heartbeat-sized events (≤ 300 s each); the last answer."""
    body: dict[str, Any] = {}
    position = start
    while position < end:
        step_end = min(end, position + 300)
        response = await client.post(
            events_path(lesson), json=event(step_end, (position, step_end), at=at), headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        position = step_end
        at += timedelta(seconds=1)
    return body


async def _counts(session: AsyncSession) -> tuple[int, int]:
    return (
        await session.scalar(select(func.count()).select_from(LessonProgress)) or 0,
        await session.scalar(select(func.count()).select_from(ProgressEvent)) or 0,
    )


async def test_r_prg_1_watching_90_percent_exactly_completes_the_lesson(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)

    body = await _watch(client, headers, lesson, 0, 540)  # 540 of 600 s = 90%

    assert body["state"] == "completed"
    assert body["completion_source"] == "watched"
    assert body["watched_seconds"] == 540
    assert body["watched_ratio"] == 0.9
    assert body["position_seconds"] == 540
    assert body["recorded"] is True


async def test_r_prg_1_watching_89_99_percent_does_not_complete(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)

    body = await _watch(client, headers, lesson, 0, 539.94)  # 89.99%

    assert body["state"] == "in_progress"
    assert body["completed_at"] is None
    assert body["watched_seconds"] == 539.94


async def test_r_prg_1_seeking_to_the_end_does_not_count_as_watching(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    await _watch(client, headers, lesson, 0, 60)

    # A seek reports the new playhead without a played interval; then the last 30 s play.
    seek = await client.post(events_path(lesson), json=event(570), headers=headers)
    end = await _watch(client, headers, lesson, 570, 600, at=T0 + timedelta(minutes=5))

    assert seek.json()["watched_seconds"] == 60
    assert end["state"] == "in_progress"
    assert end["watched_seconds"] == 90
    assert end["furthest_seconds"] == 600
    assert end["position_seconds"] == 600


async def test_r_prg_1_rewatching_a_span_counts_it_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    for _ in range(5):
        body = await _watch(client, headers, lesson, 0, 300)
    body = await _watch(client, headers, lesson, 200, 500)

    assert body["watched_seconds"] == 500
    assert body["state"] == "in_progress"


async def test_r_prg_1_intervals_beyond_the_video_are_clamped_to_its_length(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session, duration_seconds=100)
    _, headers = await member_with_access(session, settings, course)

    response = await client.post(events_path(lesson), json=event(130, (0, 130)), headers=headers)

    body = response.json()
    assert (body["watched_seconds"], body["position_seconds"], body["state"]) == (
        100,
        100,
        "completed",
    )


async def test_r_prg_1_a_completed_lesson_is_never_uncompleted(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    done = await _watch(client, headers, lesson, 0, 600)

    later = await client.post(
        events_path(lesson), json=event(10, at=T0 + timedelta(hours=1)), headers=headers
    )
    marked = await client.post(f"/api/v1/me/lessons/{lesson.id}/complete", headers=headers)

    assert later.json()["state"] == "completed"
    assert later.json()["completed_at"] == done["completed_at"]
    assert later.json()["position_seconds"] == 10  # resume still follows the player
    assert marked.json()["completion_source"] == "watched"  # first completion kept


async def test_r_prg_1_member_marks_a_lesson_complete_idempotently(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)

    first = await client.post(f"/api/v1/me/lessons/{lesson.id}/complete", headers=headers)
    second = await client.post(f"/api/v1/me/lessons/{lesson.id}/complete", headers=headers)

    assert first.status_code == second.status_code == 200
    assert first.json()["completion_source"] == "marked"
    assert second.json()["completed_at"] == first.json()["completed_at"]
    assert (await _counts(session))[0] == 1


async def test_r_prg_1_exercise_without_video_can_be_marked_but_takes_no_events(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    lesson = await make_lesson(session, course, kind=LessonKind.exercise, duration_seconds=None)
    _, headers = await member_with_access(session, settings, course)

    refused = await client.post(events_path(lesson), json=event(1, (0, 1)), headers=headers)
    marked = await client.post(f"/api/v1/me/lessons/{lesson.id}/complete", headers=headers)

    assert refused.status_code == 409
    assert refused.json()["type"] == "lesson-has-no-video"
    assert marked.json()["state"] == "completed"


async def test_r_prg_2_test_lessons_take_no_events_and_cannot_be_marked(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    lesson = await make_lesson(session, course, kind=LessonKind.test)
    _, headers = await member_with_access(session, settings, course)

    event_response = await client.post(events_path(lesson), json=event(1), headers=headers)
    marked = await client.post(f"/api/v1/me/lessons/{lesson.id}/complete", headers=headers)

    assert event_response.json()["type"] == "lesson-has-no-video"
    assert marked.status_code == 409
    assert marked.json()["type"] == "test-lesson-completes-by-attempt"
    assert await _counts(session) == (0, 0)


async def test_r_prg_5_the_same_event_twice_is_recorded_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    payload = event(100, (0, 100))

    first = await client.post(events_path(lesson), json=payload, headers=headers)
    again = await client.post(events_path(lesson), json=payload, headers=headers)

    assert first.json()["recorded"] is True
    assert again.status_code == 200
    assert again.json()["recorded"] is False
    assert again.json()["watched_seconds"] == 100
    assert await _counts(session) == (1, 1)


async def test_r_prg_5_out_of_order_events_never_move_progress_backwards(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    late = event(200, (100, 200), at=T0 + timedelta(minutes=2))
    early = event(100, (0, 100), at=T0 + timedelta(minutes=1))

    await client.post(events_path(lesson), json=late, headers=headers)
    body = (await client.post(events_path(lesson), json=early, headers=headers)).json()

    assert body["watched_seconds"] == 200  # both intervals count
    assert body["furthest_seconds"] == 200
    assert body["position_seconds"] == 200  # the older event does not rewind the player
    assert body["last_activity_at"].startswith("2026-11-01T09:02:00")


async def test_r_prg_5_a_client_clock_ahead_of_the_server_cannot_pin_the_position(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    await freeze_time(now)
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course, now=now)

    await client.post(
        events_path(lesson), json=event(300, at=now + timedelta(days=365)), headers=headers
    )
    body = (
        await client.post(
            events_path(lesson), json=event(42, at=now + timedelta(seconds=1)), headers=headers
        )
    ).json()

    # The future event counted as "now"; the next one (also clamped to now) wins the tie.
    assert body["position_seconds"] == 42
    assert body["last_activity_at"].startswith("2026-11-23T12:00:00")


async def test_r_prg_5_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    keyed = {**headers, "Idempotency-Key": "evt-1"}
    payload = event(100, (0, 100))

    first = await client.post(events_path(lesson), json=payload, headers=keyed)
    replay = await client.post(events_path(lesson), json=payload, headers=keyed)
    other = await client.post(events_path(lesson), json=event(5), headers=keyed)

    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert other.status_code == 422
    assert other.json()["type"] == "idempotency-key-reused"
    assert await _counts(session) == (1, 1)


async def test_r_prg_1_resume_position_is_readable_and_zero_before_starting(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)
    path = f"/api/v1/me/lessons/{lesson.id}/progress"

    before = (await client.get(path, headers=headers)).json()
    await client.post(events_path(lesson), json=event(123.5, (100, 123.5)), headers=headers)
    after = (await client.get(path, headers=headers)).json()

    assert (before["state"], before["position_seconds"]) == ("not_started", 0)
    assert (after["state"], after["position_seconds"]) == ("in_progress", 123.5)


async def test_r_con_7_events_need_a_live_entitlement_and_change_nothing_otherwise(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lesson = await video_course(
        session, program=CourseProgram.purchase, is_membership_content=False
    )
    _, headers = await member_with_access(session, settings, course, grant=False)

    recorded = await client.post(events_path(lesson), json=event(1, (0, 1)), headers=headers)
    marked = await client.post(f"/api/v1/me/lessons/{lesson.id}/complete", headers=headers)

    assert recorded.status_code == marked.status_code == 403
    assert recorded.json()["type"] == marked.json()["type"] == "not-entitled"
    assert await _counts(session) == (0, 0)


async def test_r_prg_5_unknown_or_unpublished_lessons_answer_404(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, lesson = await video_course(session, is_published=False)
    _, headers = await member_with_access(session, settings)  # membership grant

    unknown = await client.post(
        f"/api/v1/me/lessons/{uuid.uuid4()}/progress-events", json=event(1), headers=headers
    )
    unpublished = await client.post(events_path(lesson), json=event(1, (0, 1)), headers=headers)
    read = await client.get(f"/api/v1/me/lessons/{lesson.id}/progress", headers=headers)

    assert unknown.status_code == unpublished.status_code == read.status_code == 404
    assert unknown.json()["type"] == "lesson-not-found"
    assert await _counts(session) == (0, 0)


async def test_r_prg_5_staff_preview_records_progress_on_unpublished_courses(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, lesson = await video_course(session, is_published=False)
    staff = await make_user(session, role=Role.staff)
    headers = await bearer_for(session, staff, settings)

    response = await client.post(events_path(lesson), json=event(1, (0, 1)), headers=headers)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"position_seconds": 1, "occurred_at": T0.isoformat()},  # no event_id
        {**event(1), "event_id": "not-a-uuid"},
        {**event(1), "occurred_at": "2026-11-01T09:00:00"},  # no offset
        {**event(-1)},
        event(10, (20, 10)),  # backwards interval
        event(10, (10, 10)),  # empty interval
        event(400, (0, 301)),  # longer than a heartbeat
        {**event(1), "extra": True},
    ],
)
async def test_r_prg_5_malformed_events_are_refused_without_a_db_change(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, payload: dict[str, Any]
) -> None:
    course, lesson = await video_course(session)
    _, headers = await member_with_access(session, settings, course)

    response = await client.post(events_path(lesson), json=payload, headers=headers)

    assert response.status_code == 422
    assert response.json()["type"] == "validation-error"
    assert await _counts(session) == (0, 0)


async def test_spec_1_another_members_progress_is_never_read_or_written(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """R-PRG-1 / SPEC §1 object-level authorization: everything is keyed by the caller."""
    course, lesson = await video_course(session)
    _, alice = await member_with_access(session, settings, course)
    _, bob = await member_with_access(session, settings, course)
    shared_id = uuid.uuid4()
    await _watch(client, alice, lesson, 0, 600)
    await client.post(
        events_path(lesson),
        json=event(100, (0, 100), event_id=shared_id, at=T0 + timedelta(hours=1)),
        headers=alice,
    )

    # Bob reuses Alice's event id: it is Bob's own event, recorded for Bob only.
    bobs = await client.post(
        events_path(lesson), json=event(50, (0, 50), event_id=shared_id), headers=bob
    )
    bob_reads = await client.get(f"/api/v1/me/lessons/{lesson.id}/progress", headers=bob)
    alice_reads = await client.get(f"/api/v1/me/lessons/{lesson.id}/progress", headers=alice)

    assert bobs.json()["recorded"] is True
    assert bob_reads.json()["watched_seconds"] == 50
    assert bob_reads.json()["state"] == "in_progress"
    assert alice_reads.json()["state"] == "completed"
    assert alice_reads.json()["position_seconds"] == 100


@pytest.mark.parametrize("watched_ms", [0, 8_999, 9_000, 539_939, 539_940, 540_000, 600_000])
@pytest.mark.parametrize("duration_seconds", [10, 600, 3_600, 36_000])
async def test_r_prg_1_sql_completion_check_matches_the_rule(
    session: AsyncSession, watched_ms: int, duration_seconds: int
) -> None:
    for ratio in (0.9, 0.95, 1.0):
        bp = rules.ratio_basis_points(ratio)
        in_sql = await session.scalar(
            select(watched_enough_sql(literal(watched_ms), literal(duration_seconds), bp))
        )
        expected = rules.watched_enough(
            watched_ms=watched_ms, duration_seconds=duration_seconds, ratio_bp=bp
        )
        assert in_sql is expected


async def test_r_prg_1_completion_by_a_later_event_with_other_rows_present(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """The merge path (ON CONFLICT DO UPDATE) reads the lesson's own length, whatever other
    progress rows of this or other members exist."""
    course, short = await video_course(session, duration_seconds=100)
    long = await make_lesson(session, course, duration_seconds=1000)
    _, headers = await member_with_access(session, settings, course)
    _, other = await member_with_access(session, settings, course)
    await client.post(events_path(long), json=event(10, (0, 10)), headers=other)
    await client.post(events_path(long), json=event(10, (0, 10)), headers=headers)
    await client.post(events_path(short), json=event(50, (0, 50)), headers=headers)

    body = (
        await client.post(
            events_path(short), json=event(90, (50, 90), at=T0 + timedelta(1)), headers=headers
        )
    ).json()

    assert (body["watched_seconds"], body["state"]) == (90, "completed")


@pytest.mark.parametrize(
    ("ratio", "watched", "completes"), [(0.95, 569.99, False), (0.95, 570, True)]
)
async def test_r_prg_1_the_configured_completion_ratio_is_honoured(
    session: AsyncSession, settings: Settings, ratio: float, watched: float, completes: bool
) -> None:
    course, lesson = await video_course(session)
    member, _ = await member_with_access(session, settings, course)
    login_id = await session.scalar(select(AuthSession.id).where(AuthSession.user_id == member.id))
    assert login_id is not None
    login = service.LoginSession(member.id, login_id, member.session_epoch)

    async def session_is_live() -> Role:
        raise AssertionError("the statement found the login session live")

    result = None
    start = 0.0
    while start < watched:
        end = min(watched, start + 300)
        result = await service.record_event(
            await driver_connection(session),
            login=login,
            lesson_id=lesson.id,
            event=ProgressEventIn.model_validate(event(end, (start, end))),
            ratio=ratio,
            now=datetime.now(UTC),
            confirm_session=session_is_live,
        )
        start = end

    assert result is not None
    assert (result.state == "completed") is completes
