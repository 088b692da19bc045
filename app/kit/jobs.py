"""Deferring procrastinate jobs inside the caller's own transaction (ARCHITECTURE §6, R-NTF-2).

procrastinate's own `defer_async` uses its own connection, so a job deferred that way can run
for a change that was later rolled back, or be lost when the change commits but the defer fails.
`defer_in_transaction` inserts the job row through the request's session instead: the job exists
exactly when the change that caused it commits. procrastinate workers pick it up (LISTEN/NOTIFY
fires on commit). The SQL function belongs to the pinned procrastinate version's schema.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, NULL, "
    "CAST(:args AS jsonb), :scheduled_at)::procrastinate_job_to_defer_v1])"
)


async def defer_in_transaction(
    session: AsyncSession,
    task_name: str,
    *,
    args: dict[str, Any] | None = None,
    queue: str = "default",
    priority: int = 0,
    lock: str | None = None,
    scheduled_at: datetime | None = None,
) -> None:
    """Queue `task_name` (the procrastinate task's full name) to run after this transaction commits."""
    await session.execute(
        _DEFER,
        {
            "queue": queue,
            "task": task_name,
            "priority": priority,
            "lock": lock,
            "args": json.dumps(args or {}),
            "scheduled_at": scheduled_at,
        },
    )
