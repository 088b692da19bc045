"""Staff manage lessons (R-CON-1 kinds, R-CON-8 ordering): insert at a position, edit, delete
with re-packing, reorder with the complete list; positions stay 0..n-1, also under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import Course, Lesson, Role
from tests.content.factories import (
    API,
    counts,
    lesson_positions,
    make_catalog_course,
    make_lesson,
    person,
)
from tests.factories import bearer_for, make_user

VIDEO = {
    "kind": "video",
    "title": "新しい動画",
    "video_asset_id": "vid-123",
    "duration_seconds": 300,
}


async def _staff(session: AsyncSession, settings: Settings) -> dict[str, str]:
    _, headers = await person(session, settings, Role.staff)
    await session.commit()
    return headers


async def _course_with_lessons(session: AsyncSession, n: int) -> tuple[Course, list[Lesson]]:
    course = await make_catalog_course(session, is_published=False)
    lessons = [await make_lesson(session, course, position=i) for i in range(n)]
    return course, lessons


async def test_r_con_8_lessons_append_by_default_and_insert_at_a_position(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lessons = await _course_with_lessons(session, 3)
    headers = await _staff(session, settings)
    url = f"{API}/admin/courses/{course.id}/lessons"

    appended = await client.post(url, json=VIDEO, headers=headers)
    assert appended.status_code == 201, appended.text
    assert appended.json()["position"] == 3
    assert appended.headers["Location"] == f"{API}/admin/lessons/{appended.json()['id']}"

    inserted = await client.post(url, json={**VIDEO, "position": 1}, headers=headers)
    assert inserted.json()["position"] == 1
    first = await client.post(url, json={**VIDEO, "position": 0}, headers=headers)

    order = await lesson_positions(session, course.id)
    assert order == [
        uuid.UUID(first.json()["id"]),
        lessons[0].id,
        uuid.UUID(inserted.json()["id"]),
        lessons[1].id,
        lessons[2].id,
        uuid.UUID(appended.json()["id"]),
    ]


@pytest.mark.parametrize("position", [5, 4, -1])
async def test_r_con_8_an_insert_position_past_the_end_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, position: int
) -> None:
    course, _ = await _course_with_lessons(session, 3)
    headers = await _staff(session, settings)
    before = await counts(session)
    response = await client.post(
        f"{API}/admin/courses/{course.id}/lessons",
        json={**VIDEO, "position": position},
        headers=headers,
    )
    if position < 0:
        assert response.status_code == 422
    else:
        assert (response.status_code, response.json()["type"]) == (
            400,
            "lesson-position-out-of-range",
        )
    assert await counts(session) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "video", "title": "動画"}, "body.video_asset_id"),
        ({"kind": "video", "title": "動画", "video_asset_id": "v1"}, "body.duration_seconds"),
        ({"kind": "exercise", "title": "演習", "video_asset_id": "v1"}, "body.duration_seconds"),
        ({"kind": "exercise", "title": "演習", "duration_seconds": 60}, "body.video_asset_id"),
        ({"kind": "test", "title": "テスト", "video_asset_id": "v1"}, "body.video_asset_id"),
    ],
)
async def test_r_con_1_lesson_content_must_fit_its_kind(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    body: dict[str, Any],
    field: str,
) -> None:
    course, _ = await _course_with_lessons(session, 1)
    headers = await _staff(session, settings)
    before = await counts(session)
    response = await client.post(
        f"{API}/admin/courses/{course.id}/lessons", json=body, headers=headers
    )
    assert (response.status_code, response.json()["type"]) == (400, "lesson-invalid")
    assert field in response.json()["errors"]
    assert await counts(session) == before


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "test", "title": "テスト"},
        {"kind": "exercise", "title": "演習"},
        {"kind": "exercise", "title": "演習", "video_asset_id": "v", "duration_seconds": 90},
        {"kind": "test", "title": "テスト", "duration_seconds": 600},
    ],
)
async def test_r_con_1_lesson_kinds_accept_what_they_carry(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, body: dict[str, Any]
) -> None:
    course, _ = await _course_with_lessons(session, 0)
    headers = await _staff(session, settings)
    response = await client.post(
        f"{API}/admin/courses/{course.id}/lessons", json=body, headers=headers
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "t"}, "body.kind"),
        ({"kind": "video"}, "body.title"),
        ({"kind": "movie", "title": "t"}, "body.kind"),
        ({**VIDEO, "title": "あ" * 201}, "body.title"),
        ({**VIDEO, "duration_seconds": 0}, "body.duration_seconds"),
        ({**VIDEO, "duration_seconds": 86_401}, "body.duration_seconds"),
        ({**VIDEO, "duration_seconds": "long"}, "body.duration_seconds"),
        ({**VIDEO, "video_asset_id": "has space"}, "body.video_asset_id"),
        ({**VIDEO, "video_asset_id": "v" * 201}, "body.video_asset_id"),
        ({**VIDEO, "course_id": str(uuid.uuid4())}, "body.course_id"),
    ],
)
async def test_r_con_8_malformed_lessons_are_422_problems_and_write_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    body: dict[str, Any],
    field: str,
) -> None:
    course, _ = await _course_with_lessons(session, 1)
    headers = await _staff(session, settings)
    before = await counts(session)
    response = await client.post(
        f"{API}/admin/courses/{course.id}/lessons", json=body, headers=headers
    )
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]
    assert await counts(session) == before


async def test_r_con_1_patch_keeps_the_lesson_consistent_with_its_kind(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, (lesson,) = await _course_with_lessons(session, 1)
    headers = await _staff(session, settings)
    url = f"{API}/admin/lessons/{lesson.id}"

    # A video cannot lose its video...
    cleared = await client.patch(url, json={"video_asset_id": None}, headers=headers)
    assert (cleared.status_code, cleared.json()["type"]) == (400, "lesson-invalid")
    # ...but becomes a test when the video goes with it.
    to_test = await client.patch(
        url, json={"kind": "test", "video_asset_id": None, "title": "確認テスト"}, headers=headers
    )
    assert to_test.status_code == 200, to_test.text
    assert (to_test.json()["kind"], to_test.json()["video_asset_id"]) == ("test", None)
    assert to_test.json()["duration_seconds"] == 600  # untouched field kept
    assert (await client.patch(url, json={"title": None}, headers=headers)).status_code == 422
    assert (await client.patch(url, json={"position": 3}, headers=headers)).status_code == 422
    unknown = await client.patch(f"{API}/admin/lessons/{uuid.uuid4()}", json={}, headers=headers)
    assert (unknown.status_code, unknown.json()["type"]) == (404, "lesson-not-found")
    await session.refresh(lesson)
    assert lesson.title == "確認テスト"


async def test_r_con_8_deleting_a_lesson_closes_the_gap(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lessons = await _course_with_lessons(session, 4)
    headers = await _staff(session, settings)
    response = await client.delete(f"{API}/admin/lessons/{lessons[1].id}", headers=headers)
    assert response.status_code == 204
    assert await lesson_positions(session, course.id) == [
        lessons[0].id,
        lessons[2].id,
        lessons[3].id,
    ]
    again = await client.delete(f"{API}/admin/lessons/{lessons[1].id}", headers=headers)
    assert (again.status_code, again.json()["type"]) == (404, "lesson-not-found")


async def test_r_con_8_a_published_course_keeps_its_last_lesson(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_catalog_course(session, lessons=1)
    (lesson_id,) = await lesson_positions(session, course.id)
    headers = await _staff(session, settings)
    response = await client.delete(f"{API}/admin/lessons/{lesson_id}", headers=headers)
    assert (response.status_code, response.json()["type"]) == (
        409,
        "last-lesson-of-published-course",
    )
    assert await lesson_positions(session, course.id) == [lesson_id]


async def test_r_con_8_reorder_permutes_in_one_request(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, lessons = await _course_with_lessons(session, 4)
    headers = await _staff(session, settings)
    new_order = [lessons[3].id, lessons[0].id, lessons[2].id, lessons[1].id]
    response = await client.put(
        f"{API}/admin/courses/{course.id}/lesson-order",
        json={"lesson_ids": [str(i) for i in new_order]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()] == [str(i) for i in new_order]
    assert [item["position"] for item in response.json()] == [0, 1, 2, 3]
    assert await lesson_positions(session, course.id) == new_order

    # The same order again changes nothing and is fine.
    same = await client.put(
        f"{API}/admin/courses/{course.id}/lesson-order",
        json={"lesson_ids": [str(i) for i in new_order]},
        headers=headers,
    )
    assert same.status_code == 200


async def test_r_con_8_reorder_of_a_course_without_lessons_takes_an_empty_list(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course, _ = await _course_with_lessons(session, 0)
    headers = await _staff(session, settings)
    response = await client.put(
        f"{API}/admin/courses/{course.id}/lesson-order", json={"lesson_ids": []}, headers=headers
    )
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("missing_one", "missing:"),
        ("duplicate", "duplicate:"),
        ("foreign", "unknown:"),
        ("extra", "unknown:"),
        ("empty", "missing:"),
    ],
)
async def test_r_con_8_reorder_needs_the_complete_list_exactly_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, case: str, code: str
) -> None:
    course, lessons = await _course_with_lessons(session, 3)
    _, other_lessons = await _course_with_lessons(session, 1)
    headers = await _staff(session, settings)
    ids = [lesson.id for lesson in lessons]
    requested = {
        "missing_one": ids[:2],
        "duplicate": [ids[0], ids[0], ids[1], ids[2]],
        "foreign": [ids[0], ids[1], other_lessons[0].id],
        "extra": [*ids, uuid.uuid4()],
        "empty": [],
    }[case]
    response = await client.put(
        f"{API}/admin/courses/{course.id}/lesson-order",
        json={"lesson_ids": [str(i) for i in requested]},
        headers=headers,
    )
    assert (response.status_code, response.json()["type"]) == (400, "lesson-order-invalid")
    messages = response.json()["errors"]["body.lesson_ids"]
    assert any(message.startswith(code) for message in messages), messages
    assert await lesson_positions(session, course.id) == ids


@pytest.mark.parametrize(
    "body",
    [{}, {"lesson_ids": "abc"}, {"lesson_ids": ["not-a-uuid"]}, {"lesson_ids": None}],
)
async def test_r_con_8_malformed_reorder_is_a_422_problem(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, body: dict[str, Any]
) -> None:
    course, lessons = await _course_with_lessons(session, 2)
    headers = await _staff(session, settings)
    response = await client.put(
        f"{API}/admin/courses/{course.id}/lesson-order", json=body, headers=headers
    )
    assert response.status_code == 422
    assert await lesson_positions(session, course.id) == [lesson.id for lesson in lessons]


async def test_r_con_8_concurrent_lesson_writes_keep_positions_packed(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """Concurrent inserts at the front and at the end, and a delete, serialize on the course."""
    async with committing_sessionmaker() as session:
        staff = await make_user(session, role=Role.staff)
        headers = await bearer_for(session, staff, settings)
        course = await make_catalog_course(session, is_published=False)
        doomed = await make_lesson(session, course, position=0)
        await make_lesson(session, course, position=1)
        await session.commit()

    url = f"{API}/admin/courses/{course.id}/lessons"
    requests = [committing_client.post(url, json=VIDEO, headers=headers) for _ in range(4)]
    requests += [
        committing_client.post(url, json={**VIDEO, "position": 0}, headers=headers)
        for _ in range(3)
    ]
    requests.append(committing_client.delete(f"{API}/admin/lessons/{doomed.id}", headers=headers))
    responses = await asyncio.gather(*requests)
    assert sorted(r.status_code for r in responses) == [201] * 7 + [204], [
        r.text for r in responses
    ]
    async with committing_sessionmaker() as session:
        order = await lesson_positions(session, course.id)
        assert len(order) == 8
        assert doomed.id not in order
        assert await session.scalar(select(Lesson.id).where(Lesson.id == doomed.id)) is None
