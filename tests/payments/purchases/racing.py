"""Concurrency helpers: the app on real commits (separate connections) wired to the simulator.

Import the `wired` fixture into a test package's conftest."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import Product, ProductKind, Role
from tests.factories import bearer_for, make_user
from tests.payments.purchases.shop import PURCHASES
from tests.payments.simulator_client import SimulatorHandle

RACERS = 6


@pytest.fixture
async def wired(
    app: FastAPI, committing_client: httpx.AsyncClient, sim: SimulatorHandle
) -> AsyncIterator[httpx.AsyncClient]:
    provider = sim.provider()
    await sim.control.set_refund_settlement("manual")
    app.state.payment_provider = provider
    try:
        yield committing_client
    finally:
        app.state.payment_provider = None
        await provider.aclose()


async def person(
    maker: async_sessionmaker[AsyncSession], settings: Settings, role: Role = Role.member
) -> tuple[uuid.UUID, dict[str, str]]:
    async with maker() as session:
        user = await make_user(session, role=role)
        headers = await bearer_for(session, user, settings)
        await session.commit()
        return user.id, headers


async def goods(maker: async_sessionmaker[AsyncSession], price: int) -> uuid.UUID:
    async with maker() as session:
        product = Product(
            id=uuid.uuid4(),
            code=f"p-{uuid.uuid4().hex[:12]}",
            kind=ProductKind.goods,
            title="教材",
            list_price_jpy=price,
            bonus_items=[],
        )
        session.add(product)
        await session.commit()
        return product.id


async def buy(
    client: httpx.AsyncClient, headers: dict[str, str], product_id: uuid.UUID, points: int
) -> httpx.Response:
    return await client.post(
        PURCHASES, json={"product_id": str(product_id), "points_to_use": points}, headers=headers
    )
