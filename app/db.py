"""Engine, sessions and the one-transaction-per-request dependency.

The request session commits when the endpoint returns and rolls back on any exception, before
the response is sent (`Depends(..., scope="function")`: FastAPI would otherwise run the commit
after the response left, and a failed commit would still have answered 200). Services and
repositories never commit; they may flush.

A `ProblemError` whose class sets `keeps_writes = True` commits instead of rolling back: used for
security records that must survive the refusal they cause (a failed login counts toward the
lockout, a reused refresh token revokes its family).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.config import Settings
from app.kit.errors import ProblemError


def create_engine(settings: Settings) -> AsyncEngine:
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (the dev scripts start an embedded server)")
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        # No pre-ping: it costs a round trip on every checkout (measured in bench/). A
        # connection that died (database restart, failover) fails its one statement, SQLAlchemy
        # invalidates it, and the pool opens a fresh one; recycling bounds idle-connection age.
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": "manabi", "timezone": "UTC"}},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    session = sessionmaker()
    try:
        yield session
    except ProblemError as error:
        if error.keeps_writes:
            await session.commit()
        else:
            await session.rollback()
        raise
    except BaseException:
        await session.rollback()
        raise
    else:
        await session.commit()
    finally:
        await session.close()


get_session = _request_session
"""The request's session. Use the `DbSession` alias in signatures."""

DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for hot read-only endpoints: autocommit, so a read costs its query and nothing
    else (no BEGIN / COMMIT round trips). Shares the engine's pool."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        expire_on_commit=False,
        autoflush=False,
    )


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] | None = getattr(
        request.app.state, "read_sessionmaker", None
    )
    # Tests install one sessionmaker bound to their rolled-back transaction; reads use it too.
    session = (maker or request.app.state.sessionmaker)()
    try:
        yield session
    finally:
        await session.close()


ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
"""A read-only session for public GET endpoints (course pages). Never write through it: each
statement commits on its own. Everything else uses `DbSession`."""


class HotPool:
    """The hot asyncpg pool behind a first-come, first-served queue.

    asyncpg's own queue lets a newcomer take a connection that was just handed back while the
    waiter it was meant for is still being woken; the woken waiter finds nothing, queues again
    at the back, and under load (64 requests for 10 connections) some requests wait many
    rounds. Measured in bench/: the lesson page's p90 was 3× its median and woken-for-nothing
    waiters cost CPU. A FIFO semaphore (asyncio's hands a released slot to the first waiter)
    lets exactly `size` requests at a time ask the pool, so asyncpg's queue never forms."""

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self.pool = pool
        self._slots = asyncio.Semaphore(size)

    def connection(self) -> _HotLease:
        return _HotLease(self)

    async def close(self) -> None:
        await self.pool.close()


class _HotLease:
    """`async with hot_pool.connection() as connection:` (a class, not a generator: this runs
    on every hot request)."""

    __slots__ = ("_connection", "_hot")

    def __init__(self, hot: HotPool) -> None:
        self._hot = hot
        self._connection: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        await self._hot._slots.acquire()
        try:
            self._connection = await self._hot.pool.acquire()
        except BaseException:
            self._hot._slots.release()
            raise
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self._hot.pool.release(self._connection)
        finally:
            self._connection = None
            self._hot._slots.release()


async def create_hot_pool(settings: Settings) -> HotPool:
    """A plain asyncpg pool for the hottest paths (`hot_connection`): no ORM session, no
    transaction, statements prepared once per connection (`app.kit.hot_query`)."""
    assert settings.database_url
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    size = settings.database_hot_pool_size
    pool = await asyncpg.create_pool(
        dsn.render_as_string(hide_password=False),
        min_size=1,
        max_size=size,
        server_settings={"application_name": "manabi-hot", "timezone": "UTC"},
        reset=keep_session_state,
    )
    return HotPool(pool, size)


async def keep_session_state(connection: asyncpg.Connection) -> None:
    """What the hot pool runs when a connection comes back: nothing.

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL;` on every release — one more round trip per request, as costly as the hot
    statement itself (bench/). Hot connections only ever run `HotQuery` statements: no SET, no
    LISTEN, no cursors, no advisory locks, so there is no session state to undo. asyncpg still
    rolls back a transaction left open (a request cancelled mid-statement) before this runs."""


def hot_connection(request: Request) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """`async with hot_connection(request) as connection:` — an asyncpg connection of the hot
    pool, in autocommit mode, for `HotQuery`s: each statement commits on its own, so a write must
    be ONE statement. Acquired inside the endpoint rather than as a dependency: FastAPI's
    machinery for a generator dependency cost more than the pool itself (bench/)."""
    pool: HotPool | None = request.app.state.hot_pool
    if pool is not None:
        return pool.connection()
    return _session_driver_connection(request.app.state.sessionmaker)


@asynccontextmanager
async def _session_driver_connection(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[asyncpg.Connection]:
    """Without a hot pool (tests install one sessionmaker bound to their rolled-back
    transaction): the driver connection under a session of that sessionmaker. The session's
    savepoint is released on success, so a write is seen by the test as it would be committed."""
    session = sessionmaker()
    try:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, asyncpg.Connection)
        yield driver
    except BaseException:
        await session.rollback()
        raise
    else:
        await session.commit()
    finally:
        await session.close()
