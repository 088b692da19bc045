"""The framework ceiling: bare FastAPI + an asyncpg pool, one statement per request.

    uvicorn bench.ceiling:create_app --factory   (DATABASE_URL: the benchmark database)

- `GET /read/{lesson_id}`: one single-row SELECT by primary key on `lesson` (same dataset as
  the app), returned as JSON. What the app's reads are compared with.
- `POST /insert`: a JSON body validated by pydantic, one INSERT into `bench_ceiling_insert`
  (primary key = the body's event id, as an idempotent progress event would have), in its own
  implicitly committed transaction: one WAL flush per request, like the app's commit.

No auth, no middleware, no ORM: everything the app does beyond this is its own cost. The pool
is as large as the app's (`database_pool_size + database_max_overflow`).

The pool runs exactly one statement per request, first come first served — the discipline of
the app's hot pool (`app.db.HotPool`). asyncpg's pool as shipped sends a reset query
(`RESET ALL` and friends) whenever a connection comes back — a second round trip per request —
and lets a newcomer take a connection a woken waiter was meant to get (fat latency tails at 64
connections); a ceiling like that is beaten by the app's lesson page, so it is no ceiling.
`bench/run.py --plain-ceiling` (MANABI_BENCH_STRICT_CEILING=0) runs it that way, for
comparison with runs made before the app's pool had that discipline. Either way the ceiling
imports nothing of the app but its settings: a bigger heap would lengthen its garbage
collections.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from app.config import Settings

INSERT_TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bench_ceiling_insert (
    event_id uuid PRIMARY KEY,
    lesson_id uuid NOT NULL,
    position_seconds integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


STRICT_ENV = "MANABI_BENCH_STRICT_CEILING"
READ_SQL = (
    "SELECT id, course_id, position, kind, title, description, video_asset_id, "
    "duration_seconds FROM lesson WHERE id = $1"
)
INSERT_SQL = (
    "INSERT INTO bench_ceiling_insert (event_id, lesson_id, position_seconds) VALUES ($1, $2, $3)"
)


class _FifoPool:
    """The strict ceiling's pool: `app.db.HotPool`'s discipline in a few lines (the ceiling
    imports nothing of the app beyond its settings, so its heap stays bare)."""

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self.pool = pool
        self.slots = asyncio.Semaphore(size)


async def _no_reset(connection: asyncpg.Connection) -> None:
    """One statement per request: nothing is sent when a connection comes back."""


async def _run(pool: asyncpg.Pool | _FifoPool, method: str, sql: str, *args: Any) -> Any:
    if isinstance(pool, _FifoPool):
        async with pool.slots, pool.pool.acquire() as connection:
            return await getattr(connection, method)(sql, *args)
    return await getattr(pool, method)(sql, *args)


class InsertBody(BaseModel):
    event_id: uuid.UUID
    lesson_id: uuid.UUID
    position_seconds: int


def create_app() -> FastAPI:
    from bench.database import asyncpg_dsn

    dsn = asyncpg_dsn(os.environ["DATABASE_URL"])
    defaults = Settings()  # the same environment as the app: same pool size
    pool_max = defaults.database_pool_size + defaults.database_max_overflow
    strict = os.environ.get(STRICT_ENV, "1") != "0"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=defaults.database_pool_size,
            max_size=pool_max,
            server_settings={"application_name": "manabi-bench-ceiling", "timezone": "UTC"},
            **({"reset": _no_reset} if strict else {}),
        )
        app.state.pool = _FifoPool(pool, pool_max) if strict else pool
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="Manabi bench ceiling", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/read/{lesson_id}")
    async def read(lesson_id: uuid.UUID, request: Request) -> dict[str, Any]:
        row = await _run(request.app.state.pool, "fetchrow", READ_SQL, lesson_id)
        if row is None:
            raise HTTPException(status_code=404)
        return dict(row)

    @app.post("/insert", status_code=201)
    async def insert(body: InsertBody, request: Request) -> dict[str, Any]:
        await _run(
            request.app.state.pool,
            "execute",
            INSERT_SQL,
            body.event_id,
            body.lesson_id,
            body.position_seconds,
        )
        return {"event_id": body.event_id}

    return app
