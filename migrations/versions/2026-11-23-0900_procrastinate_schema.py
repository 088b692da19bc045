"""procrastinate 3.10.0 job tables (the worker queue).

The schema is the pinned procrastinate version's own (`pyproject.toml` pins it exactly). A later
procrastinate upgrade adds a migration that applies that release's delta scripts.

Revision ID: 0001_procrastinate
Revises:
Create Date: 2026-11-23 09:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy.util import await_only

revision: str = "0001_procrastinate"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_VERSION = "3.10.0"


def _execute_script(sql: str) -> None:
    # asyncpg runs one statement per prepared execute; a script needs the simple query protocol.
    raw = op.get_bind().connection.dbapi_connection
    assert raw is not None
    await_only(raw.driver_connection.execute(sql))  # type: ignore[union-attr]


def upgrade() -> None:
    from importlib.metadata import version

    from procrastinate.schema import SchemaManager

    installed = version("procrastinate")
    if installed != PROCRASTINATE_VERSION:
        raise RuntimeError(
            f"procrastinate {installed} is installed; this migration applies {PROCRASTINATE_VERSION}'s schema"
        )
    _execute_script(SchemaManager.get_schema())


def downgrade() -> None:
    _execute_script(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers, procrastinate_version CASCADE;
        DO $$
        DECLARE f record;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE';
            END LOOP;
        END $$;
        DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type,
            procrastinate_job_to_defer_v1 CASCADE;
        """
    )
