"""The member's own account: profile, sessions, withdrawal (R-ID-6, R-ID-7, R-ID-9, R-ID-10) and
object-level isolation between members (SPEC §1)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AccountStatus, AuditEvent, AuthSession, Role, User
from tests.auth import assert_problem, bearer, count, emails, log_in, make_terms, reload, snapshot
from tests.factories import DEFAULT_PASSWORD, bearer_for, make_organization, make_user


async def _signed_in(
    session: AsyncSession, settings: Settings, **kw: Any
) -> tuple[User, dict[str, str]]:
    user = await make_user(session, **kw)
    headers = await bearer_for(session, user, settings)
    await session.commit()
    return user, headers


async def test_r_id_4_r_id_6_profile_shows_the_callers_own_account_without_secrets(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user, headers = await _signed_in(
        session, settings, email="taro@example.jp", customer_number="01234567890"
    )
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id) and body["email"] == "taro@example.jp"
    assert body["customer_number"] == "01234567890" and body["email_verified"] is True
    assert set(body) == {
        "id", "name", "email", "email_verified", "role", "status", "customer_number",
        "organization_id", "locale", "created_at", "terms",
    }  # fmt: skip
    assert "hash" not in response.text and DEFAULT_PASSWORD not in response.text


async def test_r_id_10_profile_flags_a_newer_terms_version(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await _signed_in(session, settings)
    old = await make_terms(
        session, terms_version="1", privacy_version="1", effective_on=date(2026, 1, 1)
    )
    accept = {"terms_version": "1", "privacy_version": "1"}
    await session.commit()
    assert (
        await client.post("/api/v1/me/terms-acceptances", json=accept, headers=headers)
    ).status_code == 201
    terms = (await client.get("/api/v1/me", headers=headers)).json()["terms"]
    assert terms["needs_terms_acceptance"] is False
    assert terms["accepted_terms_version"] == old[0].version

    await make_terms(
        session, terms_version="2", privacy_version="1b", effective_on=date(2026, 6, 1)
    )
    await session.commit()
    terms = (await client.get("/api/v1/me", headers=headers)).json()["terms"]
    assert terms == {
        "current_terms_version": "2",
        "current_privacy_version": "1b",
        "accepted_terms_version": "1",
        "accepted_privacy_version": "1",
        "needs_terms_acceptance": True,
    }


async def test_r_id_13_profile_update_changes_name_and_locale_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user, headers = await _signed_in(session, settings)
    response = await client.patch(
        "/api/v1/me", json={"name": " 山田 花子 ", "locale": "en"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "山田 花子" and response.json()["locale"] == "en"
    stored = await reload(session, user.id)
    assert (stored.name, stored.locale) == ("山田 花子", "en")


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "other@example.jp"},
        {"role": "admin"},
        {"status": "active"},
        {"customer_number": "01234567890"},
        {"name": None},
        {"name": "名" * 101},
        {"locale": "fr"},
        {"name": 5},
    ],
)
async def test_r_id_6_profile_update_refuses_everything_else_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, payload: dict[str, Any]
) -> None:
    _, headers = await _signed_in(session, settings)
    before = await snapshot(session)
    assert_problem(
        await client.patch("/api/v1/me", json=payload, headers=headers), 422, "validation-error"
    )
    assert await snapshot(session) == before


async def test_r_id_2_students_keep_the_registry_name(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await _signed_in(session, settings, customer_number="01234567890")
    before = await snapshot(session)
    response = await client.patch("/api/v1/me", json={"name": "別名"}, headers=headers)
    assert_problem(response, 403, "name-managed-by-registry")
    assert await snapshot(session) == before
    assert (
        await client.patch("/api/v1/me", json={"locale": "en"}, headers=headers)
    ).status_code == 200


# --- Sessions (R-ID-7) ----------------------------------------------------------------------------


async def test_r_id_7_members_list_and_end_their_own_sessions(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_user(session, email="taro@example.jp")
    here = (
        await log_in(client, "taro@example.jp", DEFAULT_PASSWORD, **{"User-Agent": "phone"})
    ).json()
    there = (
        await log_in(client, "taro@example.jp", DEFAULT_PASSWORD, **{"User-Agent": "laptop"})
    ).json()

    listed = await client.get("/api/v1/me/sessions", headers=bearer(here))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert {(i["user_agent"], i["current"]) for i in items} == {("phone", True), ("laptop", False)}
    assert all(i["ip_address"] == "127.0.0.1" for i in items)
    laptop_id = next(i["id"] for i in items if not i["current"])

    page = (await client.get("/api/v1/me/sessions?limit=1", headers=bearer(here))).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await client.get(
        f"/api/v1/me/sessions?limit=1&cursor={page['next_cursor']}", headers=bearer(here)
    )
    assert {page["items"][0]["id"], rest.json()["items"][0]["id"]} == {i["id"] for i in items}

    assert (
        await client.delete(f"/api/v1/me/sessions/{laptop_id}", headers=bearer(here))
    ).status_code == 204
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(there)), 401, "invalid-access-token"
    )
    assert (
        await client.delete(f"/api/v1/me/sessions/{laptop_id}", headers=bearer(here))
    ).status_code == 204
    remaining = (await client.get("/api/v1/me/sessions", headers=bearer(here))).json()["items"]
    assert [i["user_agent"] for i in remaining] == ["phone"]


async def test_r_id_6_r_id_7_a_member_cannot_see_or_end_another_members_sessions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    alice, alice_headers = await _signed_in(session, settings, email="alice@example.jp")
    bob, bob_headers = await _signed_in(session, settings, email="bob@example.jp")
    bob_session = await session.scalar(select(AuthSession).where(AuthSession.user_id == bob.id))
    assert bob_session is not None

    listed = (await client.get("/api/v1/me/sessions", headers=alice_headers)).json()["items"]
    assert str(bob_session.id) not in {i["id"] for i in listed}
    before = await snapshot(session)
    response = await client.delete(f"/api/v1/me/sessions/{bob_session.id}", headers=alice_headers)
    assert_problem(response, 404, "session-not-found")  # not 403: its existence is not revealed
    assert await snapshot(session) == before
    me = (await client.get("/api/v1/me", headers=alice_headers)).json()
    assert me["id"] == str(alice.id) and "bob@example.jp" not in str(me)
    assert (await client.get("/api/v1/me", headers=bob_headers)).status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "type_"),
    [
        ("/api/v1/me/sessions/not-a-uuid", 422, "validation-error"),
        (f"/api/v1/me/sessions/{uuid.uuid4()}", 404, "session-not-found"),
    ],
)
async def test_r_id_7_bad_session_ids(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    path: str,
    status: int,
    type_: str,
) -> None:
    _, headers = await _signed_in(session, settings)
    before = await snapshot(session)
    assert_problem(await client.delete(path, headers=headers), status, type_)
    assert await snapshot(session) == before


async def test_r_id_7_garbage_cursor_is_a_problem(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await _signed_in(session, settings)
    assert_problem(
        await client.get("/api/v1/me/sessions?cursor=abc", headers=headers), 400, "invalid-cursor"
    )


# --- Withdrawal (R-ID-9) -------------------------------------------------------------------------


async def test_r_id_9_self_withdrawal_ends_sessions_and_keeps_the_data(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, email="taro@example.jp")
    tokens = (await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)).json()
    response = await client.post(
        "/api/v1/me/withdrawal",
        json={"current_password": DEFAULT_PASSWORD, "reason": "卒業しました"},
        headers=bearer(tokens),
    )
    assert response.status_code == 204, response.text
    stored = await reload(session, user.id)
    assert stored.status is AccountStatus.withdrawn and stored.status_reason == "卒業しました"
    assert await count(session, "auth_session", "revoked_at IS NULL") == 0
    (mail,) = await emails(session, "account_withdrawn")
    assert mail.to_address == "taro@example.jp"
    # It promises what exists: the rejoin page (R-SUB-11), the data kept.
    assert f"{settings.frontend_base_url}/rejoin" in mail.body_text
    assert "削除せずに保管" in mail.body_text
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "account.withdrawn"))
    assert event is not None and event.actor_user_id == user.id
    assert event.data == {"by": "member", "reason": "卒業しました", "previous_status": "active"}
    assert_problem(
        await client.get("/api/v1/me", headers=bearer(tokens)), 401, "invalid-access-token"
    )
    assert_problem(
        await log_in(client, "taro@example.jp", DEFAULT_PASSWORD), 403, "account-withdrawn"
    )


async def test_r_id_9_wrong_password_does_not_withdraw(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user, headers = await _signed_in(session, settings)
    response = await client.post(
        "/api/v1/me/withdrawal", json={"current_password": "wrong"}, headers=headers
    )
    assert_problem(response, 403, "current-password-incorrect")
    assert (await reload(session, user.id)).status is AccountStatus.active
    assert await emails(session) == []


@pytest.mark.parametrize("kind", ["organization member", "staff"])
async def test_r_id_9_managed_accounts_cannot_withdraw_themselves(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, kind: str
) -> None:
    if kind == "staff":
        _, headers = await _signed_in(session, settings, role=Role.staff)
    else:
        organization = await make_organization(session)
        _, headers = await _signed_in(session, settings, organization_id=organization.id)
    before = await snapshot(session)
    response = await client.post(
        "/api/v1/me/withdrawal", json={"current_password": DEFAULT_PASSWORD}, headers=headers
    )
    assert_problem(response, 403, "withdrawal-not-allowed")
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    "payload",
    [{}, {"current_password": ""}, {"current_password": DEFAULT_PASSWORD, "reason": "x" * 1001}],
)
async def test_r_id_9_malformed_withdrawal_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, payload: dict[str, Any]
) -> None:
    _, headers = await _signed_in(session, settings)
    before = await snapshot(session)
    assert_problem(
        await client.post("/api/v1/me/withdrawal", json=payload, headers=headers),
        422,
        "validation-error",
    )
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me"),
        ("PATCH", "/api/v1/me"),
        ("GET", "/api/v1/me/sessions"),
        ("POST", "/api/v1/me/password"),
        ("POST", "/api/v1/me/email-change"),
        ("POST", "/api/v1/me/withdrawal"),
        ("POST", "/api/v1/me/email-verification"),
        ("GET", "/api/v1/me/terms-acceptances"),
    ],
)
async def test_r_id_7_me_operations_need_a_signed_in_caller(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_problem(await client.request(method, path, json={}), 401, "not-authenticated")
