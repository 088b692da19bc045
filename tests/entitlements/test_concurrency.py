"""Entitlement and content-set writes hold under concurrency (R-CON-7): real commits, several
connections, `asyncio.gather`. These run on the real clock (no frozen test transaction: its
lock on the clock row would block the committing fixtures' truncation)."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import AuditEvent, ContentSet, Role
from tests.content.factories import API
from tests.factories import bearer_for, make_grant, make_user


async def test_r_con_7_concurrent_revocations_end_as_one_revocation(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    async with committing_sessionmaker() as session:
        staff = await make_user(session, role=Role.staff)
        headers = await bearer_for(session, staff, settings)
        grant = await make_grant(session, await make_user(session))
        await session.commit()
    url = f"{API}/admin/entitlement-grants/{grant.id}/revoke"
    responses = await asyncio.gather(
        *[committing_client.post(url, json={"reason": f"r{i}"}, headers=headers) for i in range(3)]
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    async with committing_sessionmaker() as session:
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "entitlement.revoked")
            )
        )
        assert len(events) == 1


async def test_r_con_7_concurrent_content_sets_with_one_code_have_exactly_one_winner(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    async with committing_sessionmaker() as session:
        staff = await make_user(session, role=Role.staff)
        headers = await bearer_for(session, staff, settings)
        await session.commit()
    responses = await asyncio.gather(
        *[
            committing_client.post(
                f"{API}/admin/content-sets",
                json={"code": "plan-basic", "title": f"ベーシック{i}"},
                headers=headers,
            )
            for i in range(4)
        ]
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {
        "content-set-code-taken"
    }
    async with committing_sessionmaker() as session:
        rows = list(await session.scalars(select(ContentSet)))
        assert len(rows) == 1
