"""Shared fixtures: real PostgreSQL, one rolled-back transaction per test, an ASGI client.

- `session`: the test's session, on a connection whose outer transaction is rolled back after
  the test. Requests made through `client` get their own sessions on the same connection in
  savepoint mode, so the app's commit/rollback behave as in production and the test sees them.
- `committing_client` / `committing_sessionmaker`: real commits on the pooled engine, for
  concurrency tests (several requests at once need several connections). Every table is
  truncated afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.config import Environment, Settings
from app.kit.clock import set_clock
from app.main import create_app
from app.models import Base
from tests.db_harness import migrate, test_database_url


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with test_database_url() as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        environment=Environment.test,
        database_url=database_url,
        test_clock_enabled=True,
        log_json=True,
        log_level="WARNING",
        smtp_port=1,  # tests that deliver mail point this at their own SMTP server
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    assert settings.database_url
    engine = create_async_engine(settings.database_url, pool_size=20, max_overflow=10)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            if transaction.is_active:
                await transaction.rollback()


def _savepoint_sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with _savepoint_sessionmaker(connection)() as session:
        yield session


@pytest.fixture
async def client(app: FastAPI, connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    app.state.sessionmaker = _savepoint_sessionmaker(connection)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    app.state.sessionmaker = None


async def truncate_all(engine: AsyncEngine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
        await connection.execute(text("TRUNCATE procrastinate_jobs CASCADE"))


@pytest.fixture
async def committing_sessionmaker(
    engine: AsyncEngine,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    yield async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    await truncate_all(engine)


@pytest.fixture
async def committing_client(
    app: FastAPI, committing_sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    app.state.sessionmaker = committing_sessionmaker
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    app.state.sessionmaker = None


@pytest.fixture
def freeze_time(session: AsyncSession):  # type: ignore[no-untyped-def]
    """`await freeze_time(datetime(...))` fixes the app's clock (inside the test transaction)."""

    async def freeze(at: datetime) -> None:
        await set_clock(session, frozen_at=at, offset_seconds=0)
        await session.commit()  # releases the savepoint; the outer transaction still rolls back

    return freeze
