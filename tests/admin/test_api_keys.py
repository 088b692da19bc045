"""Partner API keys: created by admins or org_admins, shown once, stored hashed, scoped,
organization-bound, revocable (R-ID-11), audited (R-ID-12)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import ApiKey, Role
from tests.admin import API, audit_rows, make_key, person, table_counts
from tests.factories import bearer_for, make_organization, make_user


async def test_r_id_11_admin_key_is_shown_once_and_stored_only_as_a_digest(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin, headers = await person(session, settings, Role.admin)
    organization = await make_organization(session)
    await session.commit()

    response = await client.post(
        f"{API}/admin/api-keys",
        json={
            "name": "人事システム連携",
            "scopes": ["users:read", "reports:read", "users:read"],
            "organization_id": str(organization.id),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    key = body["key"]
    assert key.startswith(body["prefix"] + "_")
    assert body["scopes"] == ["reports:read", "users:read"]  # duplicates collapse
    assert body["organization_id"] == str(organization.id)
    assert body["created_by_id"] == str(admin.id)
    assert response.headers["location"] == f"{API}/admin/api-keys/{body['id']}"

    # Stored hashed: no column of the row holds the key.
    row = (
        (await session.execute(text("SELECT * FROM api_key WHERE id = :id"), {"id": body["id"]}))
        .mappings()
        .one()
    )
    assert key not in [str(value) for value in row.values()]
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["prefix"] == body["prefix"]

    # Shown once: neither the read nor the list carries the key or its digest.
    for url in (response.headers["location"], f"{API}/admin/api-keys"):
        read = await client.get(url, headers=headers)
        assert read.status_code == 200
        assert key not in read.text
        assert row["key_hash"] not in read.text
        assert '"key"' not in read.text

    [event] = await audit_rows(session, "api_key.created")
    assert (event.actor_user_id, event.target_type, event.target_id) == (
        admin.id,
        "api_key",
        body["id"],
    )
    assert key not in str(event.data)

    # The key works at once for its organization.
    users = await client.get(f"{API}/organization/users", headers={"X-API-Key": key})
    assert users.status_code == 200


async def test_r_id_11_platform_wide_key_and_expiry(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time
) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2027, 1, 10, 3, 0, tzinfo=UTC)
    await freeze_time(now)
    _, headers = await person(session, settings, Role.admin, now=now)
    await session.commit()
    created = await client.post(
        f"{API}/admin/api-keys",
        json={
            "name": "集計",
            "scopes": ["reports:read"],
            "expires_at": "2027-02-01T00:00:00+09:00",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["organization_id"] is None
    assert datetime.fromisoformat(created.json()["expires_at"]) == datetime(
        2027, 1, 31, 15, 0, tzinfo=UTC
    )

    before = await table_counts(session)
    past = await client.post(
        f"{API}/admin/api-keys",
        json={"name": "x", "scopes": ["reports:read"], "expires_at": "2027-01-10T11:59:00+09:00"},
        headers=headers,
    )
    assert (past.status_code, past.json()["type"]) == (400, "api-key-expiry-past")
    naive = await client.post(
        f"{API}/admin/api-keys",
        json={"name": "x", "scopes": ["reports:read"], "expires_at": "2027-03-01T00:00:00"},
        headers=headers,
    )
    assert naive.status_code == 422
    unknown_org = await client.post(
        f"{API}/admin/api-keys",
        json={
            "name": "x",
            "scopes": ["reports:read"],
            "organization_id": "00000000-0000-4000-8000-000000000000",
        },
        headers=headers,
    )
    assert unknown_org.json()["type"] == "organization-not-found"
    assert await table_counts(session) == before


async def test_r_id_11_scopes_come_from_the_fixed_vocabulary(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    organization = await make_organization(session)
    _, admin = await person(session, settings, Role.admin)
    _, org_admin = await person(session, settings, Role.org_admin, organization_id=organization.id)
    await session.commit()
    before = await table_counts(session)
    for url, headers in (
        (f"{API}/admin/api-keys", admin),
        (f"{API}/me/organization/api-keys", org_admin),
    ):
        for scopes in (["admin:all"], ["users:read", "payments:refund"], [], "users:read"):
            response = await client.post(url, json={"name": "x", "scopes": scopes}, headers=headers)
            assert response.status_code == 422, (url, scopes)
            assert response.json()["type"] == "validation-error"
            assert any(path.startswith("body.scopes") for path in response.json()["errors"])
    assert await table_counts(session) == before


async def test_r_id_11_revocation_is_immediate_idempotent_and_audited(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin, headers = await person(session, settings, Role.admin)
    organization = await make_organization(session)
    key, key_headers = await make_key(
        session, scopes=["users:read"], organization_id=organization.id
    )
    await session.commit()
    assert (await client.get(f"{API}/organization/users", headers=key_headers)).status_code == 200

    revoked = await client.delete(f"{API}/admin/api-keys/{key.id}", headers=headers)
    assert revoked.status_code == 204
    refused = await client.get(f"{API}/organization/users", headers=key_headers)
    assert (refused.status_code, refused.json()["type"]) == (401, "invalid-api-key")
    assert refused.headers["www-authenticate"] == "ApiKey"

    again = await client.delete(f"{API}/admin/api-keys/{key.id}", headers=headers)
    assert again.status_code == 204
    [event] = await audit_rows(session, "api_key.revoked")
    assert (event.actor_user_id, event.target_id) == (admin.id, str(key.id))
    read = (await client.get(f"{API}/admin/api-keys/{key.id}", headers=headers)).json()
    assert read["revoked_at"] is not None

    unknown = await client.delete(
        f"{API}/admin/api-keys/00000000-0000-4000-8000-000000000000", headers=headers
    )
    assert (unknown.status_code, unknown.json()["type"]) == (404, "api-key-not-found")


async def test_r_id_11_admin_lists_keys_filtered_by_organization(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await person(session, settings, Role.admin)
    first = await make_organization(session, name="一")
    second = await make_organization(session, name="二")
    mine, _ = await make_key(session, scopes=["users:read"], organization_id=first.id)
    await make_key(session, scopes=["users:read"], organization_id=second.id)
    await make_key(session, scopes=["users:read"])
    await session.commit()
    everything = (await client.get(f"{API}/admin/api-keys", headers=headers)).json()
    assert len(everything["items"]) == 3
    filtered = (
        await client.get(f"{API}/admin/api-keys?organization_id={first.id}", headers=headers)
    ).json()
    assert [k["id"] for k in filtered["items"]] == [str(mine.id)]


async def test_r_id_11_api_key_management_is_admin_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, staff = await person(session, settings, Role.staff)
    await session.commit()
    for method, url in (
        ("POST", f"{API}/admin/api-keys"),
        ("GET", f"{API}/admin/api-keys"),
        ("DELETE", f"{API}/admin/api-keys/00000000-0000-4000-8000-000000000000"),
    ):
        response = await client.request(
            method, url, json={"name": "x", "scopes": ["users:read"]}, headers=staff
        )
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed")


# --- org_admins manage their own organization's keys ------------------------------------------


async def test_r_id_11_org_admin_creates_keys_bound_to_their_organization(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    organization = await make_organization(session)
    org_admin, headers = await person(
        session, settings, Role.org_admin, organization_id=organization.id
    )
    await session.commit()
    url = f"{API}/me/organization/api-keys"

    created = await client.post(
        url,
        json={"name": "受講管理", "scopes": ["users:read", "enrollments:write"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["organization_id"] == str(organization.id)
    assert body["created_by_id"] == str(org_admin.id)
    assert created.headers["location"] == f"{url}/{body['id']}"
    stored = await session.scalar(select(ApiKey).where(ApiKey.id == body["id"]))
    assert stored is not None and stored.key_hash != body["key"]

    # An org_admin cannot pick another organization (or none): the field does not exist.
    other = await make_organization(session, name="他社")
    await session.commit()
    smuggled = await client.post(
        url,
        json={"name": "x", "scopes": ["users:read"], "organization_id": str(other.id)},
        headers=headers,
    )
    assert smuggled.status_code == 422
    assert "body.organization_id" in smuggled.json()["errors"]

    [event] = await audit_rows(session, "api_key.created")
    assert event.actor_user_id == org_admin.id


async def test_r_id_11_org_admin_never_sees_or_revokes_another_organizations_keys(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ours = await make_organization(session, name="自社")
    theirs = await make_organization(session, name="他社")
    _, headers = await person(session, settings, Role.org_admin, organization_id=ours.id)
    own_key, _ = await make_key(session, scopes=["users:read"], organization_id=ours.id)
    their_key, their_headers = await make_key(
        session, scopes=["users:read"], organization_id=theirs.id
    )
    platform_key, _ = await make_key(session, scopes=["users:read"])
    await session.commit()
    url = f"{API}/me/organization/api-keys"

    listed = (await client.get(url, headers=headers)).json()
    assert [k["id"] for k in listed["items"]] == [str(own_key.id)]
    for foreign in (their_key, platform_key):
        read = await client.get(f"{url}/{foreign.id}", headers=headers)
        assert (read.status_code, read.json()["type"]) == (404, "api-key-not-found")
        revoke = await client.delete(f"{url}/{foreign.id}", headers=headers)
        assert (revoke.status_code, revoke.json()["type"]) == (404, "api-key-not-found")
    # Their key still works.
    assert (await client.get(f"{API}/organization/users", headers=their_headers)).status_code == 200
    assert await audit_rows(session, "api_key.revoked") == []

    assert (await client.delete(f"{url}/{own_key.id}", headers=headers)).status_code == 204
    assert (await client.get(f"{url}/{own_key.id}", headers=headers)).json()["revoked_at"]


async def test_org_admin_without_an_organization_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await person(session, settings, Role.org_admin)
    await session.commit()
    before = await table_counts(session)
    for method in ("GET", "POST"):
        response = await client.request(
            method,
            f"{API}/me/organization/api-keys",
            json={"name": "x", "scopes": ["users:read"]},
            headers=headers,
        )
        assert (response.status_code, response.json()["type"]) == (403, "organization-required")
    assert await table_counts(session) == before


async def test_only_org_admins_use_the_organization_key_endpoints(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    organization = await make_organization(session)
    member = await make_user(session, organization_id=organization.id)
    member_headers = await bearer_for(session, member, settings)
    _, admin_headers = await person(session, settings, Role.admin)
    _, key_headers = await make_key(
        session, scopes=["users:read", "webhooks:manage"], organization_id=organization.id
    )
    await session.commit()
    for headers in (member_headers, admin_headers, key_headers):
        response = await client.get(f"{API}/me/organization/api-keys", headers=headers)
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed")


async def test_r_id_11_expired_key_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time
) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2027, 5, 1, 0, 0, tzinfo=UTC)
    organization = await make_organization(session)
    _, key_headers = await make_key(
        session,
        scopes=["users:read"],
        organization_id=organization.id,
        expires_at=now + timedelta(hours=1),
    )
    await freeze_time(now)
    assert (await client.get(f"{API}/organization/users", headers=key_headers)).status_code == 200
    await freeze_time(now + timedelta(hours=1))
    expired = await client.get(f"{API}/organization/users", headers=key_headers)
    assert (expired.status_code, expired.json()["type"]) == (401, "invalid-api-key")
