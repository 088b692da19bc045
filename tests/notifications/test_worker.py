"""The procrastinate worker (app/worker.py) really runs the jobs `enqueue_email` defers (R-NTF-2),
on the test database through its psycopg pool built from DATABASE_URL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import worker
from app.config import Settings
from app.kit.clock import system_now
from app.models.platform import EmailOutbox, EmailStatus
from app.notifications.service import DELIVER_TASK, enqueue_email
from tests.notifications.conftest import SmtpServer

# --- DATABASE_URL → libpq conninfo ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The embedded dev/test server: a Unix socket directory given as ?host=, empty password.
        (
            "postgresql+asyncpg://postgres:@/postgres?host=/srv/manabi/.devdb",
            {"host": "/srv/manabi/.devdb", "user": "postgres", "dbname": "postgres"},
        ),
        (
            "postgresql+asyncpg://manabi:p%40ss%20word@db.internal:6543/manabi",
            {
                "host": "db.internal",
                "port": "6543",
                "user": "manabi",
                "password": "p@ss word",
                "dbname": "manabi",
            },
        ),
        (
            "postgresql+asyncpg://u:pw@db/app?ssl=require&prepared_statement_cache_size=0",
            {"host": "db", "user": "u", "password": "pw", "dbname": "app", "sslmode": "require"},
        ),
        (
            "postgresql+asyncpg://u@db/app?sslmode=verify-full&application_name=x",
            {
                "host": "db",
                "user": "u",
                "dbname": "app",
                "sslmode": "verify-full",
                "application_name": "x",
            },
        ),
        (
            "postgresql://u@/app?host=/run/postgresql",
            {"host": "/run/postgresql", "user": "u", "dbname": "app"},
        ),
    ],
)
def test_database_url_becomes_a_libpq_conninfo(url: str, expected: dict[str, str]) -> None:
    assert conninfo_to_dict(worker.libpq_conninfo(url)) == expected


def test_a_non_postgresql_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        worker.libpq_conninfo("sqlite+aiosqlite:///x.db")


async def test_the_test_database_url_connects_with_psycopg(settings: Settings) -> None:
    assert settings.database_url
    conninfo = worker.libpq_conninfo(settings.database_url)
    async with await psycopg.AsyncConnection.connect(conninfo) as connection:
        cursor = await connection.execute("SELECT count(*) FROM procrastinate_jobs")
        assert await cursor.fetchone() is not None


# --- the app ------------------------------------------------------------------------------------


def test_worker_registers_the_notification_tasks_under_their_dotted_names() -> None:
    worker.app.perform_import_paths()
    assert DELIVER_TASK == "app.notifications.tasks.deliver_email"
    task = worker.app.tasks[DELIVER_TASK]
    assert task.queue == "email"
    assert task.retry_strategy is not None
    periodic = {p.task.name: p.cron for p in worker.app.periodic_registry.periodic_tasks.values()}
    # Other domains register periodic tasks of their own; these two must be among them.
    assert (
        periodic.items()
        >= {
            "app.notifications.tasks.deliver_due_emails": "* * * * *",
            "app.ops.tasks.daily_housekeeping": "30 18 * * *",  # 03:30 JST
        }.items()
    )
    for module in worker.TASK_MODULES:
        assert module.endswith(".tasks")


def test_worker_never_applies_procrastinate_schema() -> None:
    """Our alembic migration owns procrastinate's schema; the app refuses to manage it."""
    with pytest.raises(RuntimeError, match="alembic"):
        _ = worker.app.schema_manager


@pytest.fixture
async def configured_worker(mail_settings: Settings) -> AsyncIterator[None]:
    worker.configure(mail_settings)
    try:
        yield
    finally:
        await worker.dispose()
        worker.configure(None)


async def test_r_ntf_2_worker_runs_the_job_deferred_with_the_email(
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    configured_worker: None,
) -> None:
    """R-NTF-2: commit an email → a real procrastinate worker delivers it over SMTP, once."""
    to = f"worker-{uuid.uuid4().hex[:8]}@example.jp"
    async with committing_sessionmaker() as session:
        email = await enqueue_email(
            session,
            to_address=to,
            template="password_reset",
            context={
                "name": "佐藤 花子",
                "reset_url": "https://app.manabi.example/reset?token=xyz",
                "expires_at": "2026年11月23日 11:00",
            },
            now=system_now(),
        )
        await session.commit()

    async with worker.app.open_async():
        await worker.app.run_worker_async(
            queues=["email"], wait=False, install_signal_handlers=False
        )

    assert [m.rcpt_tos for m in smtp.received] == [[to]]
    assert smtp.received[0].message["Subject"] == "【学びオンライン】パスワード再設定のご案内"
    async with committing_sessionmaker() as session:
        stored = await session.get(EmailOutbox, email.id)
        assert stored is not None
        assert stored.status is EmailStatus.sent
        job_status = await session.scalar(
            text(
                "SELECT status FROM procrastinate_jobs "
                "WHERE task_name = :task AND args->>'email_id' = :id"
            ),
            {"task": DELIVER_TASK, "id": str(email.id)},
        )
        assert job_status == "succeeded"

    # Running the worker again (a re-delivered job, a sweep) sends nothing more.
    async with worker.app.open_async():
        await worker.app.run_worker_async(
            queues=["email"], wait=False, install_signal_handlers=False
        )
    assert len(smtp.received) == 1
