"""Tests of the staff/admin identity operations, organizations and partner keys (R-ID-2, R-ID-9,
R-ID-10, R-ID-11, R-ID-12, R-ID-13). Shared helpers live here; fixtures come from tests/conftest.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.security import new_api_key
from app.models import (
    ApiKey,
    AuditEvent,
    AuthSession,
    CustomerRecord,
    EmailOutbox,
    Organization,
    Role,
    TermsDocument,
    User,
)
from tests.factories import bearer_for, make_user

API = "/api/v1"

COUNTED_TABLES = (
    User,
    Organization,
    ApiKey,
    AuditEvent,
    CustomerRecord,
    TermsDocument,
    EmailOutbox,
)


async def person(
    session: AsyncSession,
    settings: Settings,
    role: Role = Role.staff,
    *,
    now: datetime | None = None,
    **fields: object,
) -> tuple[User, dict[str, str]]:
    """A signed-in account of `role` and its Authorization header."""
    user = await make_user(session, role=role, **fields)  # type: ignore[arg-type]
    headers = await bearer_for(session, user, settings, now=now)
    return user, headers


async def make_key(
    session: AsyncSession,
    *,
    scopes: list[str],
    organization_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
    revoked_at: datetime | None = None,
    name: str = "partner",
) -> tuple[ApiKey, dict[str, str]]:
    """A partner key row and the `X-API-Key` header carrying it."""
    full_key, prefix, digest = new_api_key()
    key = ApiKey(
        id=uuid.uuid4(),
        name=name,
        prefix=prefix,
        key_hash=digest,
        scopes=scopes,
        organization_id=organization_id,
        expires_at=expires_at,
        revoked_at=revoked_at,
    )
    session.add(key)
    await session.flush()
    return key, {"X-API-Key": full_key}


async def table_counts(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for model in COUNTED_TABLES:
        counts[model.__tablename__] = int(
            await session.scalar(select(func.count()).select_from(model)) or 0
        )
    return counts


async def audit_rows(session: AsyncSession, action: str) -> list[AuditEvent]:
    return list(
        await session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


async def open_sessions(session: AsyncSession, user_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        )
        or 0
    )
