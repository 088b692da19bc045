"""Single-use emailed tokens: email verification, password reset, email change, rejoining after
withdrawal (R-ID-1, -5, -6, -9; R-SUB-11).

`purpose` is a plain VARCHAR(32) (a non-native enum without a CHECK constraint): adding a purpose
needs no migration."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model


class AccountTokenPurpose(StrEnum):
    verify_email = "verify_email"
    reset_password = "reset_password"
    change_email = "change_email"
    rejoin = "rejoin"  # reactivate a withdrawn account (seed 002 総則第9条第1項)


class AccountToken(Model):
    __tablename__ = "account_token"
    __table_args__ = (
        Index("uq_account_token_token_hash", "token_hash", unique=True),
        Index("ix_account_token_user_id_purpose", "user_id", "purpose"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    purpose: Mapped[AccountTokenPurpose] = mapped_column(
        Enum(
            AccountTokenPurpose,
            name="account_token_purpose",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    new_email: Mapped[str | None] = mapped_column(String(254))  # change_email only
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
