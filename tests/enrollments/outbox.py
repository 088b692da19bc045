"""Reading the enrollment emails a test caused from the outbox (R-NTF-2: same transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.calendar import JST
from app.models import EmailOutbox, Role, User
from tests.factories import bearer_for, make_user

ENROLLMENT_TEMPLATES = (
    "enrollment_accepted",
    "enrollment_cancelled",
    "enrollment_returned",
    "leave_requested",
    "leave_granted",
    "leave_declined",
    "re_enrollment_confirmed",
)
ME = "/api/v1/me/enrollments"
ORG = "/api/v1/organizations/me/enrollments"
ADMIN = "/api/v1/admin/enrollments"


def jst(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=JST)


async def enrollment_emails(session: AsyncSession) -> list[EmailOutbox]:
    """Every enrollment-decision email in the test's transaction."""
    rows = await session.scalars(
        select(EmailOutbox)
        .where(EmailOutbox.template.in_(ENROLLMENT_TEMPLATES))
        .order_by(EmailOutbox.created_at, EmailOutbox.to_address)
    )
    return list(rows.all())


def by_user(rows: list[EmailOutbox]) -> dict[uuid.UUID | None, list[EmailOutbox]]:
    found: dict[uuid.UUID | None, list[EmailOutbox]] = {}
    for row in rows:
        found.setdefault(row.user_id, []).append(row)
    return found


def sent(rows: list[EmailOutbox]) -> set[tuple[uuid.UUID | None, str]]:
    return {(row.user_id, row.template) for row in rows}


async def person(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    role: Role = Role.member,
    *,
    locale: str = "ja",
    **kw: Any,
) -> tuple[User, dict[str, str]]:
    user = await make_user(session, role=role, **kw)
    user.locale = locale
    await session.flush()
    return user, await bearer_for(session, user, settings, now=now)
