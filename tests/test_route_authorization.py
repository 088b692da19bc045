"""Object-level authorization is declared on every route (SPEC §1; ARCHITECTURE convention 5).

These tests walk the app's routing table, so a route added later without an `Authenticator`
fails here before it reaches production:

- every /api/v1 operation not listed in PUBLIC_OPERATIONS refuses an anonymous caller (401);
- every /api/v1/admin operation refuses a member (403 `role-not-allowed`);
- a partner key cannot use an operation meant for people (403) unless the operation declares scopes.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.factories import bearer_for, make_user

# Operations anyone may call: sign-up, sign-in, token flows that authenticate by their own token,
# public documents, and the development clock/mail endpoints (absent in production).
PUBLIC_OPERATIONS = {
    "auth_register_member",
    "auth_register_student",
    "auth_create_session",
    "auth_refresh_tokens",
    "auth_confirm_email_verification",
    "auth_request_password_reset",
    "auth_confirm_password_reset",
    "auth_confirm_email_change",
    "auth_request_rejoin",
    "auth_confirm_rejoin",
    "auth_get_terms",
    # Signed links (R-CON-2, R-CON-3): the token authenticates; browsers send no header.
    "media_download_file",
    "media_stream_video",
    "content_list_courses",  # the public catalog (R-CON-7)
    "content_get_course",
    "content_get_course_by_slug",
    # The provider authenticates by the SNS signature, never a header (R-PAY-2).
    "payments_receive_provider_notification",
    "events_list_events",  # public like the catalog; never carries join links (R-CON-6)
    "events_get_event",  # public; the join link only for the caller's confirmed registration
    "payments_list_products",  # the public list of products on sale (SPEC §8)
    "payments_get_product",
    # R-ENR-13: the public check of a certificate number (name, course, kind, date only) and
    # the certificate PDF behind a signed link (the token authenticates).
    "reports_verify_certificate",
    "reports_download_certificate_file",
    # R-QST-1/8: a question/answer attachment behind a signed link (the token authenticates).
    "questions_download_attachment",
}


def _api_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, path, operationId) of every published /api/v1 operation except dev-only ones.

    Walks the OpenAPI document rather than `app.routes`: it is what clients see, and it includes
    routers nested inside other routers."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/dev/"):
            continue
        for method, operation in operations.items():
            routes.append((method.upper(), path, operation["operationId"]))
    assert len(routes) > 20, "the routing table looks empty"
    return sorted(routes)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_every_operation_has_a_stable_operation_id(app: FastAPI) -> None:
    """API.md: operationId `<tag>_<verb>_<noun>`, unique."""
    seen: dict[str, str] = {}
    for method, path, operation_id in _api_routes(app):
        assert re.fullmatch(r"[a-z]+_[a-z]+_[a-z_]+", operation_id), (method, path, operation_id)
        assert operation_id not in seen, f"{operation_id} used by {seen[operation_id]} and {path}"
        seen[operation_id] = path


async def test_anonymous_callers_are_refused_everywhere_but_public_operations(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    checked = 0
    for method, path, operation_id in _api_routes(app):
        if operation_id in PUBLIC_OPERATIONS:
            continue
        response = await client.request(method, _concrete(path), json={})
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        checked += 1
    assert checked > 0, "no protected operation found"


async def test_members_are_refused_on_every_admin_operation(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    member = await make_user(session)
    headers = await bearer_for(session, member, settings)
    await session.commit()
    admin_routes = [r for r in _api_routes(app) if r[1].startswith("/api/v1/admin/")]
    for method, path, _ in admin_routes:
        response = await client.request(method, _concrete(path), json={}, headers=headers)
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert response.json()["type"] == "role-not-allowed"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
async def test_malformed_bearer_is_refused(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
