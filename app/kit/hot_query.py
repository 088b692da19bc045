"""Compiled-once statements for the platform's hottest reads and writes.

Measured on 2 cores (bench/), building a SQLAlchemy statement per request, computing its cache
key and running it through the ORM session cost several milliseconds of CPU — ten times the
database round trip itself. A `HotQuery` is written with SQLAlchemy Core (so it is checked
against the models like any other query), compiled ONCE for asyncpg at import, and executed on
the request's driver connection, where asyncpg keeps it as a prepared statement. Per request
that leaves: bind a few values, one round trip, read one record.

Rules for statements given to `HotQuery`:

- every per-request value is a named `bindparam(...)`; literal values in the statement (enum
  members, constants) are frozen at compile time;
- bound and selected values must be types asyncpg handles natively (UUID, str, int, bool,
  timezone-aware datetime, StrEnum members as their str value) — no SQLAlchemy type processing
  runs on this path;
- results come back as `asyncpg.Record`s (by column label): map them to schemas explicitly.

Use it only where a benchmark shows the need; everywhere else the ORM is the right tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


class HotQuery:
    """One statement, compiled for asyncpg once. `await query.fetchrow(connection, name=value)`."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        self.sql: str = compiled.string
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        # Values fixed in the statement itself (enum members, constants).
        self._frozen: dict[str, Any] = {
            name: value for name, value in compiled.params.items() if value is not None
        }
        self._required = frozenset(name for name in self._names if name not in self._frozen)

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        missing = self._required - params.keys()
        if missing:
            raise TypeError(f"HotQuery is missing parameters: {sorted(missing)}")
        merged = {**self._frozen, **params}
        return [merged[name] for name in self._names]

    async def fetchrow(
        self, connection: asyncpg.Connection, **params: Any
    ) -> asyncpg.Record | None:
        return await connection.fetchrow(self.sql, *self.arguments(params))

    async def fetch(self, connection: asyncpg.Connection, **params: Any) -> list[asyncpg.Record]:
        return list(await connection.fetch(self.sql, *self.arguments(params)))


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, inside the session's transaction if any
    (tests bind sessions to a rolled-back transaction; hot reads see it like any other)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement. A statement
    # run here first would otherwise commit on its own, outside the session's transaction.
    adapted = raw.dbapi_connection
    if getattr(adapted, "_transaction", None) is None and not getattr(adapted, "autocommit", True):
        await adapted._start_transaction()  # type: ignore[union-attr]
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)
    return driver
