"""Accounts: people who log in (members, org admins, graders, staff, admins). R-ID-1, -3, -9, -13."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model


class Role(StrEnum):
    member = "member"
    org_admin = "org_admin"
    grader = "grader"
    staff = "staff"
    admin = "admin"


class AccountStatus(StrEnum):
    active = "active"
    suspended = "suspended"  # staff action for rule violations (R-ID-9)
    withdrawn = "withdrawn"  # 退会 (R-ID-9)


def _enum(enum: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum,
        name=name,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        length=32,
        validate_strings=True,
    )


class User(Model):
    __tablename__ = "user_account"
    __table_args__ = (
        # Email is stored normalized (NFKC, lower-case); one account per address, whatever its state.
        Index("uq_user_account_email", "email", unique=True),
        # One account per customer number (R-ID-2).
        Index(
            "uq_user_account_customer_number",
            "customer_number",
            unique=True,
            postgresql_where=text("customer_number IS NOT NULL"),
        ),
        Index("ix_user_account_organization_id", "organization_id"),
    )

    email: Mapped[str] = mapped_column(String(254))
    email_verified_at: Mapped[datetime | None]
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.member)
    status: Mapped[AccountStatus] = mapped_column(
        _enum(AccountStatus, "account_status"), default=AccountStatus.active
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]
    customer_number: Mapped[str | None] = mapped_column(String(11))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    locale: Mapped[str] = mapped_column(String(5), default="ja", server_default="ja")
    # Bumped whenever every session must end at once (password reset, suspension, withdrawal):
    # access tokens carry the epoch they were issued under and die with it.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_login_at: Mapped[datetime | None]


class Organization(Model):
    """A contracting organization (契約者). Minimal here; the B2B issue extends it (R-B2B-1)."""

    __tablename__ = "organization"

    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # R-ENR-11: the organization's own completion thresholds for correspondence courses (None =
    # the platform default); snapshotted into each enrollment at application.
    completion_pass_average: Mapped[int | None] = mapped_column(Integer)
    completion_excellent_average: Mapped[int | None] = mapped_column(Integer)
    completion_excellent_minimum: Mapped[int | None] = mapped_column(Integer)
    resubmission_pass_mark: Mapped[int | None] = mapped_column(Integer)
