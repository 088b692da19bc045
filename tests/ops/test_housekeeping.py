"""Housekeeping purges only rows whose purpose has expired."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AccountToken, AccountTokenPurpose, LoginFailure, RateLimitWindow
from app.ops.housekeeping import purge_expired
from tests.factories import make_user

NOW = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)


async def test_purge_removes_expired_rows_and_keeps_live_ones(session: AsyncSession) -> None:
    user = await make_user(session)
    session.add_all(
        [
            LoginFailure(
                user_id=user.id, ip_address="192.0.2.1", failed_at=NOW - timedelta(days=2)
            ),
            LoginFailure(
                user_id=user.id, ip_address="192.0.2.1", failed_at=NOW - timedelta(minutes=5)
            ),
            RateLimitWindow(bucket="k:old", window_start=NOW - timedelta(hours=2), count=3),
            RateLimitWindow(bucket="k:now", window_start=NOW - timedelta(seconds=30), count=1),
            AccountToken(
                user_id=user.id,
                purpose=AccountTokenPurpose.reset_password,
                token_hash=uuid.uuid4().hex,
                expires_at=NOW - timedelta(days=31),
            ),
            AccountToken(
                user_id=user.id,
                purpose=AccountTokenPurpose.verify_email,
                token_hash=uuid.uuid4().hex,
                expires_at=NOW + timedelta(hours=1),
            ),
        ]
    )
    await session.flush()

    counts = await purge_expired(session, NOW)

    assert (counts.login_failures, counts.rate_limit_windows, counts.account_tokens) == (1, 1, 1)
    assert await session.scalar(select(func.count()).select_from(LoginFailure)) == 1
    assert await session.scalar(select(RateLimitWindow.bucket)) == "k:now"
    assert await session.scalar(select(AccountToken.purpose)) == AccountTokenPurpose.verify_email
