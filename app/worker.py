"""The procrastinate app: every domain's background tasks and periodic jobs.

Run a worker (as many as needed, on as many machines as needed; PostgreSQL coordinates them):

    python -m app.worker                      # every queue
    python -m app.worker --queue email -c 4   # only the email queue, four jobs at a time

Each domain declares its tasks in its own `tasks.py` with `from app.worker import app` and
`@app.task(...)`; list that module in `TASK_MODULES` so the worker imports it (a job whose task is
not imported fails with `TaskNotFound`).

Decisions worth knowing:

- **The schema is ours.** procrastinate's tables and functions are created by the alembic
  migration for the pinned version (`migrations/versions/*procrastinate_schema.py`). This app
  refuses to hand out a schema manager, so no code path (nor `procrastinate schema --apply`
  pointed at this app) applies procrastinate's schema; `main()` only checks that it is there.
- **One URL.** procrastinate speaks psycopg 3 (its own pool), the app speaks asyncpg; both come
  from `DATABASE_URL` (`postgresql+asyncpg://…`). `libpq_conninfo` converts it, including the
  embedded dev server's Unix socket given as `?host=/path`. The URL is read when the app opens,
  not at import, so importing this module needs no database.
- **Tasks get their own sessions** from a lazily created engine (`task_sessionmaker()`); they
  read "now" with `app.kit.clock.read_now` and commit themselves. `configure(settings)` points
  tasks and the connector at other settings (tests do this).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import psycopg_pool
from procrastinate import App, PsycopgConnector
from procrastinate.app import WorkerOptions
from procrastinate.schema import SchemaManager
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker

logger = logging.getLogger(__name__)

# Every domain's tasks module. Add yours here (e.g. "app.payments.tasks", "app.reports.tasks").
TASK_MODULES: tuple[str, ...] = (
    "app.notifications.tasks",
    "app.ops.tasks",
    "app.media.tasks",
    "app.progress.tasks",
    "app.payments.tasks",
    "app.payments.purchases.tasks",
    "app.enrollments.tasks",
    "app.reports.tasks",
)

# Query parameters of an asyncpg/SQLAlchemy URL that libpq does not know (dropped), and those it
# spells differently (renamed).
_NOT_FOR_LIBPQ = frozenset(
    {
        "prepared_statement_cache_size",
        "prepared_statement_name_func",
        "statement_cache_size",
        "max_cached_statement_lifetime",
        "max_cacheable_statement_size",
        "command_timeout",
        "server_settings",
        "async_fallback",
    }
)
_SSL_TO_SSLMODE = {"true": "require", "false": "disable"}


def libpq_conninfo(database_url: str) -> str:
    """Turn a SQLAlchemy URL (`postgresql+asyncpg://…`) into a libpq conninfo for psycopg.

    `postgresql+asyncpg://postgres:@/postgres?host=/tmp/sock` becomes
    `host=/tmp/sock user=postgres dbname=postgres`; a password, port and libpq options such as
    `sslmode` are kept, asyncpg's `ssl=` becomes `sslmode=`, asyncpg-only options are dropped.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {url.drivername}")
    params: dict[str, Any] = {}
    for key, value in url.query.items():
        if key in _NOT_FOR_LIBPQ:
            continue
        text = ",".join(value) if isinstance(value, tuple) else value
        if key == "ssl":
            key, text = "sslmode", _SSL_TO_SSLMODE.get(text.lower(), text)
        params[key] = text
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = url.port
    if url.username:
        params["user"] = url.username
    if url.password:
        params["password"] = url.password
    if url.database:
        params["dbname"] = url.database
    return make_conninfo("", **params)


# --- settings and sessions for tasks ------------------------------------------------------------

_settings: Settings | None = None
_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def configure(settings: Settings | None) -> None:
    """Use `settings` for tasks and for the connector's next open (None: the environment's).

    Drops the task engine without disposing it; call `dispose()` first when it was used.
    """
    global _settings, _engine, _sessionmaker
    _settings = settings
    _engine = None
    _sessionmaker = None


def worker_settings() -> Settings:
    return _settings or get_settings()


def task_sessionmaker() -> async_sessionmaker[AsyncSession]:
    """Sessions for tasks, from an engine created on first use (in the worker's event loop)."""
    global _engine, _sessionmaker
    if _sessionmaker is None:
        _engine = create_engine(worker_settings())
        _sessionmaker = create_sessionmaker(_engine)
    return _sessionmaker


async def dispose() -> None:
    """Close the task engine's connections (at worker shutdown, or between test event loops)."""
    global _engine, _sessionmaker
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _sessionmaker = None


# --- the procrastinate app ----------------------------------------------------------------------


def _create_pool(**kwargs: Any) -> psycopg_pool.AsyncConnectionPool:
    """procrastinate's pool, built when the app opens (so the URL is read then, not at import)."""
    settings = worker_settings()
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (the dev scripts start an embedded server)")
    return psycopg_pool.AsyncConnectionPool(
        conninfo=libpq_conninfo(settings.database_url),
        kwargs={"application_name": "manabi-worker"},
        **kwargs,
    )


class ManabiApp(App):
    """A procrastinate `App` that never manages procrastinate's schema (alembic does)."""

    @property
    def schema_manager(self) -> SchemaManager:
        raise RuntimeError(
            "procrastinate's schema is applied by our alembic migration; "
            "run `alembic upgrade heads` instead"
        )


if __name__ == "__main__":
    # `python -m app.worker` runs this file as `__main__`, a second copy of the module. The task
    # modules register on `app.worker.app`: hand over to the real module before this copy builds
    # an App of its own.
    from app import worker as _real_module

    _real_module.main()
    sys.exit(0)

app = ManabiApp(
    # Room for the listener, the periodic deferrer and a few concurrent jobs.
    connector=PsycopgConnector(pool_factory=_create_pool, min_size=1, max_size=10),
    import_paths=list(TASK_MODULES),
)


# --- command line -------------------------------------------------------------------------------


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m app.worker", description="Run a Manabi procrastinate worker."
    )
    parser.add_argument(
        "-q",
        "--queue",
        action="append",
        dest="queues",
        help="a queue to work (repeatable; default: every queue)",
    )
    parser.add_argument("-c", "--concurrency", type=int, default=1, help="jobs run at once")
    parser.add_argument("-n", "--name", default=None, help="worker name shown in logs")
    return parser.parse_args(argv)


def _exit(message: str) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(1)


async def run(
    *, queues: Sequence[str] | None = None, concurrency: int = 1, name: str | None = None
) -> None:
    """Run a worker until SIGINT/SIGTERM (graceful: running jobs finish)."""
    try:
        async with app.open_async():
            if not await app.check_connection_async():
                _exit("procrastinate's tables are missing: run the migrations first")
            options: WorkerOptions = {"concurrency": concurrency, "name": name or "manabi-worker"}
            if queues:
                options["queues"] = list(queues)
            await app.run_worker_async(**options)
    finally:
        await dispose()


def main(argv: Sequence[str] | None = None) -> None:
    from app.ops.logging import configure_logging

    arguments = _parse(argv)
    settings = worker_settings()
    settings.check_production()
    if not settings.database_url:
        _exit("DATABASE_URL is not set")
    configure_logging(settings)
    # procrastinate's own records (worker start/stop, each job's outcome) through the same handler.
    procrastinate_logger = logging.getLogger("procrastinate")
    procrastinate_logger.handlers[:] = logging.getLogger("app").handlers
    procrastinate_logger.setLevel(settings.log_level.upper())
    procrastinate_logger.propagate = False
    asyncio.run(
        run(queues=arguments.queues, concurrency=arguments.concurrency, name=arguments.name)
    )
