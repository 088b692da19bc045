"""Access and refresh tokens, rotation, reuse detection, logout (R-ID-7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AccountStatus, AuditEvent, AuthSession
from tests.auth import T0, assert_problem, bearer, count, log_in, reload, snapshot
from tests.factories import DEFAULT_PASSWORD, make_user

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


async def _login(client: httpx.AsyncClient, session: AsyncSession, **user: Any) -> dict[str, Any]:
    await make_user(session, email="taro@example.jp", **user)
    response = await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def test_r_id_7_refresh_rotates_within_the_same_session(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await freeze_time(T0)
    first = await _login(client, session)
    await freeze_time(T0 + timedelta(days=29))

    response = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})

    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["refresh_expires_at"].startswith("2027-01-22T01:00:00")  # slides: 29 + 30 days
    (login,) = list(
        await session.scalars(select(AuthSession).execution_options(populate_existing=True))
    )
    assert login.last_used_at == T0 + timedelta(days=29)
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 200


async def test_r_id_7_access_token_is_short_lived(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await freeze_time(T0)
    tokens = await _login(client, session)
    await freeze_time(T0 + timedelta(minutes=14, seconds=59))
    assert (await client.get("/api/v1/me", headers=bearer(tokens))).status_code == 200
    await freeze_time(T0 + timedelta(minutes=15))
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(tokens)), 401, "invalid-access-token"
    )


async def test_r_id_7_reused_refresh_token_revokes_the_whole_family(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await _login(client, session)
    second = (await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})).json()

    reused = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})

    assert_problem(reused, 401, "refresh-token-reused")
    (login,) = list(
        await session.scalars(select(AuthSession).execution_options(populate_existing=True))
    )
    assert login.revoked_at is not None and login.revoked_reason == "reuse"
    event = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.refresh_token_reused")
    )
    assert event is not None and event.data["session_id"] == str(login.id)
    # The legitimate holder's newer tokens die with the family.
    assert_problem(
        await client.post(REFRESH, json={"refresh_token": second["refresh_token"]}),
        401,
        "invalid-refresh-token",
    )
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(second)), 401, "invalid-access-token"
    )


async def test_r_id_7_expired_refresh_token_is_invalid_and_stays_unused(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await freeze_time(T0)
    tokens = await _login(client, session)
    await freeze_time(T0 + timedelta(days=30))
    before = await snapshot(session)
    assert_problem(
        await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}),
        401,
        "invalid-refresh-token",
    )
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    ("payload", "status", "type_"),
    [
        ({}, 422, "validation-error"),
        ({"refresh_token": None}, 422, "validation-error"),
        ({"refresh_token": "x" * 201}, 422, "validation-error"),
        ({"refresh_token": "never-issued"}, 401, "invalid-refresh-token"),
    ],
)
async def test_r_id_7_bad_refresh_requests_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    payload: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    await _login(client, session)
    before = await snapshot(session)
    assert_problem(await client.post(REFRESH, json=payload), status, type_)
    assert await snapshot(session) == before


async def test_r_id_9_suspended_account_cannot_refresh(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await _login(client, session)
    (login,) = list(await session.scalars(select(AuthSession)))
    user = await reload(session, login.user_id)
    user.status = AccountStatus.suspended
    await session.commit()
    response = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert_problem(response, 403, "account-suspended")


async def test_r_id_7_logout_with_bearer_stops_the_access_token_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await _login(client, session)
    response = await client.post(LOGOUT, headers=bearer(tokens))
    assert response.status_code == 204
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(tokens)), 401, "invalid-access-token"
    )
    assert_problem(
        await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}),
        401,
        "invalid-refresh-token",
    )
    (login,) = list(
        await session.scalars(select(AuthSession).execution_options(populate_existing=True))
    )
    assert login.revoked_reason == "logout"


async def test_r_id_7_logout_with_refresh_token_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await _login(client, session)
    response = await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 204
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(tokens)), 401, "invalid-access-token"
    )
    # Logging out twice is fine.
    assert (
        await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 204


async def test_r_id_7_logout_ends_only_that_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    phone = await _login(client, session)
    laptop = (await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)).json()
    await client.post(LOGOUT, headers=bearer(phone))
    assert (await client.get("/api/v1/me", headers=bearer(laptop))).status_code == 200


@pytest.mark.parametrize(
    ("payload", "headers", "status", "type_"),
    [
        (None, {}, 401, "not-authenticated"),
        ({}, {}, 401, "not-authenticated"),
        ({"refresh_token": "never-issued"}, {}, 401, "invalid-refresh-token"),
        (None, {"Authorization": "Bearer garbage"}, 401, "invalid-access-token"),
        ({"refresh_token": 5}, {}, 422, "validation-error"),
    ],
)
async def test_r_id_7_bad_logout_requests_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    payload: dict[str, Any] | None,
    headers: dict[str, str],
    status: int,
    type_: str,
) -> None:
    await _login(client, session)
    before = await snapshot(session)
    response = await client.post(LOGOUT, json=payload, headers=headers)
    assert_problem(response, status, type_)
    assert await snapshot(session) == before
    assert await count(session, "auth_session", "revoked_at IS NULL") == 1
