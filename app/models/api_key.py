"""Partner API keys (R-ID-11): shown once, stored hashed, visible prefix, scopes, expiry."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model


class ApiKey(Model):
    __tablename__ = "api_key"
    __table_args__ = (
        Index("uq_api_key_key_hash", "key_hash", unique=True),
        Index("ix_api_key_organization_id", "organization_id"),
    )

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(24))  # shown in lists: "mk_3f9a1c2b"
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
