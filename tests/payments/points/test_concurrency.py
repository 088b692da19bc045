"""Points are never overdrawn by purchases racing each other (R-REF-10), on real commits."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import PointEntryKind, PointGrant, PointLedgerEntry, PointSource, Purchase
from app.payments.points.service import grant_points
from tests.payments.purchases.racing import RACERS, buy, goods, person


async def test_r_ref_10_concurrent_purchases_never_overdraw_points(
    wired: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """1,000 points, six products of ¥1,000 bought at once with points: one succeeds."""
    user_id, headers = await person(committing_sessionmaker, settings)
    async with committing_sessionmaker() as session:
        await grant_points(
            session,
            user_id=user_id,
            amount=1000,
            expires_on=date.today() + timedelta(days=30),
            source=PointSource.campaign,
            reason="race",
            campaign_code="RACE",
            now=datetime.now(UTC),
        )
        await session.commit()
    products = [await goods(committing_sessionmaker, 1000) for _ in range(RACERS)]

    answers = await asyncio.gather(*(buy(wired, headers, p, 1000) for p in products))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (RACERS - 1), [a.text for a in answers]
    assert {a.json()["type"] for a in answers if a.status_code == 409} == {"points-insufficient"}
    async with committing_sessionmaker() as session:
        remaining = await session.scalar(select(func.sum(PointGrant.remaining)))
        spent = await session.scalar(
            select(func.sum(PointLedgerEntry.points)).where(
                PointLedgerEntry.kind == PointEntryKind.spent
            )
        )
        purchases = await session.scalar(select(func.count()).select_from(Purchase))
    assert (remaining, spent, purchases) == (0, -1000, 1)
