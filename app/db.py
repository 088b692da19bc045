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

from collections.abc import AsyncIterator
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
"""A read-only session for hot GET endpoints (lesson page, catalog). Never write through it:
each statement commits on its own. Everything else uses `DbSession`."""


async def create_hot_pool(settings: Settings) -> asyncpg.Pool:
    """A plain asyncpg pool for the hottest reads (`HotConnection`): no ORM session, no
    transaction, statements prepared once per connection (`app.kit.hot_query`)."""
    assert settings.database_url
    dsn = make_url(settings.database_url).set(drivername="postgresql")
    return await asyncpg.create_pool(
        dsn.render_as_string(hide_password=False),
        min_size=1,
        max_size=settings.database_hot_pool_size,
        server_settings={"application_name": "manabi-hot", "timezone": "UTC"},
    )


async def _hot_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool | None = getattr(request.app.state, "hot_pool", None)
    if pool is not None:
        async with pool.acquire() as connection:
            yield connection
        return
    # Tests install one sessionmaker bound to their rolled-back transaction: use its connection.
    session = request.app.state.sessionmaker()
    try:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, asyncpg.Connection)
        yield driver
    finally:
        await session.close()


HotConnection = Annotated[asyncpg.Connection, Depends(_hot_connection, scope="function")]
"""An asyncpg connection in autocommit mode for the hottest GET endpoints (lesson page): run
`HotQuery`s on it, never writes. Everything else uses `DbSession`."""
