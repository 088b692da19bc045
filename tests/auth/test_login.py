"""Login (R-ID-3) and brute-force protection (R-ID-8)."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AccountStatus, AuditEvent, AuthSession, LoginFailure, RefreshToken
from tests.auth import T0, assert_problem, bearer, count, log_in, reload, snapshot
from tests.factories import DEFAULT_PASSWORD, make_user

WRONG = "not the password"


async def test_r_id_3_login_with_email_answers_tokens_and_opens_a_session(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any, settings: Settings
) -> None:
    user = await make_user(session, email="taro@example.jp")
    await freeze_time(T0)

    response = await log_in(
        client, "ＴＡＲＯ＠example.jp", DEFAULT_PASSWORD, **{"User-Agent": "Manabi iOS/1.0"}
    )

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert set(tokens) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_expires_at",
    }
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    assert tokens["refresh_expires_at"].startswith("2026-12-24T01:00:00")  # 30 days
    login = await session.scalar(select(AuthSession).where(AuthSession.user_id == user.id))
    assert login is not None
    assert (login.user_agent, login.ip_address, login.created_at) == (
        "Manabi iOS/1.0",
        "127.0.0.1",
        T0,
    )
    stored = await session.scalar(select(RefreshToken).where(RefreshToken.session_id == login.id))
    assert stored is not None and tokens["refresh_token"] not in stored.token_hash
    assert (await reload(session, user.id)).last_login_at == T0
    assert await count(session, "audit_event", "action = 'auth.login_succeeded'") == 1
    assert (await client.get("/api/v1/me", headers=bearer(tokens))).status_code == 200


async def test_r_id_3_login_with_customer_number(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_user(session, customer_number="01234567890")
    response = await log_in(client, "０１２３４５６７８９０", DEFAULT_PASSWORD)
    assert response.status_code == 200, response.text


async def test_r_id_8_wrong_password_and_unknown_login_answer_alike(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, email="taro@example.jp")
    wrong = await log_in(client, "taro@example.jp", WRONG)
    unknown = await log_in(client, "nobody@example.jp", WRONG)
    a = assert_problem(wrong, 401, "invalid-credentials")
    b = assert_problem(unknown, 401, "invalid-credentials")
    a.pop("request_id"), b.pop("request_id")
    assert a == b
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")
    # Both failures are kept although the requests were refused (keeps_writes).
    failures = list(await session.scalars(select(LoginFailure)))
    assert len(failures) == 2
    assert user.id in {f.user_id for f in failures}
    events = list(
        await session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
    )
    assert {e.data["reason"] for e in events} == {"wrong_password", "unknown_login_id"}
    assert all(WRONG not in str(e.data) for e in events)


async def test_r_id_8_unknown_login_costs_a_password_verification_too(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Timing must not tell whether an account exists: unknown IDs are checked against a dummy
    hash. Generous bound: without it an unknown ID would answer ~10x faster."""
    await make_user(session, email="taro@example.jp")

    async def timed(login_id: str) -> float:
        started = time.perf_counter()
        await log_in(client, login_id, WRONG)
        return time.perf_counter() - started

    known = statistics.median([await timed("taro@example.jp") for _ in range(3)])
    unknown = statistics.median([await timed(f"nobody{i}@example.jp") for i in range(3)])
    assert unknown > known * 0.4


async def test_r_id_8_sixth_attempt_is_locked_even_with_right_password(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    """4 failures are fine, the 5th locks; the minute before the end is still 429; at the end
    the right password works."""
    await make_user(session, email="taro@example.jp")
    await freeze_time(T0)
    for _ in range(4):
        assert_problem(await log_in(client, "taro@example.jp", WRONG), 401, "invalid-credentials")
    await freeze_time(T0 + timedelta(minutes=1))
    assert (await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)).status_code == 200
    # A successful login starts the count afresh: 5 more failures are needed.
    start = T0 + timedelta(minutes=2)
    await freeze_time(start)
    for _ in range(4):
        assert_problem(await log_in(client, "taro@example.jp", WRONG), 401, "invalid-credentials")
    assert await count(session, "audit_event", "action = 'auth.login_locked'") == 0
    assert_problem(await log_in(client, "taro@example.jp", WRONG), 401, "invalid-credentials")
    assert await count(session, "audit_event", "action = 'auth.login_locked'") == 1

    before = await snapshot(session)
    locked = await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)
    assert_problem(locked, 429, "login-temporarily-locked")
    assert locked.headers["retry-after"] == "900"
    assert await snapshot(session) == before  # refused attempts while locked record nothing

    await freeze_time(start + timedelta(minutes=14))
    locked = await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)
    assert_problem(locked, 429, "login-temporarily-locked")
    assert locked.headers["retry-after"] == "60"

    await freeze_time(start + timedelta(minutes=15))
    assert (await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)).status_code == 200


async def test_r_id_8_lock_covers_every_login_id_of_the_account(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await make_user(session, email="taro@example.jp", customer_number="01234567890")
    await freeze_time(T0)
    for login_id in ["taro@example.jp", "01234567890"] * 2 + ["taro@example.jp"]:
        await log_in(client, login_id, WRONG)
    assert_problem(
        await log_in(client, "01234567890", DEFAULT_PASSWORD), 429, "login-temporarily-locked"
    )


async def test_r_id_8_failures_older_than_the_window_do_not_count(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await make_user(session, email="taro@example.jp")
    await freeze_time(T0)
    for _ in range(4):
        await log_in(client, "taro@example.jp", WRONG)
    await freeze_time(T0 + timedelta(minutes=15))
    assert_problem(await log_in(client, "taro@example.jp", WRONG), 401, "invalid-credentials")
    assert (await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)).status_code == 200


async def test_r_id_8_unknown_login_ids_lock_like_accounts(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    """Otherwise "locks after 5 tries" would reveal which login IDs exist."""
    await freeze_time(T0)
    for _ in range(5):
        await log_in(client, "nobody@example.jp", WRONG)
    response = await log_in(client, "nobody@example.jp", WRONG)
    assert_problem(response, 429, "login-temporarily-locked")
    assert response.headers["retry-after"] == "900"


async def test_r_id_8_per_address_limit(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any, settings: Settings
) -> None:
    await make_user(session, email="taro@example.jp")
    await freeze_time(T0)
    # Earlier failures from this address against many other accounts.
    for _ in range(settings.login_max_failures_per_address):
        session.add(
            LoginFailure(user_id=None, ip_address="127.0.0.1", failed_at=T0 - timedelta(minutes=1))
        )
    await session.commit()
    response = await log_in(client, "taro@example.jp", DEFAULT_PASSWORD)
    assert_problem(response, 429, "login-rate-limited")
    assert response.headers["retry-after"] == str(14 * 60)
    other_address = await log_in(
        client, "taro@example.jp", DEFAULT_PASSWORD, **{"X-Forwarded-For": "198.51.100.7"}
    )
    # X-Forwarded-For is not trusted by default: still the same address.
    assert other_address.status_code == 429


@pytest.mark.parametrize(
    ("status", "type_"),
    [
        (AccountStatus.suspended, "account-suspended"),
        (AccountStatus.withdrawn, "account-withdrawn"),
    ],
)
async def test_r_id_9_inactive_accounts_are_told_only_after_the_right_password(
    client: httpx.AsyncClient, session: AsyncSession, status: AccountStatus, type_: str
) -> None:
    await make_user(session, email="taro@example.jp", status=status)
    assert_problem(await log_in(client, "taro@example.jp", WRONG), 401, "invalid-credentials")
    before = await snapshot(session)
    assert_problem(await log_in(client, "taro@example.jp", DEFAULT_PASSWORD), 403, type_)
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"login_id": "taro@example.jp"},
        {"login_id": 5, "password": "x"},
        {"login_id": "", "password": "x"},
        {"login_id": "taro@example.jp", "password": "x" * 129},
        {"login_id": "taro@example.jp", "password": "x", "remember": True},
    ],
)
async def test_r_id_3_malformed_login_is_422_and_counts_nothing(
    client: httpx.AsyncClient, session: AsyncSession, payload: dict[str, Any]
) -> None:
    await make_user(session, email="taro@example.jp")
    before = await snapshot(session)
    assert_problem(await client.post("/api/v1/auth/login", json=payload), 422, "validation-error")
    assert await snapshot(session) == before
