"""Reads of the audit log (R-ID-12). Writes go through `app.audit.service.record_audit_event`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditEvent


def audit_events_statement(
    *,
    action: str | None = None,
    actor_user_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> Select[AuditEvent]:
    """Events matching every given filter; `occurred_from` inclusive, `occurred_to` exclusive."""
    statement = select(AuditEvent)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    if actor_user_id is not None:
        statement = statement.where(AuditEvent.actor_user_id == actor_user_id)
    if target_type is not None:
        statement = statement.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        statement = statement.where(AuditEvent.target_id == target_id)
    if occurred_from is not None:
        statement = statement.where(AuditEvent.occurred_at >= occurred_from)
    if occurred_to is not None:
        statement = statement.where(AuditEvent.occurred_at < occurred_to)
    return statement


async def latest_event(
    session: AsyncSession, *, action: str, target_type: str, target_id: str
) -> AuditEvent | None:
    """The most recent event of `action` on one target (served by ix_audit_event_target)."""
    return await session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.target_type == target_type,
            AuditEvent.target_id == target_id,
            AuditEvent.action == action,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
