"""Staff manage courses (R-CON-8): create, list, read, edit, publish, unpublish, delete; bad
input is a problem and changes nothing; members are refused; one slug, one winner."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import AuditEvent, Course, GrantScope, Role
from tests.content.factories import API, counts, make_catalog_course, make_lesson, person
from tests.factories import bearer_for, make_grant, make_user

NEW_COURSE = {
    "slug": "ai-katsuyou",
    "kind": "course",
    "title": "ＡＩ活用入門",
    "summary": "生成AIを業務に",
    "keywords": "ChatGPT プロンプト",
}


async def _staff(session: AsyncSession, settings: Settings) -> dict[str, str]:
    _, headers = await person(session, settings, Role.staff)
    await session.commit()
    return headers


async def test_r_con_8_staff_create_a_course_that_starts_unpublished(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    headers = await _staff(session, settings)
    response = await client.post(f"{API}/admin/courses", json=NEW_COURSE, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"{API}/admin/courses/{body['id']}"
    assert (body["is_published"], body["published_at"], body["lessons"]) == (False, None, [])
    assert (body["program"], body["is_membership_content"]) == ("membership", True)

    course = await session.get(Course, uuid.UUID(body["id"]))
    assert course is not None
    assert course.search_text == "ai活用入門\n生成aiを業務に\nchatgpt プロンプト"
    # Not in the public catalog until published.
    assert (await client.get(f"{API}/courses")).json()["items"] == []
    read = await client.get(response.headers["Location"], headers=headers)
    assert read.json()["title"] == "ＡＩ活用入門"


async def test_r_con_8_new_courses_are_appended_to_the_catalog_unless_placed(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_catalog_course(session, position=7)
    headers = await _staff(session, settings)
    appended = await client.post(f"{API}/admin/courses", json=NEW_COURSE, headers=headers)
    assert appended.json()["position"] == 8
    placed = await client.post(
        f"{API}/admin/courses",
        json={**NEW_COURSE, "slug": "placed", "position": 0},
        headers=headers,
    )
    assert placed.json()["position"] == 0


async def test_r_con_8_a_taken_slug_is_a_409_problem(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_catalog_course(session, slug="ai-katsuyou")
    headers = await _staff(session, settings)
    before = await counts(session)
    response = await client.post(f"{API}/admin/courses", json=NEW_COURSE, headers=headers)
    assert (response.status_code, response.json()["type"]) == (409, "course-slug-taken")
    assert "ai-katsuyou" in response.json()["detail"]
    assert await counts(session) == before


def _bad(**changes: Any) -> dict[str, Any]:
    body = {**NEW_COURSE, **changes}
    return {key: value for key, value in body.items() if value is not ...}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_bad(slug=...), "body.slug"),
        (_bad(title=...), "body.title"),
        (_bad(kind=...), "body.kind"),
        (_bad(title=""), "body.title"),
        (_bad(title="   "), "body.title"),
        (_bad(title="あ" * 201), "body.title"),
        (_bad(summary="あ" * 501), "body.summary"),
        (_bad(keywords="k" * 501), "body.keywords"),
        (_bad(description="d" * 20_001), "body.description"),
        (_bad(slug="Has Spaces"), "body.slug"),
        (_bad(slug="日本語"), "body.slug"),
        (_bad(slug="s" * 101), "body.slug"),
        (_bad(kind="lecture"), "body.kind"),
        (_bad(program="free"), "body.program"),
        (_bad(title=123), "body.title"),
        (_bad(is_membership_content="maybe"), "body.is_membership_content"),
        (_bad(position=-1), "body.position"),
        (_bad(position="first"), "body.position"),
        (_bad(search_text="injected"), "body.search_text"),
        (_bad(is_published=True), "body.is_published"),
    ],
)
async def test_r_con_8_malformed_course_creation_is_a_422_problem_and_writes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    body: dict[str, Any],
    field: str,
) -> None:
    headers = await _staff(session, settings)
    before = await counts(session)
    response = await client.post(f"{API}/admin/courses", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.json()["errors"]
    assert await counts(session) == before


async def test_r_con_8_staff_list_includes_unpublished_and_filters(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    published = await make_catalog_course(session, title="公開", position=0)
    draft = await make_catalog_course(session, title="下書き", is_published=False, position=1)
    headers = await _staff(session, settings)
    everything = (await client.get(f"{API}/admin/courses", headers=headers)).json()
    assert [c["id"] for c in everything["items"]] == [str(published.id), str(draft.id)]
    drafts = (await client.get(f"{API}/admin/courses?is_published=false", headers=headers)).json()
    assert [c["id"] for c in drafts["items"]] == [str(draft.id)]
    found = (await client.get(f"{API}/admin/courses", params={"q": "下書"}, headers=headers)).json()
    assert [c["id"] for c in found["items"]] == [str(draft.id)]
    paged = (await client.get(f"{API}/admin/courses?limit=1", headers=headers)).json()
    assert paged["next_cursor"] is not None


async def test_r_con_8_patch_changes_only_what_is_sent_and_recomputes_search(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_catalog_course(session, title="旧タイトル", summary="概要")
    headers = await _staff(session, settings)
    response = await client.patch(
        f"{API}/admin/courses/{course.id}",
        json={"title": "ＤＸ推進", "kind": "seminar", "position": 5},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["kind"], body["position"], body["summary"]) == (
        "ＤＸ推進",
        "seminar",
        5,
        "概要",
    )
    found = (await client.get(f"{API}/courses", params={"q": "dx"})).json()["items"]
    assert [item["id"] for item in found] == [str(course.id)]
    assert (await client.get(f"{API}/courses", params={"q": "旧"})).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"title": None},
        {"title": ""},
        {"kind": "lecture"},
        {"position": -1},
        {"slug": "new-slug"},
        {"is_membership_content": None},
        {"summary": "あ" * 501},
    ],
)
async def test_r_con_8_bad_course_patches_are_problems_and_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, body: dict[str, Any]
) -> None:
    course = await make_catalog_course(session, title="元のまま")
    headers = await _staff(session, settings)
    response = await client.patch(f"{API}/admin/courses/{course.id}", json=body, headers=headers)
    assert response.status_code == 422
    await session.refresh(course)
    assert (course.title, course.slug.startswith("course-")) == ("元のまま", True)


async def test_r_con_8_unknown_course_ids_are_404_problems(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    headers = await _staff(session, settings)
    unknown = uuid.uuid4()
    for method, path, body in [
        ("GET", f"/admin/courses/{unknown}", None),
        ("PATCH", f"/admin/courses/{unknown}", {"title": "x"}),
        ("POST", f"/admin/courses/{unknown}/publish", None),
        ("POST", f"/admin/courses/{unknown}/unpublish", None),
        ("DELETE", f"/admin/courses/{unknown}", None),
        ("POST", f"/admin/courses/{unknown}/lessons", {"kind": "test", "title": "t"}),
        ("PUT", f"/admin/courses/{unknown}/lesson-order", {"lesson_ids": []}),
    ]:
        response = await client.request(method, API + path, json=body, headers=headers)
        assert (response.status_code, response.json()["type"]) == (404, "course-not-found"), path


async def test_r_con_8_publish_and_unpublish_are_audited_once_and_idempotent(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_catalog_course(session, is_published=False, lessons=1)
    staff, headers = await person(session, settings, Role.staff)
    await session.commit()

    for _ in range(2):
        published = await client.post(f"{API}/admin/courses/{course.id}/publish", headers=headers)
        assert published.status_code == 200
        assert published.json()["is_published"] is True
    assert [c["id"] for c in (await client.get(f"{API}/courses")).json()["items"]] == [
        str(course.id)
    ]

    for _ in range(2):
        hidden = await client.post(f"{API}/admin/courses/{course.id}/unpublish", headers=headers)
        assert hidden.json()["is_published"] is False
        assert hidden.json()["published_at"] is not None  # history: it was published
    assert (await client.get(f"{API}/courses")).json()["items"] == []

    events = list(
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_id == str(course.id))
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )
    assert sorted(e.action for e in events) == ["course.published", "course.unpublished"]
    assert all(e.actor_user_id == staff.id for e in events)


async def test_r_con_8_a_course_without_lessons_cannot_be_published(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_catalog_course(session, is_published=False)
    headers = await _staff(session, settings)
    before = await counts(session)
    response = await client.post(f"{API}/admin/courses/{course.id}/publish", headers=headers)
    assert (response.status_code, response.json()["type"]) == (409, "course-has-no-lessons")
    await session.refresh(course)
    assert course.is_published is False
    assert await counts(session) == before


async def test_r_con_8_only_a_never_published_course_without_grants_can_be_deleted(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    draft = await make_catalog_course(session, is_published=False, lessons=2)
    was_published = await make_catalog_course(session, lessons=1)
    granted = await make_catalog_course(session, is_published=False)
    member = await make_user(session)
    await make_grant(session, member, scope=GrantScope.course, course_id=granted.id)
    headers = await _staff(session, settings)

    # Published once, then unpublished: still kept.
    await client.post(f"{API}/admin/courses/{was_published.id}/unpublish", headers=headers)
    before = await counts(session)
    refused = await client.delete(f"{API}/admin/courses/{was_published.id}", headers=headers)
    assert (refused.status_code, refused.json()["type"]) == (409, "course-was-published")
    in_use = await client.delete(f"{API}/admin/courses/{granted.id}", headers=headers)
    assert (in_use.status_code, in_use.json()["type"]) == (409, "course-in-use")
    assert await counts(session) == before

    deleted = await client.delete(f"{API}/admin/courses/{draft.id}", headers=headers)
    assert deleted.status_code == 204
    assert await session.scalar(select(Course.id).where(Course.id == draft.id)) is None
    after = await counts(session)
    assert after["lesson"] == before["lesson"] - 2
    assert after["audit_event"] == before["audit_event"] + 1


async def test_r_con_8_members_are_refused_on_course_admin_and_nothing_changes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_catalog_course(session, is_published=False, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    _, headers = await person(session, settings, Role.member)
    await session.commit()
    before = await counts(session)
    for method, path, body in [
        ("GET", "/admin/courses", None),
        ("POST", "/admin/courses", NEW_COURSE),
        ("GET", f"/admin/courses/{course.id}", None),
        ("PATCH", f"/admin/courses/{course.id}", {"title": "乗っ取り"}),
        ("POST", f"/admin/courses/{course.id}/publish", None),
        ("POST", f"/admin/courses/{course.id}/unpublish", None),
        ("DELETE", f"/admin/courses/{course.id}", None),
        ("POST", f"/admin/courses/{course.id}/lessons", {"kind": "test", "title": "t"}),
        ("PUT", f"/admin/courses/{course.id}/lesson-order", {"lesson_ids": [str(lesson.id)]}),
        ("GET", f"/admin/lessons/{lesson.id}", None),
        ("PATCH", f"/admin/lessons/{lesson.id}", {"title": "乗っ取り"}),
        ("DELETE", f"/admin/lessons/{lesson.id}", None),
    ]:
        response = await client.request(method, API + path, json=body, headers=headers)
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed"), path
    assert await counts(session) == before
    await session.refresh(course)
    assert (course.is_published, course.title) == (False, "労務管理の基礎")


async def test_r_con_8_concurrent_creations_with_one_slug_have_exactly_one_winner(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    async with committing_sessionmaker() as session:
        staff = await make_user(session, role=Role.staff)
        headers = await bearer_for(session, staff, settings)
        await session.commit()

    responses = await asyncio.gather(
        *[
            committing_client.post(
                f"{API}/admin/courses", json={**NEW_COURSE, "title": f"候補{i}"}, headers=headers
            )
            for i in range(4)
        ]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {"course-slug-taken"}
    async with committing_sessionmaker() as session:
        rows = list(await session.scalars(select(Course).where(Course.slug == NEW_COURSE["slug"])))
        assert len(rows) == 1
