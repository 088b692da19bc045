"""Record security- and money-relevant actions (R-ID-12).

`record_audit_event` writes in the caller's transaction: an action that rolls back leaves no
audit row, and one that commits always has its row. Refusals that must still be audited (a
failed login) raise errors with `keeps_writes = True` (see app/db.py).

Action names are dotted and stable: `auth.login_failed`, `auth.login_locked`,
`account.suspended`, `account.role_changed`, `api_key.created`, ... (see `AuditAction`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.request_context import ClientInfo
from app.models.audit import AuditEvent


class AuditAction(StrEnum):
    login_succeeded = "auth.login_succeeded"
    login_failed = "auth.login_failed"
    login_locked = "auth.login_locked"
    refresh_token_reused = "auth.refresh_token_reused"
    password_reset_requested = "auth.password_reset_requested"
    password_reset = "auth.password_reset"
    password_changed = "auth.password_changed"
    email_change_requested = "auth.email_change_requested"
    email_changed = "auth.email_changed"
    registered = "account.registered"
    created = "account.created"
    organization_changed = "account.organization_changed"
    student_registered = "account.student_registered"
    student_verification_failed = "account.student_verification_failed"
    suspended = "account.suspended"
    reinstated = "account.reinstated"
    withdrawn = "account.withdrawn"
    rejoin_requested = "account.rejoin_requested"
    rejoined = "account.rejoined"
    role_changed = "account.role_changed"
    customer_records_imported = "customer_records.imported"
    api_key_created = "api_key.created"
    api_key_revoked = "api_key.revoked"
    organization_created = "organization.created"
    terms_published = "terms.published"
    learning_data_purged = "progress.learning_data_purged"
    material_uploaded = "material.uploaded"
    material_deleted = "material.deleted"
    tool_uploaded = "tool.uploaded"
    tool_deleted = "tool.deleted"
    video_asset_uploaded = "video_asset.uploaded"
    event_created = "event.created"
    event_updated = "event.updated"
    event_published = "event.published"
    event_cancelled = "event.cancelled"
    course_published = "course.published"
    course_unpublished = "course.unpublished"
    course_deleted = "course.deleted"
    entitlement_granted = "entitlement.granted"
    entitlement_revoked = "entitlement.revoked"


async def record_audit_event(
    session: AsyncSession,
    *,
    action: AuditAction | str,
    now: datetime,
    actor_user_id: uuid.UUID | None = None,
    actor_api_key_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    client: ClientInfo | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        occurred_at=now,
        action=str(action),
        actor_user_id=actor_user_id,
        actor_api_key_id=actor_api_key_id,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        ip_address=client.ip_address if client else None,
        request_id=client.request_id if client else None,
        data=data or {},
    )
    session.add(event)
    await session.flush()
    return event
