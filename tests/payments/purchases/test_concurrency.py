"""The same product bought several times at once is bought once (SPEC §8), on real commits."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from tests.payments.purchases.racing import RACERS, buy, goods, person


async def test_the_same_product_bought_at_once_is_bought_once(
    wired: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    _, headers = await person(committing_sessionmaker, settings)
    product = await goods(committing_sessionmaker, 3000)

    answers = await asyncio.gather(*(buy(wired, headers, product, 0) for _ in range(RACERS)))

    assert sorted(a.status_code for a in answers) == [201] + [409] * (RACERS - 1)
    assert {a.json()["type"] for a in answers if a.status_code == 409} == {"purchase-in-progress"}
