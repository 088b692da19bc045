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

from fastapi import Depends, Request
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
        pool_pre_ping=True,
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
