"""Fixed-window request counters in PostgreSQL (R-ID-11 per-key limits; reusable by any domain).

One row per (bucket, window start) in `rate_limit_window`, bumped by a single statement:

    INSERT … ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_window.count + 1
    RETURNING count

The upsert is atomic, so concurrent requests never both see the same count and the limit is
never exceeded, on one process or many.

Why the count runs in its own short transaction (`independent_session`), not the request's:

- A request that passes the limiter and then fails (404, 422, a bug) rolls its transaction back.
  Counted in that transaction, the hit would vanish and a client could make unlimited failing
  requests. Counted in its own transaction, it is committed before the request goes on.
- The upsert locks the counter row until its transaction ends. Inside the request's transaction
  every request of one key would queue behind the previous one for its whole duration; in its
  own transaction the lock lasts one statement.

`independent_session` opens that transaction on the request session's bind: with an engine (as
in production) a second pooled connection, committed and returned at once; with a connection
(tests bind every session to one connection) a savepoint released at once. Call it before the
request's session has taken its own connection where you can (the API-key authenticator does),
so a request never holds two pooled connections at once and a saturated pool cannot deadlock.
(With the adjustable dev/test clock, reading "now" is a query that comes first, so there a key
request briefly holds two. And in the rolled-back `client` test fixture the savepoint nests
inside the request's, so a refused request takes its hit back; tests that need the production
behaviour use `committing_client`.)

Ended windows are deleted by the daily housekeeping job (`app.ops.housekeeping`).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.models.security_record import RateLimitWindow


@dataclass(frozen=True)
class WindowHit:
    """The state of one bucket's current window right after a hit was counted."""

    count: int
    limit: int
    window_start: datetime
    window_end: datetime

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    def retry_after_seconds(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1): the `Retry-After` value."""
        return max(1, math.ceil((self.window_end - now).total_seconds()))


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window holding `now` (windows are aligned to the Unix epoch)."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=UTC)


@asynccontextmanager
async def independent_session(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits on its own, whatever becomes of `session`'s."""
    bind = session.get_async_bind()
    if isinstance(bind, AsyncConnection):
        side = AsyncSession(
            bind=bind,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            autoflush=False,
        )
    else:
        side = AsyncSession(bind=bind, expire_on_commit=False, autoflush=False)
    async with side:
        try:
            yield side
        except BaseException:
            await side.rollback()
            raise
        await side.commit()


async def count_hit(
    session: AsyncSession,
    bucket: str,
    *,
    now: datetime,
    limit: int,
    window_seconds: int = 60,
) -> WindowHit:
    """Count one hit on `bucket` in the window holding `now`, in `session`'s transaction.

    Callers that need the count to survive a later rollback pass an `independent_session`.
    """
    start = window_start(now, window_seconds)
    upsert = insert(RateLimitWindow).values(bucket=bucket, window_start=start, count=1)
    statement = upsert.on_conflict_do_update(
        index_elements=[RateLimitWindow.bucket, RateLimitWindow.window_start],
        set_={"count": RateLimitWindow.count + 1},
    ).returning(RateLimitWindow.count)
    count = (await session.execute(statement)).scalar_one()
    return WindowHit(
        count=count,
        limit=limit,
        window_start=start,
        window_end=start + timedelta(seconds=window_seconds),
    )
