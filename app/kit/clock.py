"""The one source of "now".

Rules never read the clock: they take `now`/`today` as arguments. Endpoints take the `Now`
dependency; jobs call `read_now(session, settings)`.

Outside production the clock is adjustable (like a payment provider's test clock): its state
lives in the `test_clock` row, so the API, the job worker and black-box tests all see the same
time. `frozen_at` stops time at an instant; `offset_seconds` lets it run shifted. In production
(or with MANABI_TEST_CLOCK_ENABLED=false) this is the system clock and costs no query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import DbSession
from app.models.platform import TestClockState


def system_now() -> datetime:
    return datetime.now(UTC)


async def read_now(session: AsyncSession, settings: Settings) -> datetime:
    if not settings.clock_is_adjustable:
        return system_now()
    state = await session.scalar(select(TestClockState).where(TestClockState.id == 1))
    return effective_now(state, system_now())


def effective_now(state: TestClockState | None, real_now: datetime) -> datetime:
    if state is None:
        return real_now
    if state.frozen_at is not None:
        return state.frozen_at
    return real_now + timedelta(seconds=state.offset_seconds)


async def set_clock(
    session: AsyncSession, *, frozen_at: datetime | None, offset_seconds: int
) -> TestClockState:
    statement = insert(TestClockState).values(
        id=1, frozen_at=frozen_at, offset_seconds=offset_seconds, updated_at=system_now()
    )
    statement = statement.on_conflict_do_update(
        index_elements=[TestClockState.id],
        set_={
            "frozen_at": statement.excluded.frozen_at,
            "offset_seconds": statement.excluded.offset_seconds,
            "updated_at": statement.excluded.updated_at,
        },
    )
    await session.execute(statement)
    state = await session.scalar(
        select(TestClockState)
        .where(TestClockState.id == 1)
        .execution_options(populate_existing=True)
    )
    assert state is not None
    return state


async def _now_dependency(request: Request, session: DbSession) -> datetime:
    settings: Settings = request.app.state.settings
    return await read_now(session, settings)


Now = Annotated[datetime, Depends(_now_dependency)]
"""The request's "now" (UTC, tz-aware)."""
