"""The audit log's public contract (R-ID-12)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from app.kit.schemas import ResponseSchema


class AuditEventOut(ResponseSchema):
    id: int = Field(description="Increasing; the log's order.")
    occurred_at: datetime
    action: str = Field(description="Dotted, stable name, e.g. `account.suspended`.")
    actor_user_id: uuid.UUID | None
    actor_api_key_id: uuid.UUID | None
    target_type: str | None
    target_id: str | None
    ip_address: str | None
    request_id: str | None
    data: dict[str, Any] = Field(description="Action details (never secrets).")
