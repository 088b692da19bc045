"""Counters behind brute-force protection and rate limits (R-ID-8, R-ID-11)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Identity, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class LoginFailure(Base):
    """One failed login: counted per account and per client address over a sliding window."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_user_id_failed_at", "user_id", "failed_at"),
        Index("ix_login_failure_ip_address_failed_at", "ip_address", "failed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[uuid.UUID | None]
    ip_address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime]


class RateLimitWindow(Base):
    """Fixed-window request counter (e.g. per API key per minute)."""

    __tablename__ = "rate_limit_window"

    bucket: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
