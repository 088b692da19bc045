"""Count the statements a piece of code sends, for "one round trip" tests (no N+1).

Two sources, each seeing what the other does not: SQLAlchemy's `before_cursor_execute` sees
statements run through the ORM/Core (asyncpg runs those as prepared statements, which its query
logger does not report), and asyncpg's query logger on the test's connection sees the
compiled-once `HotQuery`s run on the driver. The harness's savepoints are left out.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.hot_query import driver_connection

_HARNESS = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", re.IGNORECASE)


@asynccontextmanager
async def recorded_statements(session: AsyncSession) -> AsyncIterator[list[str]]:
    statements: list[str] = []

    def record(query: Any) -> None:
        if not _HARNESS.match(query.query):
            statements.append(query.query)

    def record_sqlalchemy(*args: Any) -> None:
        if not _HARNESS.match(args[2]):
            statements.append(args[2])

    engine = (await session.connection()).sync_connection.engine  # type: ignore[union-attr]
    driver = await driver_connection(session)
    event.listen(engine, "before_cursor_execute", record_sqlalchemy)
    driver.add_query_logger(record)
    try:
        yield statements
    finally:
        driver.remove_query_logger(record)
        event.remove(engine, "before_cursor_execute", record_sqlalchemy)
