"""Content sets (R-CON-7): staff create, read, edit, replace the course list, delete; a set's
grant follows its course list at once. Bad input is a problem that changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import GrantScope, GrantSource, Role
from tests.content.factories import (
    API,
    counts,
    make_catalog_course,
    make_content_set,
    make_lesson,
    person,
)
from tests.factories import make_grant


async def _staff(session: AsyncSession, settings: Settings) -> dict[str, str]:
    _, headers = await person(session, settings, Role.staff)
    await session.commit()
    return headers


async def test_r_con_7_staff_create_and_read_a_content_set(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    first = await make_catalog_course(session, title="A", position=1)
    second = await make_catalog_course(session, title="B", position=0, is_published=False)
    headers = await _staff(session, settings)
    response = await client.post(
        f"{API}/admin/content-sets",
        json={
            "code": "plan-basic",
            "title": "ベーシックプラン",
            "description": "法人向け",
            "course_ids": [str(first.id), str(second.id), str(first.id)],  # duplicates count once
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"{API}/admin/content-sets/{body['id']}"
    assert (body["code"], body["title"], body["description"]) == (
        "plan-basic",
        "ベーシックプラン",
        "法人向け",
    )
    assert [c["id"] for c in body["courses"]] == [str(second.id), str(first.id)]  # catalog order
    assert body["courses"][0]["is_published"] is False
    read = await client.get(response.headers["Location"], headers=headers)
    assert read.json() == body
    listing = (await client.get(f"{API}/admin/content-sets", headers=headers)).json()
    assert [item["code"] for item in listing["items"]] == ["plan-basic"]


@pytest.mark.parametrize(
    ("body", "status", "problem", "field"),
    [
        ({"title": "t"}, 422, "validation-error", "body.code"),
        ({"code": "ok"}, 422, "validation-error", "body.title"),
        ({"code": "Bad Code", "title": "t"}, 422, "validation-error", "body.code"),
        ({"code": "c" * 101, "title": "t"}, 422, "validation-error", "body.code"),
        ({"code": "ok", "title": "あ" * 201}, 422, "validation-error", "body.title"),
        (
            {"code": "ok", "title": "t", "course_ids": "all"},
            422,
            "validation-error",
            "body.course_ids",
        ),
        (
            {"code": "ok", "title": "t", "course_ids": ["nope"]},
            422,
            "validation-error",
            "body.course_ids.0",
        ),
        (
            {"code": "ok", "title": "t", "course_ids": [str(uuid.uuid4())]},
            400,
            "content-set-courses-unknown",
            "body.course_ids",
        ),
    ],
)
async def test_r_con_7_bad_content_sets_are_problems_and_write_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    body: dict[str, Any],
    status: int,
    problem: str,
    field: str,
) -> None:
    headers = await _staff(session, settings)
    before = await counts(session)
    response = await client.post(f"{API}/admin/content-sets", json=body, headers=headers)
    assert (response.status_code, response.json()["type"]) == (status, problem), response.text
    assert field in response.json()["errors"]
    assert await counts(session) == before


async def test_r_con_7_content_set_codes_are_unique_on_create_and_edit(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_content_set(session, [], code="taken")
    mine = await make_content_set(session, [], code="mine")
    headers = await _staff(session, settings)
    before = await counts(session)
    created = await client.post(
        f"{API}/admin/content-sets", json={"code": "taken", "title": "t"}, headers=headers
    )
    assert (created.status_code, created.json()["type"]) == (409, "content-set-code-taken")
    edited = await client.patch(
        f"{API}/admin/content-sets/{mine.id}", json={"code": "taken"}, headers=headers
    )
    assert (edited.status_code, edited.json()["type"]) == (409, "content-set-code-taken")
    assert await counts(session) == before
    await session.refresh(mine)
    assert mine.code == "mine"


async def test_r_con_7_patch_edits_only_the_fields_sent(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    content_set = await make_content_set(session, [], code="plan")
    headers = await _staff(session, settings)
    url = f"{API}/admin/content-sets/{content_set.id}"
    response = await client.patch(
        url, json={"title": "新プラン", "code": "plan-2"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["code"]) == ("新プラン", "plan-2")
    for bad in ({"title": None}, {"code": "UPPER"}, {"courses": []}):
        assert (await client.patch(url, json=bad, headers=headers)).status_code == 422


async def test_r_con_7_replacing_the_course_list_changes_access_at_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, member_headers = await person(session, settings)
    old = await make_catalog_course(session, is_membership_content=False, lessons=1)
    new = await make_catalog_course(session, is_membership_content=False, lessons=1)
    old_lesson = await make_lesson(session, old, position=1)
    new_lesson = await make_lesson(session, new, position=1)
    content_set = await make_content_set(session, [old])
    await make_grant(
        session,
        member,
        scope=GrantScope.content_set,
        content_set_id=content_set.id,
        source=GrantSource.organization_plan,
    )
    headers = await _staff(session, settings)

    async def status(lesson_id: uuid.UUID) -> int:
        response = await client.get(f"{API}/lessons/{lesson_id}", headers=member_headers)
        return response.status_code

    assert (await status(old_lesson.id), await status(new_lesson.id)) == (200, 403)
    url = f"{API}/admin/content-sets/{content_set.id}/courses"
    replaced = await client.put(url, json={"course_ids": [str(new.id)]}, headers=headers)
    assert replaced.status_code == 200, replaced.text
    assert [c["id"] for c in replaced.json()["courses"]] == [str(new.id)]
    assert (await status(old_lesson.id), await status(new_lesson.id)) == (403, 200)

    before = await counts(session)
    unknown = await client.put(url, json={"course_ids": [str(uuid.uuid4())]}, headers=headers)
    assert (unknown.status_code, unknown.json()["type"]) == (400, "content-set-courses-unknown")
    assert await counts(session) == before
    emptied = await client.put(url, json={"course_ids": []}, headers=headers)
    assert emptied.json()["courses"] == []
    missing = await client.put(
        f"{API}/admin/content-sets/{uuid.uuid4()}/courses", json={"course_ids": []}, headers=headers
    )
    assert (missing.status_code, missing.json()["type"]) == (404, "content-set-not-found")


async def test_r_con_7_a_content_set_that_grants_use_cannot_be_deleted(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, _ = await person(session, settings)
    course = await make_catalog_course(session)
    used = await make_content_set(session, [course])
    unused = await make_content_set(session, [course])
    await make_grant(session, member, scope=GrantScope.content_set, content_set_id=used.id)
    headers = await _staff(session, settings)
    before = await counts(session)
    refused = await client.delete(f"{API}/admin/content-sets/{used.id}", headers=headers)
    assert (refused.status_code, refused.json()["type"]) == (409, "content-set-in-use")
    assert await counts(session) == before
    deleted = await client.delete(f"{API}/admin/content-sets/{unused.id}", headers=headers)
    assert deleted.status_code == 204
    after = await counts(session)
    assert (after["content_set"], after["content_set_course"]) == (
        before["content_set"] - 1,
        before["content_set_course"] - 1,
    )
    gone = await client.get(f"{API}/admin/content-sets/{unused.id}", headers=headers)
    assert (gone.status_code, gone.json()["type"]) == (404, "content-set-not-found")


async def test_r_con_7_members_are_refused_on_content_set_administration(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    content_set = await make_content_set(session, [])
    _, headers = await person(session, settings)
    await session.commit()
    before = await counts(session)
    for method, path, body in [
        ("GET", "/admin/content-sets", None),
        ("POST", "/admin/content-sets", {"code": "x", "title": "x"}),
        ("GET", f"/admin/content-sets/{content_set.id}", None),
        ("PATCH", f"/admin/content-sets/{content_set.id}", {"title": "x"}),
        ("PUT", f"/admin/content-sets/{content_set.id}/courses", {"course_ids": []}),
        ("DELETE", f"/admin/content-sets/{content_set.id}", None),
    ]:
        response = await client.request(method, API + path, json=body, headers=headers)
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed"), path
    assert await counts(session) == before
