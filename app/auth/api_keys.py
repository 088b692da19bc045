"""Partner API keys: the scope vocabulary and authentication of `X-API-Key` (R-ID-11).

A key is looked up by the SHA-256 digest of what the partner sends (the key itself is never
stored), must be neither revoked nor expired, and is rate limited per key
(`settings.api_key_requests_per_minute`, fixed one-minute windows, `app.kit.ratelimit`).

The look-up, the hit count and the last-used stamp run in one short transaction of their own
(`independent_session`), committed before the operation runs:

- the count survives when the operation later fails and rolls back (otherwise failing requests
  would be free), and the counter row is locked for one statement, not for the whole request;
- it runs before the request's own session takes a connection (in production the clock needs
  no query), so an API-key request holds at most one pooled connection at a time.

`last_used_at` is written at most once a minute per key (`LAST_USED_RESOLUTION`): a partner
making hundreds of calls a minute costs one extra UPDATE a minute, not one per call.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.errors import ApiKeyRateLimited, InvalidApiKey
from app.config import Settings
from app.kit.ratelimit import count_hit, independent_session
from app.kit.security import API_KEY_PREFIX, token_digest
from app.models.api_key import ApiKey

LAST_USED_RESOLUTION = timedelta(minutes=1)
RATE_LIMIT_WINDOW_SECONDS = 60
MAX_KEY_LENGTH = 200


class ApiScope(StrEnum):
    """What a partner key may do (R-ID-11). Operations declare the scopes they need with
    `Authenticator(scopes=[ApiScope.users_read])`; a key must carry all of them."""

    users_read = "users:read"  # list the organization's users
    users_write = "users:write"  # provision / update the organization's users (R-B2B-1)
    reports_read = "reports:read"  # read the organization's learning reports
    enrollments_write = "enrollments:write"  # enroll the organization's learners
    webhooks_manage = "webhooks:manage"  # manage the organization's webhook subscriptions


def rate_limit_bucket(key: ApiKey) -> str:
    return f"api_key:{key.id}"


async def authenticate_api_key(
    session: AsyncSession, raw_key: str, *, now: datetime, settings: Settings
) -> ApiKey:
    """The active key `raw_key` names, attached to `session`; counts the request against it.

    Raises `InvalidApiKey` (401) for an unknown, revoked or expired key, `ApiKeyRateLimited`
    (429 with `Retry-After`) when the key's window is used up.
    """
    if not raw_key.startswith(API_KEY_PREFIX) or len(raw_key) > MAX_KEY_LENGTH:
        raise InvalidApiKey()
    async with independent_session(session) as side:
        key = await side.scalar(select(ApiKey).where(ApiKey.key_hash == token_digest(raw_key)))
        if key is None or key.revoked_at is not None:
            raise InvalidApiKey()
        if key.expires_at is not None and key.expires_at <= now:
            raise InvalidApiKey()
        hit = await count_hit(
            side,
            rate_limit_bucket(key),
            now=now,
            limit=settings.api_key_requests_per_minute,
            window_seconds=RATE_LIMIT_WINDOW_SECONDS,
        )
        if hit.allowed:
            await _touch_last_used(side, key, now)
    # The hit is committed whether or not the request goes on.
    if not hit.allowed:
        raise ApiKeyRateLimited(retry_after_seconds=hit.retry_after_seconds(now))
    return await session.merge(key, load=False)


async def _touch_last_used(session: AsyncSession, key: ApiKey, now: datetime) -> None:
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    # The guard is repeated in SQL: of concurrent requests around the minute mark, one writes.
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(key, "last_used_at", now)
