"""GET /organization/users: scoped, organization-bound partner access (R-ID-11, SPEC §1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AccountStatus, Role
from tests.admin import API, make_key, person
from tests.factories import make_organization, make_user

URL = f"{API}/organization/users"


async def test_r_id_11_partner_key_lists_only_its_organizations_users(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ours = await make_organization(session, name="自社")
    theirs = await make_organization(session, name="他社")
    alice = await make_user(session, organization_id=ours.id, customer_number="01234567890")
    bob = await make_user(
        session, organization_id=ours.id, role=Role.org_admin, status=AccountStatus.suspended
    )
    await make_user(session, organization_id=theirs.id)
    await make_user(session)
    _, key_headers = await make_key(session, scopes=["users:read"], organization_id=ours.id)
    await session.commit()

    response = await client.get(URL, headers=key_headers)
    assert response.status_code == 200, response.text
    # (Rows made in one test transaction share created_at, so the order is not asserted here.)
    items = {item["id"]: item for item in response.json()["items"]}
    assert set(items) == {str(alice.id), str(bob.id)}
    assert items[str(alice.id)] == {
        "id": str(alice.id),
        "name": alice.name,
        "role": "member",
        "status": "active",
        "customer_number": "01234567890",
    }
    assert "email" not in response.text  # R-ID-6: never disclosed to anyone else

    active = (await client.get(URL, params={"status": "active"}, headers=key_headers)).json()
    assert [item["id"] for item in active["items"]] == [str(alice.id)]

    first = (await client.get(URL, params={"limit": 1}, headers=key_headers)).json()
    rest = (
        await client.get(URL, params={"cursor": first["next_cursor"]}, headers=key_headers)
    ).json()
    assert sorted(i["id"] for i in first["items"] + rest["items"]) == sorted(items)
    assert rest["next_cursor"] is None


async def test_r_id_11_org_admin_lists_only_their_organizations_users(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ours = await make_organization(session, name="自社")
    theirs = await make_organization(session, name="他社")
    org_admin, headers = await person(session, settings, Role.org_admin, organization_id=ours.id)
    colleague = await make_user(session, organization_id=ours.id)
    await make_user(session, organization_id=theirs.id)
    await session.commit()
    response = await client.get(URL, headers=headers)
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["items"]} == {
        str(org_admin.id),
        str(colleague.id),
    }


async def test_r_id_11_key_without_the_scope_is_403_scope_not_granted(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    organization = await make_organization(session)
    _, key_headers = await make_key(
        session, scopes=["reports:read", "users:write"], organization_id=organization.id
    )
    await session.commit()
    response = await client.get(URL, headers=key_headers)
    assert (response.status_code, response.json()["type"]) == (403, "scope-not-granted")
    assert "users:read" in response.json()["detail"]


async def test_r_id_11_platform_wide_key_needs_an_organization_here(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, key_headers = await make_key(session, scopes=["users:read"])
    await session.commit()
    response = await client.get(URL, headers=key_headers, params={"limit": 5})
    assert (response.status_code, response.json()["type"]) == (403, "organization-required")
    assert response.json()["detail"]


async def test_r_id_11_revoked_unknown_and_malformed_keys_are_401(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    organization = await make_organization(session)
    _, revoked = await make_key(
        session,
        scopes=["users:read"],
        organization_id=organization.id,
        revoked_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    await session.commit()
    for headers in (
        revoked,
        {"X-API-Key": "mk_00000000_" + "a" * 43},
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": "mk_" + "x" * 300},
    ):
        response = await client.get(URL, headers=headers)
        assert (response.status_code, response.json()["type"]) == (401, "invalid-api-key")


async def test_r_id_11_keys_never_pass_people_only_operations(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    organization = await make_organization(session)
    _, key_headers = await make_key(
        session,
        scopes=[
            "users:read",
            "users:write",
            "reports:read",
            "enrollments:write",
            "webhooks:manage",
        ],
        organization_id=organization.id,
    )
    await session.commit()
    for url in (f"{API}/admin/users", f"{API}/admin/audit-events", f"{API}/admin/api-keys"):
        response = await client.get(url, headers=key_headers)
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed")


async def test_r_id_11_last_used_at_is_written_at_most_once_a_minute(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time
) -> None:  # type: ignore[no-untyped-def]
    organization = await make_organization(session)
    key, key_headers = await make_key(
        session, scopes=["users:read"], organization_id=organization.id
    )
    start = datetime(2027, 6, 1, 0, 0, 5, tzinfo=UTC)
    await freeze_time(start)
    assert (await client.get(URL, headers=key_headers)).status_code == 200
    await session.refresh(key)
    assert key.last_used_at == start

    await freeze_time(start + timedelta(seconds=59))
    assert (await client.get(URL, headers=key_headers)).status_code == 200
    await session.refresh(key)
    assert key.last_used_at == start  # not rewritten within the minute

    await freeze_time(start + timedelta(seconds=60))
    assert (await client.get(URL, headers=key_headers)).status_code == 200
    await session.refresh(key)
    assert key.last_used_at == start + timedelta(seconds=60)
