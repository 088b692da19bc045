"""SQL for point grants and the ledger (R-REF-10)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.commerce import PointEntryKind, PointGrant, PointLedgerEntry


async def usable_grants_for_update(
    session: AsyncSession, user_id: uuid.UUID, today: date
) -> list[PointGrant]:
    """The member's grants with points left and not expired on `today`, earliest expiry first,
    row-locked: two purchases spending at once are serialized and never overdraw a grant. Rows
    are locked in one fixed order (expiry, id), so two spenders cannot deadlock on them."""
    statement = (
        select(PointGrant)
        .where(
            PointGrant.user_id == user_id,
            PointGrant.remaining > 0,
            PointGrant.expires_on >= today,
        )
        .order_by(PointGrant.expires_on, PointGrant.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(statement)).all())


async def usable_grants(session: AsyncSession, user_id: uuid.UUID, today: date) -> list[PointGrant]:
    statement = (
        select(PointGrant)
        .where(
            PointGrant.user_id == user_id,
            PointGrant.remaining > 0,
            PointGrant.expires_on >= today,
        )
        .order_by(PointGrant.expires_on, PointGrant.id)
    )
    return list((await session.scalars(statement)).all())


async def spent_entries(session: AsyncSession, purchase_id: uuid.UUID) -> list[PointLedgerEntry]:
    """The `spent` entries of one purchase: which grants paid how much, with their expiries."""
    statement = (
        select(PointLedgerEntry)
        .where(
            PointLedgerEntry.purchase_id == purchase_id,
            PointLedgerEntry.kind == PointEntryKind.spent,
        )
        .order_by(PointLedgerEntry.occurred_at, PointLedgerEntry.id)
    )
    return list((await session.scalars(statement)).all())


def ledger_of(user_id: uuid.UUID) -> Select[Any]:
    return select(PointLedgerEntry).where(PointLedgerEntry.user_id == user_id)
