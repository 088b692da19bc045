"""The member lesson page (R-CON-7): 200 with a live grant, 403 `not-entitled` without one,
404 for unknown lessons and unpublished courses, staff preview; one SQL statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import (
    AccountStatus,
    AuthSession,
    CourseProgram,
    GrantScope,
    GrantSource,
    LessonKind,
    Role,
    User,
)
from tests.content.factories import (
    API,
    make_catalog_course,
    make_content_set,
    make_lesson,
    person,
)
from tests.factories import make_grant
from tests.statements import recorded_statements

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
async def _frozen(freeze_time: Any) -> None:
    await freeze_time(NOW)


async def test_r_con_7_member_with_membership_opens_a_lesson_with_its_neighbours(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, title="労務管理の基礎")
    first = await make_lesson(session, course, position=0)
    middle = await make_lesson(session, course, position=1, kind=LessonKind.test, title="テスト")
    last = await make_lesson(session, course, position=2)
    await make_grant(session, member, scope=GrantScope.membership, source=GrantSource.subscription)
    await session.commit()

    response = await client.get(f"{API}/lessons/{middle.id}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["course_title"] == "労務管理の基礎"
    assert body["course_id"] == str(course.id)
    assert (body["kind"], body["title"], body["position"]) == ("test", "テスト", 1)
    assert (body["previous_lesson_id"], body["next_lesson_id"]) == (str(first.id), str(last.id))
    assert body["has_video"] is False
    assert body["is_preview"] is False
    assert "asset-" not in response.text  # playback comes from the media API, not here

    first_page = (await client.get(f"{API}/lessons/{first.id}", headers=headers)).json()
    assert first_page["previous_lesson_id"] is None
    assert first_page["next_lesson_id"] == str(middle.id)
    assert first_page["has_video"] is True
    last_page = (await client.get(f"{API}/lessons/{last.id}", headers=headers)).json()
    assert (last_page["previous_lesson_id"], last_page["next_lesson_id"]) == (str(middle.id), None)


async def test_r_con_7_member_without_grant_gets_403_not_entitled(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    await session.commit()
    response = await client.get(f"{API}/lessons/{lesson.id}", headers=headers)
    assert (response.status_code, response.json()["type"]) == (403, "not-entitled")
    assert response.json()["title"] == "この教材を利用する権利がありません"
    english = await client.get(
        f"{API}/lessons/{lesson.id}", headers={**headers, "Accept-Language": "en"}
    )
    assert english.json()["title"] == "You are not entitled to this content"


async def test_r_con_7_another_members_grant_opens_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    holder, holder_headers = await person(session, settings, now=NOW)
    _, other_headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, is_membership_content=False, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    await make_grant(
        session, holder, scope=GrantScope.course, course_id=course.id, source=GrantSource.purchase
    )
    await session.commit()
    assert (
        await client.get(f"{API}/lessons/{lesson.id}", headers=holder_headers)
    ).status_code == 200
    refused = await client.get(f"{API}/lessons/{lesson.id}", headers=other_headers)
    assert (refused.status_code, refused.json()["type"]) == (403, "not-entitled")


@pytest.mark.parametrize(
    ("valid_until", "status"),
    [
        (NOW, 403),  # the end is exclusive: expired at this very instant
        (NOW + timedelta(seconds=1), 200),  # one second left
        (NOW - timedelta(seconds=1), 403),
    ],
)
async def test_r_con_7_grant_expiry_is_exact_to_the_instant(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    valid_until: datetime,
    status: int,
) -> None:
    member, headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, is_membership_content=False, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    await make_grant(
        session,
        member,
        scope=GrantScope.course,
        course_id=course.id,
        source=GrantSource.enrollment,
        valid_from=NOW - timedelta(days=30),
        valid_until=valid_until,
    )
    await session.commit()
    response = await client.get(f"{API}/lessons/{lesson.id}", headers=headers)
    assert response.status_code == status, response.text


async def test_r_con_7_grant_not_started_yet_and_revoked_grant_open_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    await make_grant(session, member, valid_from=NOW + timedelta(seconds=1))
    revoked = await make_grant(session, member)
    revoked.revoked_at = NOW
    await session.commit()
    response = await client.get(f"{API}/lessons/{lesson.id}", headers=headers)
    assert (response.status_code, response.json()["type"]) == (403, "not-entitled")


async def test_r_con_7_membership_does_not_open_a_correspondence_course_but_a_set_does(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(
        session, program=CourseProgram.correspondence, is_membership_content=False, lessons=1
    )
    lesson = await make_lesson(session, course, position=1)
    await make_grant(session, member, scope=GrantScope.membership)
    await session.commit()
    assert (await client.get(f"{API}/lessons/{lesson.id}", headers=headers)).status_code == 403

    content_set = await make_content_set(session, [course])
    await make_grant(
        session,
        member,
        scope=GrantScope.content_set,
        content_set_id=content_set.id,
        source=GrantSource.organization_plan,
    )
    await session.commit()
    assert (await client.get(f"{API}/lessons/{lesson.id}", headers=headers)).status_code == 200


async def test_r_con_7_unknown_lesson_and_unpublished_course_are_404_even_with_a_grant(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member, headers = await person(session, settings, now=NOW)
    draft = await make_catalog_course(session, is_published=False, lessons=1)
    lesson = await make_lesson(session, draft, position=1)
    await make_grant(session, member, scope=GrantScope.course, course_id=draft.id)
    await session.commit()
    hidden = await client.get(f"{API}/lessons/{lesson.id}", headers=headers)
    assert (hidden.status_code, hidden.json()["type"]) == (404, "lesson-not-found")
    unknown = await client.get(f"{API}/lessons/{lesson.course_id}", headers=headers)
    assert (unknown.status_code, unknown.json()["type"]) == (404, "lesson-not-found")
    malformed = await client.get(f"{API}/lessons/nope", headers=headers)
    assert malformed.status_code == 422


@pytest.mark.parametrize("role", [Role.staff, Role.admin])
async def test_r_con_7_staff_preview_unpublished_lessons_without_grants(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, role: Role
) -> None:
    _, headers = await person(session, settings, role, now=NOW)
    draft = await make_catalog_course(session, is_published=False, is_membership_content=False)
    lesson = await make_lesson(session, draft, position=0)
    await session.commit()
    response = await client.get(f"{API}/lessons/{lesson.id}", headers=headers)
    assert response.status_code == 200
    assert response.json()["is_preview"] is True


@pytest.mark.parametrize("role", [Role.grader, Role.org_admin])
async def test_r_con_7_other_roles_need_grants_like_members(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, role: Role
) -> None:
    _, headers = await person(session, settings, role, now=NOW)
    course = await make_catalog_course(session, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    await session.commit()
    response = await client.get(f"{API}/lessons/{lesson.id}", headers=headers)
    assert response.status_code == 403


async def test_r_con_7_anonymous_callers_cannot_open_lessons(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    course = await make_catalog_course(session, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    await session.commit()
    response = await client.get(f"{API}/lessons/{lesson.id}")
    assert response.status_code == 401


# --- One round trip ------------------------------------------------------------------------------


def _is_clock_read(statement: str) -> bool:
    """The adjustable clock's read: absent in production, where "now" is the system clock."""
    return "FROM test_clock" in statement


async def test_r_id_11_a_partner_key_cannot_open_lesson_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """An operation for people: a partner key alone is refused as `Authenticator` refuses it."""
    course = await make_catalog_course(session, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    await session.commit()
    response = await client.get(
        f"{API}/lessons/{lesson.id}", headers={"X-API-Key": "mk_abcdefgh_" + "x" * 43}
    )
    assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed")


@pytest.mark.parametrize("entitled", [True, False])
async def test_r_con_7_lesson_page_is_one_statement_with_authentication(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    entitled: bool,
) -> None:
    """The hot read: lesson, course title, neighbours, the entitlement check and the login
    session check together, in one statement (app.auth.hot_path, app.kit.hot_query)."""
    member, headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, lessons=3)
    lesson = await make_lesson(session, course, position=3)
    if entitled:
        await make_grant(session, member)
    await session.commit()

    async with recorded_statements(session) as statements:
        response = await client.get(f"{API}/lessons/{lesson.id}", headers=headers)
    assert response.status_code == (200 if entitled else 403)

    (page,) = [s for s in statements if not _is_clock_read(s)]
    assert "FROM lesson JOIN course" in page
    assert "auth_session" in page  # the login session check is in the same statement
    assert "entitlement_grant" in page  # the access check is in the same statement


# --- The login session check inside the hot statement (app.auth.hot_path) ----------------------


async def _session_change(session: AsyncSession, member: User, change: str) -> None:
    if change == "revoked":
        await session.execute(
            update(AuthSession).where(AuthSession.user_id == member.id).values(revoked_at=NOW)
        )
    elif change == "expired":
        await session.execute(
            update(AuthSession).where(AuthSession.user_id == member.id).values(expires_at=NOW)
        )
    elif change == "epoch":
        member.session_epoch += 1
    elif change == "suspended":
        member.status = AccountStatus.suspended
    elif change == "withdrawn":
        member.status = AccountStatus.withdrawn
    await session.flush()


@pytest.mark.parametrize(
    ("change", "status", "problem"),
    [
        ("revoked", 401, "invalid-access-token"),
        ("expired", 401, "invalid-access-token"),
        ("epoch", 401, "invalid-access-token"),
        ("suspended", 403, None),
        ("withdrawn", 403, None),
    ],
)
async def test_r_id_7_r_id_9_lesson_page_refuses_dead_sessions_like_every_endpoint(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    change: str,
    status: int,
    problem: str | None,
) -> None:
    """The hot path answers what `Authenticator` answers on /me, for an existing lesson and
    for an unknown one (no 404 leaks past a dead session)."""
    member, headers = await person(session, settings, now=NOW)
    course = await make_catalog_course(session, lessons=1)
    lesson = await make_lesson(session, course, position=1)
    await make_grant(session, member)
    assert (await client.get(f"{API}/lessons/{lesson.id}", headers=headers)).status_code == 200

    await _session_change(session, member, change)
    await session.commit()

    expected = await client.get(f"{API}/me", headers=headers)
    assert expected.status_code == status
    for target in (lesson.id, uuid.uuid4()):
        response = await client.get(f"{API}/lessons/{target}", headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["type"] == expected.json()["type"]
        if problem is not None:
            assert response.json()["type"] == problem


async def test_r_id_12_role_change_applies_to_the_hot_path_at_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """A token issued to staff previews unpublished lessons only while the account is staff."""
    staff, headers = await person(session, settings, role=Role.staff, now=NOW)
    course = await make_catalog_course(session, lessons=1, is_published=False)
    lesson = await make_lesson(session, course, position=1)
    await session.commit()
    assert (await client.get(f"{API}/lessons/{lesson.id}", headers=headers)).status_code == 200

    staff.role = Role.member
    await session.commit()
    response = await client.get(f"{API}/lessons/{lesson.id}", headers=headers)
    assert response.status_code == 404
    assert response.json()["type"] == "lesson-not-found"
