"""Versioned terms of service and privacy policy, and who accepted which (R-ID-1, R-ID-10)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model


class TermsKind(StrEnum):
    terms = "terms"  # 利用規約
    privacy = "privacy"  # 個人情報の保護と取扱い


class TermsDocument(Model):
    __tablename__ = "terms_document"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    kind: Mapped[TermsKind] = mapped_column(
        Enum(
            TermsKind,
            name="terms_kind",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    version: Mapped[str] = mapped_column(String(32))
    effective_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)


class TermsAcceptance(Model):
    __tablename__ = "terms_acceptance"
    __table_args__ = (
        UniqueConstraint("user_id", "document_id"),
        Index("ix_terms_acceptance_user_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms_document.id"))
    accepted_at: Mapped[datetime]
