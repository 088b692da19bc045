"""Email change (R-ID-6)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import User
from tests.auth import T0, assert_problem, count, emails, link_token, log_in, reload, snapshot
from tests.factories import DEFAULT_PASSWORD, bearer_for, make_user

REQUEST = "/api/v1/me/email-change"
CONFIRM = "/api/v1/auth/email-change/confirm"


async def _member(
    session: AsyncSession, settings: Settings, now: datetime | None = None
) -> tuple[User, dict[str, str]]:
    user = await make_user(session, email="old@example.jp")
    headers = await bearer_for(session, user, settings, now=now)
    await session.commit()
    return user, headers


async def _request(
    client: httpx.AsyncClient, headers: dict[str, str], new_email: str = "new@example.jp"
) -> httpx.Response:
    return await client.post(
        REQUEST,
        json={"new_email": new_email, "current_password": DEFAULT_PASSWORD},
        headers=headers,
    )


async def test_r_id_6_change_is_confirmed_from_the_new_address_and_the_old_one_is_told(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(T0)
    user, headers = await _member(session, settings, now=T0)

    requested = await _request(client, headers, "ＮＥＷ＠example.jp")

    assert requested.status_code == 202, requested.text
    assert requested.json()["status"] == "confirmation_sent"
    assert requested.json()["expires_at"].startswith("2026-11-25T01:00:00")  # 24 hours
    (confirm_mail,) = await emails(session, "email_change_confirm")
    (notice,) = await emails(session, "email_change_requested_notice")
    assert confirm_mail.to_address == "new@example.jp"
    assert f"{settings.frontend_base_url}/confirm-email-change?token=" in confirm_mail.body_text
    assert notice.to_address == "old@example.jp"
    assert "new@example.jp" not in notice.body_text  # the old address is not told the new one
    assert (await reload(session, user.id)).email == "old@example.jp"  # not yet

    token = link_token(confirm_mail.body_text, "/confirm-email-change")
    confirmed = await client.post(CONFIRM, json={"token": token})

    assert confirmed.status_code == 204, confirmed.text
    changed = await reload(session, user.id)
    assert changed.email == "new@example.jp" and changed.email_verified_at == T0
    (done,) = await emails(session, "email_changed_notice")
    assert done.to_address == "old@example.jp"
    assert await count(session, "audit_event", "action = 'auth.email_changed'") == 1
    assert (await log_in(client, "new@example.jp", DEFAULT_PASSWORD)).status_code == 200
    assert_problem(
        await log_in(client, "old@example.jp", DEFAULT_PASSWORD), 401, "invalid-credentials"
    )
    # Single use.
    assert_problem(
        await client.post(CONFIRM, json={"token": token}), 400, "email-change-token-invalid"
    )


async def test_r_id_6_wrong_password_sends_nothing_but_counts_as_a_failure(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await _member(session, settings)
    response = await client.post(
        REQUEST, json={"new_email": "new@example.jp", "current_password": "wrong"}, headers=headers
    )
    assert_problem(response, 403, "current-password-incorrect")
    assert await emails(session) == []
    assert await count(session, "account_token") == 0
    assert await count(session, "login_failure") == 1


async def test_r_id_6_address_taken_at_request_time(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await _member(session, settings)
    await make_user(session, email="new@example.jp")
    await session.commit()
    before = await snapshot(session)
    assert_problem(await _request(client, headers), 409, "email-already-registered")
    assert await snapshot(session) == before


async def test_r_id_6_address_taken_by_the_time_of_confirmation(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user, headers = await _member(session, settings)
    await _request(client, headers)
    (mail,) = await emails(session, "email_change_confirm")
    await make_user(session, email="new@example.jp")  # someone registers it meanwhile
    await session.commit()
    before = await snapshot(session)
    response = await client.post(
        CONFIRM, json={"token": link_token(mail.body_text, "/confirm-email-change")}
    )
    assert_problem(response, 409, "email-already-registered")
    assert await snapshot(session) == before
    assert (await reload(session, user.id)).email == "old@example.jp"


async def test_r_id_6_link_expires_after_24_hours(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(T0)
    _, headers = await _member(session, settings, now=T0)
    await _request(client, headers)
    (mail,) = await emails(session, "email_change_confirm")
    await freeze_time(T0 + timedelta(hours=24))
    before = await snapshot(session)
    response = await client.post(
        CONFIRM, json={"token": link_token(mail.body_text, "/confirm-email-change")}
    )
    assert_problem(response, 400, "email-change-token-invalid")
    assert await snapshot(session) == before


async def test_r_id_6_confirmation_retires_links_sent_to_the_old_address(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await _member(session, settings)
    await client.post("/api/v1/auth/password-reset", json={"email": "old@example.jp"})
    (reset,) = await emails(session, "password_reset")
    await _request(client, headers)
    (mail,) = await emails(session, "email_change_confirm")
    await client.post(CONFIRM, json={"token": link_token(mail.body_text, "/confirm-email-change")})
    response = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={
            "token": link_token(reset.body_text, "/reset-password"),
            "new_password": "new passphrase",
        },
    )
    assert_problem(response, 400, "reset-token-invalid")


@pytest.mark.parametrize(
    ("payload", "status", "type_"),
    [
        ({}, 422, "validation-error"),
        ({"new_email": "new@example.jp"}, 422, "validation-error"),
        ({"new_email": "nope", "current_password": DEFAULT_PASSWORD}, 422, "validation-error"),
        (
            {"new_email": "OLD@example.jp", "current_password": DEFAULT_PASSWORD},
            400,
            "email-unchanged",
        ),
        (
            {"new_email": "new@example.jp", "current_password": DEFAULT_PASSWORD, "id": "x"},
            422,
            "validation-error",
        ),
    ],
)
async def test_r_id_6_bad_change_requests_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    payload: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    _, headers = await _member(session, settings)
    before = await snapshot(session)
    assert_problem(await client.post(REQUEST, json=payload, headers=headers), status, type_)
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    ("payload", "status", "type_"),
    [({}, 422, "validation-error"), ({"token": "never-issued"}, 400, "email-change-token-invalid")],
)
async def test_r_id_6_bad_confirmations_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    payload: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    before = await snapshot(session)
    assert_problem(await client.post(CONFIRM, json=payload), status, type_)
    assert await snapshot(session) == before
