"""Per-key rate limit (R-ID-11): fixed one-minute windows counted in PostgreSQL.

The committing tests run on the real engine (every request its own pooled connection and
transaction), which is what production does: they prove that hits survive failed requests and
that concurrent requests never get past the limit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.api_keys import rate_limit_bucket
from app.config import Settings
from app.kit.clock import set_clock
from app.kit.ratelimit import count_hit, window_start
from app.models import RateLimitWindow
from tests.admin import API, make_key
from tests.factories import make_organization

URL = f"{API}/organization/users"


@pytest.fixture
def limit_of_3(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(settings, "api_key_requests_per_minute", 3)
    return 3


async def test_r_id_11_the_request_over_the_limit_is_429_with_retry_after_until_the_window_ends(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time, limit_of_3: int
) -> None:  # type: ignore[no-untyped-def]
    organization = await make_organization(session)
    key, headers = await make_key(session, scopes=["users:read"], organization_id=organization.id)
    await freeze_time(datetime(2027, 6, 1, 9, 30, 20, tzinfo=UTC))

    for _ in range(limit_of_3):
        assert (await client.get(URL, headers=headers)).status_code == 200
    refused = await client.get(URL, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["type"] == "api-key-rate-limited"
    assert refused.headers["retry-after"] == "40"  # the window ends at 09:31:00
    assert "40" in refused.json()["detail"]

    await freeze_time(datetime(2027, 6, 1, 9, 30, 59, 500000, tzinfo=UTC))
    late = await client.get(URL, headers=headers)
    assert late.status_code == 429
    assert late.headers["retry-after"] == "1"  # rounded up, never 0

    # A new window starts from zero.
    await freeze_time(datetime(2027, 6, 1, 9, 31, 0, tzinfo=UTC))
    for _ in range(limit_of_3):
        assert (await client.get(URL, headers=headers)).status_code == 200
    assert (await client.get(URL, headers=headers)).status_code == 429

    # Keys are limited separately.
    other_key, other = await make_key(
        session, scopes=["users:read"], organization_id=organization.id
    )
    await session.commit()
    assert (await client.get(URL, headers=other)).status_code == 200
    buckets = set(
        await session.scalars(
            select(RateLimitWindow.bucket).where(
                RateLimitWindow.window_start == datetime(2027, 6, 1, 9, 31, tzinfo=UTC)
            )
        )
    )
    assert buckets == {rate_limit_bucket(key), f"api_key:{other_key.id}"}
    # (How many hits a refused request leaves is tested on the real engine below: in this
    # fixture every session shares one connection, so a refusal's rollback also takes back the
    # limiter's savepoint.)


async def test_rate_limit_windows_are_aligned_fixed_minutes(session: AsyncSession) -> None:
    now = datetime(2027, 6, 1, 9, 30, 20, 123, tzinfo=UTC)
    assert window_start(now, 60) == datetime(2027, 6, 1, 9, 30, tzinfo=UTC)
    first = await count_hit(session, "test:bucket", now=now, limit=2)
    second = await count_hit(session, "test:bucket", now=now + timedelta(seconds=39), limit=2)
    third = await count_hit(session, "test:bucket", now=now + timedelta(seconds=39), limit=2)
    assert (first.count, second.count, third.count) == (1, 2, 3)
    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert third.retry_after_seconds(now) == 40
    next_window = await count_hit(session, "test:bucket", now=now + timedelta(seconds=40), limit=2)
    assert (next_window.count, next_window.window_start) == (
        1,
        datetime(2027, 6, 1, 9, 31, tzinfo=UTC),
    )


# --- On the real engine: separate connections and transactions ---------------------------------


@pytest.fixture
async def committed(
    committing_sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with committing_sessionmaker() as session:
        yield session


async def _frozen_key(
    session: AsyncSession, *, scopes: list[str], at: datetime, with_organization: bool = True
) -> tuple[uuid.UUID, dict[str, str]]:
    organization = await make_organization(session) if with_organization else None
    key, headers = await make_key(
        session, scopes=scopes, organization_id=organization.id if organization else None
    )
    await set_clock(session, frozen_at=at, offset_seconds=0)
    await session.commit()
    return key.id, headers


async def _window_count(session: AsyncSession, key_id: uuid.UUID, at: datetime) -> int | None:
    await session.commit()  # a fresh snapshot
    return await session.scalar(
        select(RateLimitWindow.count).where(
            RateLimitWindow.bucket == f"api_key:{key_id}",
            RateLimitWindow.window_start == window_start(at, 60),
        )
    )


async def test_r_id_11_hits_of_failed_requests_still_count(
    committing_client: httpx.AsyncClient, committed: AsyncSession, limit_of_3: int
) -> None:
    """The count runs in its own transaction: a request that passes the limiter and then fails
    rolls back, its hit does not. Here a platform-wide key passes authentication and is then
    refused inside the operation (no organization), or sends a malformed query."""
    at = datetime(2027, 6, 1, 9, 30, 5, tzinfo=UTC)
    key_id, headers = await _frozen_key(
        committed, scopes=["users:read"], at=at, with_organization=False
    )

    refused = await committing_client.get(URL, headers=headers)
    assert (refused.status_code, refused.json()["type"]) == (403, "organization-required")
    malformed = await committing_client.get(URL, headers=headers, params={"limit": 0})
    assert (malformed.status_code, malformed.json()["type"]) == (422, "validation-error")
    assert await _window_count(committed, key_id, at) == 2

    third = await committing_client.get(URL, headers=headers)
    assert third.json()["type"] == "organization-required"  # still within the limit
    limited = await committing_client.get(URL, headers=headers)
    assert limited.status_code == 429  # over the limit, although nothing ever succeeded
    assert limited.headers["retry-after"] == "55"
    assert await _window_count(committed, key_id, at) == 4


async def test_r_id_11_hits_refused_for_a_missing_scope_count_too(
    committing_client: httpx.AsyncClient, committed: AsyncSession, limit_of_3: int
) -> None:
    at = datetime(2027, 6, 1, 9, 30, 5, tzinfo=UTC)
    key_id, headers = await _frozen_key(committed, scopes=["reports:read"], at=at)
    for _ in range(limit_of_3):
        response = await committing_client.get(URL, headers=headers)
        assert response.json()["type"] == "scope-not-granted"
    assert (await committing_client.get(URL, headers=headers)).status_code == 429
    assert await _window_count(committed, key_id, at) == 4


async def test_r_id_11_concurrent_requests_with_one_key_never_exceed_the_limit(
    committing_client: httpx.AsyncClient,
    committed: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "api_key_requests_per_minute", 5)
    at = datetime(2027, 6, 1, 9, 30, 5, tzinfo=UTC)
    key_id, headers = await _frozen_key(committed, scopes=["users:read"], at=at)

    responses = await asyncio.gather(
        *(committing_client.get(URL, headers=headers) for _ in range(12))
    )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 5, 429: 7}, [r.text for r in responses if r.status_code >= 500]
    assert await _window_count(committed, key_id, at) == 12
