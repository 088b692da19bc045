"""Staff grants and revocations, a user's grant history, and a member's own entitlements
(R-CON-7; audited per R-ID-12). Refusals are problems that change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEvent, GrantScope, GrantSource, Role
from tests.content.factories import (
    API,
    counts,
    make_catalog_course,
    make_content_set,
    make_lesson,
    person,
)
from tests.factories import make_grant, make_user

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
async def _frozen(freeze_time: Any) -> None:
    await freeze_time(NOW)


async def _staff(session: AsyncSession, settings: Settings) -> tuple[uuid.UUID, dict[str, str]]:
    staff, headers = await person(session, settings, Role.staff, now=NOW)
    await session.commit()
    return staff.id, headers


async def test_r_con_7_staff_grant_opens_the_course_and_is_audited(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, member_headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, is_membership_content=False, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    staff_id, headers = await _staff(session, settings)
    assert (
        await client.get(f"{API}/lessons/{lesson.id}", headers=member_headers)
    ).status_code == 403

    response = await client.post(
        f"{API}/admin/entitlement-grants",
        json={
            "user_id": str(member.id),
            "scope": "course",
            "course_id": str(course.id),
            "reason": "キャンペーン特典",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"{API}/admin/entitlement-grants/{body['id']}"
    assert (body["source"], body["reason"], body["granted_by_user_id"]) == (
        "staff",
        "キャンペーン特典",
        str(staff_id),
    )
    assert datetime.fromisoformat(body["valid_from"]) == NOW  # defaults to now
    assert body["valid_until"] is None
    assert (
        await client.get(f"{API}/lessons/{lesson.id}", headers=member_headers)
    ).status_code == 200

    (audit,) = await session.scalars(
        select(AuditEvent).where(AuditEvent.action == "entitlement.granted")
    )
    assert (audit.actor_user_id, audit.target_id) == (staff_id, body["id"])
    assert audit.data["reason"] == "キャンペーン特典"
    read = await client.get(response.headers["Location"], headers=headers)
    assert read.json() == body


async def test_r_con_7_grant_for_a_future_window_opens_nothing_yet(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, member_headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    _, headers = await _staff(session, settings)
    response = await client.post(
        f"{API}/admin/entitlement-grants",
        json={
            "user_id": str(member.id),
            "scope": "membership",
            "valid_from": (NOW + timedelta(days=1)).isoformat(),
            "valid_until": (NOW + timedelta(days=31)).isoformat(),
            "reason": "来月から",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert (
        await client.get(f"{API}/lessons/{lesson.id}", headers=member_headers)
    ).status_code == 403


def _grant_body(user_id: uuid.UUID, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"user_id": str(user_id), "scope": "membership", "reason": "理由"}
    body.update(changes or {})
    return {key: value for key, value in body.items() if value is not ...}


@pytest.mark.parametrize(
    ("changes", "status", "problem", "field"),
    [
        ({"reason": ...}, 422, "validation-error", "body.reason"),
        ({"reason": "   "}, 422, "validation-error", "body.reason"),
        ({"reason": "あ" * 1001}, 422, "validation-error", "body.reason"),
        ({"scope": "everything"}, 422, "validation-error", "body.scope"),
        ({"user_id": "nope"}, 422, "validation-error", "body.user_id"),
        ({"valid_until": "2026-12-01T00:00:00"}, 422, "validation-error", "body.valid_until"),
        ({"valid_until": "tomorrow"}, 422, "validation-error", "body.valid_until"),
        ({"source": "purchase"}, 422, "validation-error", "body.source"),
        ({"scope": "course"}, 400, "entitlement-grant-target-invalid", "body.course_id"),
        (
            {"scope": "content_set"},
            400,
            "entitlement-grant-target-invalid",
            "body.content_set_id",
        ),
        (
            {"course_id": str(uuid.uuid4())},
            400,
            "entitlement-grant-target-invalid",
            "body.course_id",
        ),
        (
            {"valid_until": NOW.isoformat()},
            400,
            "entitlement-grant-window-invalid",
            "body.valid_until",
        ),
        (
            {
                "valid_from": (NOW + timedelta(days=2)).isoformat(),
                "valid_until": (NOW + timedelta(days=1)).isoformat(),
            },
            400,
            "entitlement-grant-window-invalid",
            "body.valid_until",
        ),
    ],
)
async def test_r_con_7_bad_grants_are_problems_and_write_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    changes: dict[str, Any],
    status: int,
    problem: str,
    field: str,
) -> None:
    member = await make_user(session)
    _, headers = await _staff(session, settings)
    before = await counts(session)
    response = await client.post(
        f"{API}/admin/entitlement-grants", json=_grant_body(member.id, changes), headers=headers
    )
    assert (response.status_code, response.json()["type"]) == (status, problem), response.text
    assert field in response.json()["errors"]
    assert await counts(session) == before


@pytest.mark.parametrize(
    ("target", "problem"),
    [("user", "user-not-found"), ("course", "course-not-found"), ("set", "content-set-not-found")],
)
async def test_r_con_7_grants_for_unknown_users_or_items_are_404(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, target: str, problem: str
) -> None:
    member = await make_user(session)
    _, headers = await _staff(session, settings)
    body = {
        "user": _grant_body(uuid.uuid4()),
        "course": _grant_body(member.id, {"scope": "course", "course_id": str(uuid.uuid4())}),
        "set": _grant_body(
            member.id, {"scope": "content_set", "content_set_id": str(uuid.uuid4())}
        ),
    }[target]
    before = await counts(session)
    response = await client.post(f"{API}/admin/entitlement-grants", json=body, headers=headers)
    assert (response.status_code, response.json()["type"]) == (404, problem)
    assert await counts(session) == before


async def test_r_con_7_revoking_ends_access_now_once_and_is_audited(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, member_headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    grant = await make_grant(session, member, source=GrantSource.subscription, source_ref="s-1")
    staff_id, headers = await _staff(session, settings)
    assert (
        await client.get(f"{API}/lessons/{lesson.id}", headers=member_headers)
    ).status_code == 200

    url = f"{API}/admin/entitlement-grants/{grant.id}/revoke"
    response = await client.post(url, json={"reason": "不正利用"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert datetime.fromisoformat(body["revoked_at"]) == NOW
    assert (body["revoked_reason"], body["revoked_by_user_id"]) == ("不正利用", str(staff_id))
    assert (
        await client.get(f"{API}/lessons/{lesson.id}", headers=member_headers)
    ).status_code == 403

    before = await counts(session)
    twice = await client.post(url, json={"reason": "もう一度"}, headers=headers)
    assert (twice.status_code, twice.json()["type"]) == (409, "entitlement-grant-already-revoked")
    assert await counts(session) == before
    await session.refresh(grant)
    assert grant.revoked_reason == "不正利用"
    actions = list(
        await session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_id == str(grant.id))
        )
    )
    assert actions == ["entitlement.revoked"]


async def test_r_con_7_revoke_needs_a_reason_and_a_known_grant(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member = await make_user(session)
    grant = await make_grant(session, member)
    _, headers = await _staff(session, settings)
    url = f"{API}/admin/entitlement-grants/{grant.id}/revoke"
    for body in ({}, {"reason": ""}, {"reason": 5}):
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 422
    unknown = await client.post(
        f"{API}/admin/entitlement-grants/{uuid.uuid4()}/revoke",
        json={"reason": "x"},
        headers=headers,
    )
    assert (unknown.status_code, unknown.json()["type"]) == (404, "entitlement-grant-not-found")
    await session.refresh(grant)
    assert grant.revoked_at is None


async def test_r_con_7_staff_see_a_users_whole_grant_history_paged(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member = await make_user(session)
    other = await make_user(session)
    course = await make_catalog_course(session)
    grants = [
        await make_grant(session, member),
        await make_grant(session, member, valid_until=NOW - timedelta(days=1)),
        await make_grant(
            session,
            member,
            scope=GrantScope.course,
            course_id=course.id,
            source=GrantSource.purchase,
        ),
    ]
    grants[0].revoked_at = NOW - timedelta(hours=1)
    await make_grant(session, other)
    _, headers = await _staff(session, settings)

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get(
            f"{API}/admin/users/{member.id}/entitlement-grants", params=params, headers=headers
        )
        assert response.status_code == 200
        seen += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(g.id) for g in grants)
    assert len(seen) == len(set(seen))

    unknown = await client.get(
        f"{API}/admin/users/{uuid.uuid4()}/entitlement-grants", headers=headers
    )
    assert (unknown.status_code, unknown.json()["type"]) == (404, "user-not-found")


async def test_r_con_7_members_are_refused_on_grant_administration(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, headers = await person(session, settings, now=NOW)
    grant = await make_grant(session, member)
    await session.commit()
    before = await counts(session)
    for method, path, body in [
        ("POST", "/admin/entitlement-grants", _grant_body(member.id)),
        ("GET", f"/admin/entitlement-grants/{grant.id}", None),
        ("POST", f"/admin/entitlement-grants/{grant.id}/revoke", {"reason": "x"}),
        ("GET", f"/admin/users/{member.id}/entitlement-grants", None),
    ]:
        response = await client.request(method, API + path, json=body, headers=headers)
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed"), path
    assert await counts(session) == before


# --- A member's own entitlements ------------------------------------------------------------------


async def test_r_con_7_me_entitlements_lists_only_my_live_grants_with_titles(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, headers = await person(session, settings, now=NOW)
    other = await make_user(session)
    course = await make_catalog_course(session, title="簿記3級", is_membership_content=False)
    content_set = await make_content_set(session, [course])
    membership = await make_grant(
        session, member, source=GrantSource.subscription, valid_until=NOW + timedelta(seconds=1)
    )
    bought = await make_grant(
        session, member, scope=GrantScope.course, course_id=course.id, source=GrantSource.purchase
    )
    plan = await make_grant(
        session,
        member,
        scope=GrantScope.content_set,
        content_set_id=content_set.id,
        source=GrantSource.organization_plan,
        valid_from=NOW,  # starts this instant: live
    )
    await make_grant(session, member, valid_until=NOW)  # ended this instant
    await make_grant(session, member, valid_from=NOW + timedelta(seconds=1))  # not yet
    revoked = await make_grant(session, member)
    revoked.revoked_at = NOW
    await make_grant(session, other, scope=GrantScope.course, course_id=course.id)
    await session.commit()

    response = await client.get(f"{API}/me/entitlements", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["has_membership"] is True
    by_id = {item["id"]: item for item in body["items"]}
    assert set(by_id) == {str(membership.id), str(bought.id), str(plan.id)}
    assert by_id[str(bought.id)]["course_title"] == "簿記3級"
    assert by_id[str(bought.id)]["source"] == "purchase"
    assert by_id[str(plan.id)]["content_set_title"] == "法人プラン"
    assert by_id[str(membership.id)]["valid_until"] is not None
    assert "reason" not in by_id[str(bought.id)]  # staff notes stay with staff


async def test_r_con_7_me_entitlements_without_grants_and_anonymous(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await person(session, settings, now=NOW)
    await session.commit()
    response = await client.get(f"{API}/me/entitlements", headers=headers)
    assert response.json() == {"has_membership": False, "items": []}
    assert (await client.get(f"{API}/me/entitlements")).status_code == 401
