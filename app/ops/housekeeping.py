"""Housekeeping: delete rows whose only purpose has expired, so tables don't grow forever.

Run daily by the worker (`app/ops/tasks.py`). Each purge is one indexed DELETE; all take `now`
as an argument (the adjustable clock in dev/test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.idempotency import purge_expired_idempotency_records
from app.models import AccountToken, LoginFailure, RateLimitWindow

LOGIN_FAILURE_RETENTION = timedelta(days=1)  # longer than any lockout window
# Fixed request windows (app.kit.ratelimit) are a minute long; student-registration failures
# (app/auth/service/registration.py, exact instants in the same table) count for 30 minutes.
RATE_LIMIT_RETENTION = timedelta(hours=1)
ACCOUNT_TOKEN_RETENTION = timedelta(days=30)  # used/expired one-time tokens, kept for support


@dataclass(frozen=True)
class PurgeCounts:
    idempotency_records: int
    login_failures: int
    rate_limit_windows: int
    account_tokens: int


async def purge_expired(session: AsyncSession, now: datetime) -> PurgeCounts:
    idempotency = await purge_expired_idempotency_records(session, now)
    failures = await session.execute(
        delete(LoginFailure).where(LoginFailure.failed_at < now - LOGIN_FAILURE_RETENTION)
    )
    windows = await session.execute(
        delete(RateLimitWindow).where(RateLimitWindow.window_start < now - RATE_LIMIT_RETENTION)
    )
    cutoff = now - ACCOUNT_TOKEN_RETENTION
    tokens = await session.execute(
        delete(AccountToken).where(
            or_(AccountToken.expires_at < cutoff, AccountToken.used_at < cutoff)
        )
    )
    return PurgeCounts(
        idempotency_records=idempotency,
        login_failures=_count(failures),
        rate_limit_windows=_count(windows),
        account_tokens=_count(tokens),
    )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
