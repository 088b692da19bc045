"""The audit log for admins (R-ID-12): who did what to what, and when, newest first."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from app.audit.repository import audit_events_statement
from app.audit.schemas import AuditEventOut
from app.auth.auth import CurrentAdmin
from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.kit.errors import InvalidCursor
from app.kit.pagination import Page, PageQuery, paginate_as
from app.kit.problems import problem_responses
from app.models.audit import AuditEvent

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get(
    "/audit-events",
    operation_id="admin_list_audit_events",
    summary="List audit events, newest first",
    description="Security- and money-relevant actions with actor, target and time (R-ID-12). "
    "Admin only. Filters combine; `from` is inclusive, `to` exclusive.",
    responses=problem_responses(*PERSON_AUTH_ERRORS, InvalidCursor),
)
async def list_audit_events(
    subject: CurrentAdmin,
    session: DbSession,
    page: PageQuery,
    action: Annotated[
        str | None, Query(max_length=64, description="e.g. `account.suspended`")
    ] = None,
    actor_user_id: uuid.UUID | None = None,
    target_type: Annotated[str | None, Query(max_length=32, description="e.g. `user`")] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    occurred_from: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    occurred_to: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> Page[AuditEventOut]:
    statement = audit_events_statement(
        action=action,
        actor_user_id=actor_user_id,
        target_type=target_type,
        target_id=target_id,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    return await paginate_as(
        AuditEventOut, session, statement, order_by=[AuditEvent.id], descending=True, params=page
    )
