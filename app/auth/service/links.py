"""Emailed single-use links: issue, look up, throttle (R-ID-1, R-ID-5, R-ID-6, R-ID-9 rejoin).

Every link the service emails (email verification, password reset, email change, rejoin) is an
`AccountToken`: the raw token goes into the email, only its SHA-256 digest is stored. One live
link per account and purpose: issuing a new one retires the older ones. A link works until (not
at) its expiry and only once; it is consumed by the conditional update in
`repository.use_account_token`, so of two concurrent confirmations exactly one wins.

Requests that anyone may make for any address (password reset, rejoin) send at most
`EMAILS_PER_WINDOW` links per account and purpose per `EMAIL_WINDOW`, so the endpoints cannot be
used to flood someone's inbox; the caller answers the same either way.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository, rules
from app.kit import security
from app.models.account_token import AccountToken, AccountTokenPurpose

EMAILS_PER_WINDOW = 3
EMAIL_WINDOW = timedelta(minutes=15)


async def issue(
    session: AsyncSession,
    user_id: uuid.UUID,
    purpose: AccountTokenPurpose,
    *,
    now: datetime,
    expires_at: datetime,
    new_email: str | None = None,
) -> str:
    """Retire the account's live links of `purpose` and store a new one; returns the raw token
    (for the email only: it is never stored)."""
    await repository.retire_account_tokens(session, user_id, purposes=[purpose], now=now)
    raw = security.new_token()
    await repository.add_account_token(
        session,
        user_id=user_id,
        purpose=purpose,
        digest=security.token_digest(raw),
        now=now,
        expires_at=expires_at,
        new_email=new_email,
    )
    return raw


async def find_usable(
    session: AsyncSession, raw: str, purpose: AccountTokenPurpose, *, now: datetime
) -> AccountToken | None:
    """The unused, unexpired link of this purpose, or None (a link of another purpose never
    matches). Consume it with `repository.use_account_token` before acting on it."""
    row = await repository.find_account_token(session, security.token_digest(raw), purpose)
    if row is None or not rules.token_is_usable(
        expires_at=row.expires_at, used_at=row.used_at, now=now
    ):
        return None
    return row


async def emails_throttled(
    session: AsyncSession, user_id: uuid.UUID, purpose: AccountTokenPurpose, *, now: datetime
) -> bool:
    """True when the account got `EMAILS_PER_WINDOW` links of `purpose` within `EMAIL_WINDOW`."""
    recent = await repository.count_account_tokens_issued(
        session, user_id, purpose, since=now - EMAIL_WINDOW
    )
    return recent >= EMAILS_PER_WINDOW
