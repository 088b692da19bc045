"""Identity invariants under concurrency, with real commits on separate connections
(R-ID-1, R-ID-2, R-ID-7, R-ID-8)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import AuthSession, LoginFailure, RefreshToken, User
from tests.auth import TERMS, make_customer, make_terms
from tests.factories import DEFAULT_PASSWORD, make_user


async def _scalar(maker: async_sessionmaker[AsyncSession], statement: object) -> object:
    async with maker() as session:
        return await session.scalar(statement)  # type: ignore[call-overload]


async def test_r_id_1_concurrent_registrations_of_one_email_make_one_account(
    committing_client: httpx.AsyncClient, committing_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with committing_sessionmaker() as session:
        await make_terms(session)
        await session.commit()
    payload = {
        "name": "山田 太郎",
        "email": "taro@example.jp",
        "password": "sakura mochi 2026",
        **TERMS,
    }

    responses = await asyncio.gather(
        *(committing_client.post("/api/v1/auth/register", json=payload) for _ in range(10))
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: 9}, [r.text for r in responses]
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {
        "email-already-registered"
    }
    assert await _scalar(committing_sessionmaker, select(func.count()).select_from(User)) == 1


async def test_r_id_2_concurrent_student_registrations_make_one_account_per_customer(
    committing_client: httpx.AsyncClient, committing_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with committing_sessionmaker() as session:
        await make_terms(session)
        await make_customer(session)
        await session.commit()

    def payload(i: int) -> dict[str, str]:
        return {
            "customer_number": "01234567890",
            "phone": "09012345678",
            "email": f"student{i}@example.jp",
            "password": "sakura mochi 2026",
            **TERMS,
        }

    responses = await asyncio.gather(
        *(
            committing_client.post("/api/v1/auth/register/student", json=payload(i))
            for i in range(5)
        )
    )

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 4}, [
        r.text for r in responses
    ]
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {
        "customer-already-registered"
    }


async def test_r_id_7_refresh_token_presented_twice_at_once_issues_one_and_ends_the_family(
    committing_client: httpx.AsyncClient, committing_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with committing_sessionmaker() as session:
        await make_user(session, email="taro@example.jp")
        await session.commit()
    login = await committing_client.post(
        "/api/v1/auth/login", json={"login_id": "taro@example.jp", "password": DEFAULT_PASSWORD}
    )
    token = login.json()["refresh_token"]

    responses = await asyncio.gather(
        *(
            committing_client.post("/api/v1/auth/refresh", json={"refresh_token": token})
            for _ in range(2)
        )
    )

    assert sorted(r.status_code for r in responses) == [200, 401], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 401)
    assert refused.json()["type"] == "refresh-token-reused"
    # One new token issued (two in all), and the family ends revoked.
    assert (
        await _scalar(committing_sessionmaker, select(func.count()).select_from(RefreshToken)) == 2
    )
    assert await _scalar(committing_sessionmaker, select(AuthSession.revoked_reason)) == "reuse"
    issued = next(r for r in responses if r.status_code == 200).json()
    after = await committing_client.post(
        "/api/v1/auth/refresh", json={"refresh_token": issued["refresh_token"]}
    )
    assert after.status_code == 401


async def test_r_id_8_concurrent_wrong_passwords_never_exceed_the_limit(
    committing_client: httpx.AsyncClient, committing_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with committing_sessionmaker() as session:
        await make_user(session, email="taro@example.jp")
        await session.commit()
    body = {"login_id": "taro@example.jp", "password": "a wrong guess"}

    responses = await asyncio.gather(
        *(committing_client.post("/api/v1/auth/login", json=body) for _ in range(10))
    )

    assert Counter(r.status_code for r in responses) == {401: 5, 429: 5}, [
        r.text for r in responses
    ]
    assert (
        await _scalar(committing_sessionmaker, select(func.count()).select_from(LoginFailure)) == 5
    )
    right = await committing_client.post(
        "/api/v1/auth/login", json={"login_id": "taro@example.jp", "password": DEFAULT_PASSWORD}
    )
    assert right.status_code == 429
