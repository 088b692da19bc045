"""Organizations (R-B2B-1, minimal) and terms publishing (R-ID-10), both audited (R-ID-12)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Role
from tests.admin import API, audit_rows, person, table_counts
from tests.factories import make_organization

TERMS = {
    "kind": "terms",
    "version": "2027.04",
    "effective_on": "2027-04-01",
    "title": "「学びオンライン プラス」利用規約",
    "body": "総則 第1条 利用規約と適用範囲 …",
}


async def test_r_b2b_1_admin_creates_organizations_staff_reads_them(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin, admin_headers = await person(session, settings, Role.admin)
    _, staff_headers = await person(session, settings, Role.staff)
    await session.commit()

    by_staff = await client.post(
        f"{API}/admin/organizations", json={"name": "株式会社スタッフ"}, headers=staff_headers
    )
    assert (by_staff.status_code, by_staff.json()["type"]) == (403, "role-not-allowed")

    created = await client.post(
        f"{API}/admin/organizations", json={"name": " 株式会社まなび "}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "株式会社まなび"
    assert body["is_active"] is True
    assert created.headers["location"] == f"{API}/admin/organizations/{body['id']}"

    read = await client.get(created.headers["location"], headers=staff_headers)
    assert read.json() == body
    listed = await client.get(f"{API}/admin/organizations", headers=staff_headers)
    assert [o["id"] for o in listed.json()["items"]] == [body["id"]]
    unknown = await client.get(
        f"{API}/admin/organizations/00000000-0000-4000-8000-000000000000", headers=staff_headers
    )
    assert (unknown.status_code, unknown.json()["type"]) == (404, "organization-not-found")

    [event] = await audit_rows(session, "organization.created")
    assert (event.actor_user_id, event.target_type, event.target_id) == (
        admin.id,
        "organization",
        body["id"],
    )


async def test_organizations_list_pages_by_cursor(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await person(session, settings, Role.staff)
    for index in range(3):
        await make_organization(session, name=f"組織{index}")
    await session.commit()
    first = (await client.get(f"{API}/admin/organizations?limit=2", headers=headers)).json()
    assert len(first["items"]) == 2
    second = (
        await client.get(
            f"{API}/admin/organizations",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=headers,
        )
    ).json()
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    bad = await client.get(f"{API}/admin/organizations?cursor=forged", headers=headers)
    assert (bad.status_code, bad.json()["type"]) == (400, "invalid-cursor")


async def test_r_id_10_admin_publishes_a_terms_version(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time
) -> None:  # type: ignore[no-untyped-def]
    at = datetime(2027, 3, 31, 15, 0, tzinfo=UTC)  # 2027-04-01 00:00 JST
    await freeze_time(at)
    admin, headers = await person(session, settings, Role.admin, now=at)
    await session.commit()

    response = await client.post(f"{API}/admin/terms", json=TERMS, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in TERMS} == TERMS
    assert response.headers["location"] == f"{API}/admin/terms/{body['id']}"
    assert (await client.get(response.headers["location"], headers=headers)).json() == body

    listed = (await client.get(f"{API}/admin/terms?kind=terms", headers=headers)).json()
    assert [t["version"] for t in listed["items"]] == ["2027.04"]
    assert "body" not in listed["items"][0]
    assert (await client.get(f"{API}/admin/terms?kind=privacy", headers=headers)).json()[
        "items"
    ] == []

    [event] = await audit_rows(session, "terms.published")
    assert (event.actor_user_id, event.target_type, event.target_id) == (
        admin.id,
        "terms_document",
        body["id"],
    )
    assert event.data == {"kind": "terms", "version": "2027.04", "effective_on": "2027-04-01"}


async def test_r_id_10_duplicate_version_is_409_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await person(session, settings, Role.admin)
    await session.commit()
    terms = {**TERMS, "effective_on": "2099-01-01"}
    assert (await client.post(f"{API}/admin/terms", json=terms, headers=headers)).status_code == 201
    before = await table_counts(session)
    again = await client.post(
        f"{API}/admin/terms", json={**terms, "title": "別の題名"}, headers=headers
    )
    assert (again.status_code, again.json()["type"]) == (409, "terms-version-exists")
    assert await table_counts(session) == before
    # The same version string for the other kind is a different document.
    privacy = await client.post(
        f"{API}/admin/terms", json={**terms, "kind": "privacy"}, headers=headers
    )
    assert privacy.status_code == 201


async def test_r_id_10_effective_date_cannot_be_back_dated_in_jst(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time
) -> None:  # type: ignore[no-untyped-def]
    # 2027-04-01 00:30 JST is still 2027-03-31 in UTC: "today" is the JST date.
    at = datetime(2027, 3, 31, 15, 30, tzinfo=UTC)
    await freeze_time(at)
    _, headers = await person(session, settings, Role.admin, now=at)
    await session.commit()
    past = await client.post(
        f"{API}/admin/terms", json={**TERMS, "effective_on": "2027-03-31"}, headers=headers
    )
    assert (past.status_code, past.json()["type"]) == (400, "terms-effective-date-past")
    today = await client.post(
        f"{API}/admin/terms", json={**TERMS, "effective_on": "2027-04-01"}, headers=headers
    )
    assert today.status_code == 201


async def test_r_id_10_publishing_is_admin_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, staff = await person(session, settings, Role.staff)
    await session.commit()
    refused = await client.post(f"{API}/admin/terms", json=TERMS, headers=staff)
    assert (refused.status_code, refused.json()["type"]) == (403, "role-not-allowed")
    assert (await client.get(f"{API}/admin/terms", headers=staff)).status_code == 200
