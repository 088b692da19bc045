"""Object-level authorization on every admin operation (SPEC §1, R-ID-9, R-ID-11) and malformed
input refused as a problem with nothing written (SPEC §0 Errors)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Role
from tests.admin import API, make_key, person, table_counts
from tests.factories import make_organization, make_user


def _admin_operations(app: FastAPI) -> list[tuple[str, str]]:
    # From the OpenAPI document: FastAPI >= 0.16x keeps included routers nested (`app.routes`
    # no longer lists their routes), while the document always lists every operation.
    operations = []
    for path, methods in app.openapi()["paths"].items():
        if path.startswith(f"{API}/admin/"):
            for method in methods:
                concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
                operations.append((method.upper(), concrete))
    return operations


@pytest.mark.parametrize("role", [Role.member, Role.grader, Role.org_admin])
async def test_non_staff_roles_get_403_role_not_allowed_on_every_admin_operation(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    role: Role,
) -> None:
    organization = await make_organization(session)
    _, headers = await person(session, settings, role, organization_id=organization.id)
    await session.commit()
    before = await table_counts(session)
    operations = _admin_operations(app)
    assert len(operations) >= 18
    for method, path in operations:
        response = await client.request(method, path, json={}, headers=headers)
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed"), (
            method,
            path,
        )
    assert await table_counts(session) == before


async def test_staff_cannot_use_admin_only_operations(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await person(session, settings, Role.staff)
    await session.commit()
    some_id = uuid.uuid4()
    admin_only = [
        ("POST", "/admin/users"),
        ("PATCH", f"/admin/users/{some_id}"),
        ("PUT", f"/admin/users/{some_id}/role"),
        ("POST", "/admin/organizations"),
        ("POST", "/admin/terms"),
        ("POST", "/admin/api-keys"),
        ("GET", "/admin/api-keys"),
        ("GET", f"/admin/api-keys/{some_id}"),
        ("DELETE", f"/admin/api-keys/{some_id}"),
        ("GET", "/admin/audit-events"),
    ]
    for method, path in admin_only:
        response = await client.request(method, API + path, json={}, headers=headers)
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed"), path


async def test_anonymous_callers_get_401_on_every_admin_and_organization_operation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    operations = [
        *_admin_operations(app),
        ("GET", f"{API}/organization/users"),
        ("GET", f"{API}/me/organization/api-keys"),
        ("POST", f"{API}/me/organization/api-keys"),
        ("GET", f"{API}/me/organization/api-keys/{uuid.uuid4()}"),
        ("DELETE", f"{API}/me/organization/api-keys/{uuid.uuid4()}"),
    ]
    for method, path in operations:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["type"] == "not-authenticated"


# --- Malformed input: 422 problem, nothing written ----------------------------------------------

LONG = "x" * 1001
BAD_BODIES: dict[tuple[str, str], list[Any]] = {
    ("POST", "/admin/users"): [
        {},
        {"email": 5, "name": "n", "role": "staff"},
        {"email": "not-an-email", "name": "n", "role": "staff"},
        {"email": "a" * 250 + "@example.jp", "name": "n", "role": "staff"},
        {"email": "a@example.jp", "name": "n" * 101, "role": "staff"},
        {"email": "a@example.jp", "name": "n", "role": "superuser"},
        {"email": "a@example.jp", "name": "n", "role": "staff", "password_hash": "x"},
        {"email": "a@example.jp", "name": "n", "role": "staff", "organization_id": "acme"},
        [],
    ],
    ("POST", "/admin/users/{user}/suspension"): [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": LONG},
        {"reason": 1},
        {"reason": "x", "notify": False},
    ],
    ("POST", "/admin/users/{user}/withdrawal"): [{}, {"reason": ""}, {"reason": LONG}],
    ("PUT", "/admin/users/{user}/role"): [{}, {"role": "root"}, {"role": 1}, {"role": None}],
    ("PATCH", "/admin/users/{user}"): [{"organization_id": "acme"}, {"name": "x"}],
    ("POST", "/admin/organizations"): [{}, {"name": ""}, {"name": "x" * 201}, {"name": []}],
    ("POST", "/admin/terms"): [
        {},
        {"kind": "eula", "version": "1", "effective_on": "2099-01-01", "title": "t", "body": "b"},
        {
            "kind": "terms",
            "version": "v 1!",
            "effective_on": "2099-01-01",
            "title": "t",
            "body": "b",
        },
        {"kind": "terms", "version": "1", "effective_on": "2099-13-01", "title": "t", "body": "b"},
        {
            "kind": "terms",
            "version": "1",
            "effective_on": "2099-01-01",
            "title": "t" * 201,
            "body": "b",
        },
        {"kind": "terms", "version": "1", "effective_on": "2099-01-01", "title": "t", "body": ""},
        {
            "kind": "terms",
            "version": "x" * 33,
            "effective_on": "2099-01-01",
            "title": "t",
            "body": "b",
        },
    ],
    ("POST", "/admin/api-keys"): [
        {},
        {"name": "k"},
        {"name": "k", "scopes": ["root"]},
        {"name": "k" * 101, "scopes": ["users:read"]},
        {"name": "k", "scopes": ["users:read"], "organization_id": "acme"},
        {"name": "k", "scopes": ["users:read"], "expires_at": "tomorrow"},
        {"name": "k", "scopes": ["users:read"], "key": "mk_mine"},
    ],
    ("POST", "/me/organization/api-keys"): [
        {},
        {"name": "k", "scopes": ["users:read", "admin:all"]},
        {"name": "", "scopes": ["users:read"]},
    ],
}

BAD_QUERIES = [
    "/admin/users?role=root",
    "/admin/users?status=sleeping",
    "/admin/users?organization_id=acme",
    "/admin/users?limit=0",
    "/admin/users?limit=101",
    "/admin/users?q=" + "x" * 255,
    "/admin/terms?kind=eula",
    "/admin/audit-events?actor_user_id=acme",
    "/admin/audit-events?from=yesterday",
    "/admin/api-keys?organization_id=acme",
]


async def test_malformed_bodies_and_queries_are_422_problems_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    organization = await make_organization(session)
    _, admin = await person(session, settings, Role.admin)
    _, org_admin = await person(session, settings, Role.org_admin, organization_id=organization.id)
    target = await make_user(session)
    await session.commit()
    before = await table_counts(session)

    for (method, template), bodies in BAD_BODIES.items():
        path = API + template.replace("{user}", str(target.id))
        headers = org_admin if template.startswith("/me/") else admin
        for body in bodies:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 422, (method, template, body, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["type"] == "validation-error"
            assert problem["errors"], (template, body)
    for query in BAD_QUERIES:
        response = await client.get(API + query, headers=admin)
        assert (response.status_code, response.json()["type"]) == (422, "validation-error"), query

    no_file = await client.post(
        f"{API}/admin/customer-records/import", data={"other": "x"}, headers=admin
    )
    assert (no_file.status_code, no_file.json()["type"]) == (422, "validation-error")
    assert "body.file" in no_file.json()["errors"]

    assert await table_counts(session) == before


async def test_a_partner_key_never_reaches_admin_or_org_admin_operations(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    organization = await make_organization(session)
    _, key = await make_key(
        session, scopes=["users:read", "users:write"], organization_id=organization.id
    )
    await session.commit()
    before = await table_counts(session)
    for method, path in (
        ("POST", "/admin/api-keys"),
        ("POST", "/me/organization/api-keys"),
        ("POST", "/admin/organizations"),
    ):
        response = await client.request(
            method, API + path, json={"name": "k", "scopes": ["users:read"]}, headers=key
        )
        assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed")
    assert await table_counts(session) == before
