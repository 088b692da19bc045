"""The hot connection pool (app.db.HotPool) against the real database: first come, first served,
and a slot is never lost when a request is cancelled while it waits or holds a connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.config import Settings
from app.db import HotPool, create_hot_pool


@pytest.fixture
async def one_connection(settings: Settings) -> AsyncIterator[HotPool]:
    pool = await create_hot_pool(settings.model_copy(update={"database_hot_pool_size": 1}))
    try:
        yield pool
    finally:
        await pool.close()


async def test_waiting_requests_get_connections_in_arrival_order(one_connection: HotPool) -> None:
    """A request arriving just as a connection is handed back queues behind the ones already
    waiting (asyncpg's own queue would let it take the connection first)."""
    order: list[str] = []
    holder_may_leave = asyncio.Event()

    async def request(name: str, *, hold: asyncio.Event | None = None) -> None:
        async with one_connection.connection() as connection:
            order.append(name)
            assert await connection.fetchval("SELECT 1") == 1
            if hold is not None:
                await hold.wait()

    holder = asyncio.create_task(request("holder", hold=holder_may_leave))
    await asyncio.sleep(0.05)
    waiters = [asyncio.create_task(request(f"waiter-{i}")) for i in range(3)]
    await asyncio.sleep(0.05)
    holder_may_leave.set()
    await asyncio.sleep(0)  # the holder is leaving: a newcomer arrives at that very moment
    newcomer = asyncio.create_task(request("newcomer"))
    await asyncio.gather(holder, *waiters, newcomer)

    assert order == ["holder", "waiter-0", "waiter-1", "waiter-2", "newcomer"]


async def test_cancelled_requests_give_their_slot_back(one_connection: HotPool) -> None:
    blocker = asyncio.Event()

    async def hold() -> None:
        async with one_connection.connection():
            await blocker.wait()

    holding = asyncio.create_task(hold())
    await asyncio.sleep(0.05)
    waiting = asyncio.create_task(hold())
    await asyncio.sleep(0.05)
    waiting.cancel()
    holding.cancel()
    for task in (waiting, holding):
        with pytest.raises(asyncio.CancelledError):
            await task

    async with asyncio.timeout(5):
        async with one_connection.connection() as connection:
            assert await connection.fetchval("SELECT 1") == 1
