"""Login sessions and their rotating refresh tokens (R-ID-7).

An `AuthSession` is one login (a refresh-token family). Each refresh hands out a new token and
marks the old one used; presenting a used token again revokes the whole session.
Tokens are stored as SHA-256 digests: they are 256-bit random values, so a slow hash adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model


class AuthSession(Model):
    __tablename__ = "auth_session"
    __table_args__ = (Index("ix_auth_session_user_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip_address: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Model):
    __tablename__ = "refresh_token"
    __table_args__ = (
        Index("uq_refresh_token_token_hash", "token_hash", unique=True),
        Index("ix_refresh_token_session_id", "session_id"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_session.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
