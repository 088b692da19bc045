"""Platform mechanisms: the adjustable clock, idempotency records, the email outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Enum, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Model


class TestClockState(Base):
    """The dev/test clock (one row): frozen at an instant, or running with an offset."""

    __tablename__ = "test_clock"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    frozen_at: Mapped[datetime | None]
    offset_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class IdempotencyRecord(Model):
    """The first response to a request carrying an `Idempotency-Key`, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (
        Index("uq_idempotency_record_scope_key", "scope", "key", unique=True),
        Index("ix_idempotency_record_expires_at", "expires_at"),
    )

    scope: Mapped[str] = mapped_column(String(80))  # "user:<id>", "api_key:<id>", "anonymous"
    key: Mapped[str] = mapped_column(String(255))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[Any] = mapped_column(JSONB, nullable=True)
    response_headers: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    expires_at: Mapped[datetime]


class EmailStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after the last attempt


class EmailOutbox(Model):
    """An email written in the transaction that caused it and delivered by a worker (R-NTF-2)."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        Index(
            "ix_email_outbox_due", "next_attempt_at", postgresql_where=text("status = 'pending'")
        ),
        Index("ix_email_outbox_user_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID | None]
    to_address: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(
        Enum(
            EmailStatus,
            name="email_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=EmailStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # Safe to log: which template, to whom (user id), never the body (it may hold a token).
    context_summary: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
