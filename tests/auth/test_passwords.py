"""Password reset (R-ID-5) and password change (R-ID-4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AccountStatus, AuditEvent, AuthSession
from tests.auth import (
    T0,
    assert_problem,
    bearer,
    count,
    email_ids,
    emails,
    link_token,
    log_in,
    new_emails,
    reload,
    snapshot,
)
from tests.factories import DEFAULT_PASSWORD, bearer_for, make_user

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "a brand new passphrase"


async def _reset_token(client: httpx.AsyncClient, session: AsyncSession, email: str) -> str:
    before = await email_ids(session)
    assert (await client.post(RESET, json={"email": email})).status_code == 202
    (mail,) = await new_emails(session, before, "password_reset")
    return link_token(mail.body_text, "/reset-password")


async def test_r_id_5_reset_request_answers_the_same_for_known_and_unknown_addresses(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_user(session, email="taro@example.jp")
    known = await client.post(RESET, json={"email": "taro@example.jp"})
    unknown = await client.post(RESET, json={"email": "nobody@example.jp"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"status": "accepted"}
    ignore = {"x-request-id", "content-length"}
    assert {k: v for k, v in known.headers.items() if k not in ignore} == {
        k: v for k, v in unknown.headers.items() if k not in ignore
    }
    (mail,) = await emails(session, "password_reset")
    assert mail.to_address == "taro@example.jp"
    assert f"{settings.frontend_base_url}/reset-password?token=" in mail.body_text
    outcomes = {
        event.data["outcome"]
        for event in await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.password_reset_requested")
        )
    }
    assert outcomes == {"sent", "unknown_email"}


@pytest.mark.parametrize("status", [AccountStatus.suspended, AccountStatus.withdrawn])
async def test_r_id_5_inactive_accounts_get_the_same_answer_and_no_email(
    client: httpx.AsyncClient, session: AsyncSession, status: AccountStatus
) -> None:
    await make_user(session, email="taro@example.jp", status=status)
    response = await client.post(RESET, json={"email": "ＴＡＲＯ@example.jp"})
    assert response.status_code == 202 and response.json() == {"status": "accepted"}
    assert await emails(session, "password_reset") == []


async def test_r_id_5_reset_sets_the_password_and_ends_every_session(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, email="taro@example.jp", verified=False)
    phone = (await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)).json()
    laptop = await bearer_for(session, user, settings)
    await session.commit()
    token = await _reset_token(client, session, "taro@example.jp")

    response = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert response.status_code == 204, response.text
    refreshed = await reload(session, user.id)
    assert refreshed.session_epoch == 1 and refreshed.email_verified_at is not None
    assert await count(session, "auth_session", "revoked_at IS NULL") == 0
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(phone)), 401, "invalid-access-token"
    )
    assert_problem(await client.get("/api/v1/me", headers=laptop), 401, "invalid-access-token")
    assert_problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}),
        401,
        "invalid-refresh-token",
    )
    # The email says what happened: a reset signs out every device.
    assert await emails(session, "password_changed") == []
    (mail,) = await emails(session, "password_reset_completed")
    assert mail.to_address == "taro@example.jp"
    assert mail.subject == "【学びオンライン】パスワード再設定完了のお知らせ"
    assert "すべての端末でログアウトしています" in mail.body_text
    assert "ログインしたまま" not in mail.body_text
    assert await count(session, "audit_event", "action = 'auth.password_reset'") == 1
    assert_problem(
        await log_in(client, "taro@example.jp", DEFAULT_PASSWORD), 401, "invalid-credentials"
    )
    assert (await log_in(client, "taro@example.jp", NEW_PASSWORD)).status_code == 200

    # Single use.
    before = await snapshot(session)
    again = await client.post(CONFIRM, json={"token": token, "new_password": "yet another one"})
    assert_problem(again, 400, "reset-token-invalid")
    assert await snapshot(session) == before


@pytest.mark.parametrize(("minutes", "works"), [(59, True), (60, False)])
async def test_r_id_5_reset_link_expires_after_60_minutes(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any, minutes: int, works: bool
) -> None:
    await make_user(session, email="taro@example.jp")
    await freeze_time(T0)
    token = await _reset_token(client, session, "taro@example.jp")
    await freeze_time(T0 + timedelta(minutes=minutes))
    before = await snapshot(session)
    response = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    if works:
        assert response.status_code == 204
    else:
        assert_problem(response, 400, "reset-token-invalid")
        assert await snapshot(session) == before


async def test_r_id_5_a_new_link_retires_the_older_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_user(session, email="taro@example.jp")
    old = await _reset_token(client, session, "taro@example.jp")
    new = await _reset_token(client, session, "taro@example.jp")
    assert_problem(
        await client.post(CONFIRM, json={"token": old, "new_password": NEW_PASSWORD}),
        400,
        "reset-token-invalid",
    )
    assert (
        await client.post(CONFIRM, json={"token": new, "new_password": NEW_PASSWORD})
    ).status_code == 204


async def test_r_id_5_reset_emails_are_limited_per_account(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await make_user(session, email="taro@example.jp")
    await freeze_time(T0)
    for _ in range(4):
        response = await client.post(RESET, json={"email": "taro@example.jp"})
        assert response.status_code == 202 and response.json() == {"status": "accepted"}
    assert len(await emails(session, "password_reset")) == 3
    await freeze_time(T0 + timedelta(minutes=15))
    await client.post(RESET, json={"email": "taro@example.jp"})
    assert len(await emails(session, "password_reset")) == 4


async def test_r_id_4_reset_with_a_weak_password_keeps_the_link_usable(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_user(session, email="taro@example.jp")
    token = await _reset_token(client, session, "taro@example.jp")
    before = await snapshot(session)
    weak = await client.post(CONFIRM, json={"token": token, "new_password": "taro@example.jp"})
    body = assert_problem(weak, 400, "password-policy-violated")
    assert body["errors"] == {"body.new_password": ["same_as_login_id"]}
    assert await snapshot(session) == before
    assert (
        await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    ).status_code == 204


@pytest.mark.parametrize(
    ("path", "payload", "status", "type_"),
    [
        (RESET, {}, 422, "validation-error"),
        (RESET, {"email": "not an email"}, 422, "validation-error"),
        (RESET, {"email": ["taro@example.jp"]}, 422, "validation-error"),
        (
            CONFIRM,
            {"token": "never-issued", "new_password": NEW_PASSWORD},
            400,
            "reset-token-invalid",
        ),
        (CONFIRM, {"token": "x", "new_password": "short"}, 422, "validation-error"),
        (CONFIRM, {"new_password": NEW_PASSWORD}, 422, "validation-error"),
    ],
)
async def test_r_id_5_bad_reset_requests_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    path: str,
    payload: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    await make_user(session, email="taro@example.jp")
    before = await snapshot(session)
    assert_problem(await client.post(path, json=payload), status, type_)
    assert await snapshot(session) == before


async def test_r_id_5_reset_email_in_english_says_every_device_was_signed_out(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, email="taro@example.jp")
    user.locale = "en"
    await session.commit()
    token = await _reset_token(client, session, "taro@example.jp")
    assert (
        await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    ).status_code == 204
    (mail,) = await emails(session, "password_reset_completed")
    assert mail.subject == "[Manabi Online] Your password was reset"
    assert "every device was signed out" in mail.body_text


# --- Password change (signed in) ----------------------------------------------------------------------


async def test_r_id_4_change_password_keeps_this_session_and_ends_the_others(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, email="taro@example.jp")
    here = (await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)).json()
    elsewhere = (await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)).json()

    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(here),
    )

    assert response.status_code == 200, response.text
    fresh = response.json()
    assert set(fresh) == {"access_token", "token_type", "expires_in"}
    assert (await client.get("/api/v1/me", headers=bearer(fresh))).status_code == 200
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(here)), 401, "invalid-access-token"
    )
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(elsewhere)), 401, "invalid-access-token"
    )
    # This session's refresh token still works; the other session's does not.
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": here["refresh_token"]})
    ).status_code == 200
    assert_problem(
        await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}
        ),
        401,
        "invalid-refresh-token",
    )
    assert (await reload(session, user.id)).password_hash != ""
    # The email says what happened: this device stays signed in, the others were signed out.
    (mail,) = await emails(session, "password_changed")
    assert mail.to_address == "taro@example.jp"
    assert "変更を行った端末はログインしたままです" in mail.body_text
    assert "その他の端末ではログアウトしました" in mail.body_text
    assert "すべての端末" not in mail.body_text
    assert await emails(session, "password_reset_completed") == []
    assert await count(session, "audit_event", "action = 'auth.password_changed'") == 1
    assert (await log_in(client, "taro@example.jp", NEW_PASSWORD)).status_code == 200


async def test_r_id_8_wrong_current_password_counts_toward_the_lockout(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    user = await make_user(session, email="taro@example.jp")
    await freeze_time(T0)
    headers = await bearer_for(session, user, settings, now=T0)
    await session.commit()
    body = {"current_password": "wrong password", "new_password": NEW_PASSWORD}
    for _ in range(5):
        assert_problem(
            await client.post("/api/v1/me/password", json=body, headers=headers),
            403,
            "current-password-incorrect",
        )
    assert await count(session, "login_failure") == 5
    right = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    assert_problem(
        await client.post("/api/v1/me/password", json=right, headers=headers),
        429,
        "login-temporarily-locked",
    )
    assert_problem(
        await log_in(client, "taro@example.jp", DEFAULT_PASSWORD), 429, "login-temporarily-locked"
    )
    logins = list(
        await session.scalars(select(AuthSession).execution_options(populate_existing=True))
    )
    assert all(login.revoked_at is None for login in logins)  # nothing else changed


@pytest.mark.parametrize(
    ("payload", "status", "type_"),
    [
        ({}, 422, "validation-error"),
        ({"current_password": DEFAULT_PASSWORD, "new_password": "short"}, 422, "validation-error"),
        (
            {"current_password": DEFAULT_PASSWORD, "new_password": "x" * 129},
            422,
            "validation-error",
        ),
        (
            {"current_password": DEFAULT_PASSWORD, "new_password": "taro@example.jp"},
            400,
            "password-policy-violated",
        ),
    ],
)
async def test_r_id_4_bad_password_changes_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    payload: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    user = await make_user(session, email="taro@example.jp")
    headers = await bearer_for(session, user, settings)
    await session.commit()
    before = await snapshot(session)
    assert_problem(
        await client.post("/api/v1/me/password", json=payload, headers=headers), status, type_
    )
    assert await snapshot(session) == before
