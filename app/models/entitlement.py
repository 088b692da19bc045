"""Entitlement grants: who may open what, from when until when, and why. R-CON-7, R-SUB-10.

Every program that sells or gives access writes grant rows; content asks one question of them
(`app.entitlements.rules` / `app.entitlements.service`). A grant opens:

- `membership`: everything the membership includes (courses with `is_membership_content`, the
  tools library, webinar/workshop registration, the SNS);
- `course`: one course;
- `content_set`: every course of a named set (an organization plan's curriculum, a package).

A grant is valid on `[valid_from, valid_until)`; `valid_until` NULL means open-ended. Ending a
grant early sets `valid_until` (a subscription lapses) or `revoked_at` (staff take it back);
rows are never deleted, so history and audits keep their meaning.

`source` + `source_ref` name the writer (the subscription, the order, the enrollment, the
organization contract), so a writer can find and end its own grants.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Model
from app.models.user import _enum


class GrantScope(StrEnum):
    membership = "membership"
    course = "course"
    content_set = "content_set"


class GrantSource(StrEnum):
    staff = "staff"  # granted by hand, with a reason (audited)
    subscription = "subscription"  # the ¥980 membership (R-SUB-10)
    enrollment = "enrollment"  # a correspondence-course enrollment (R-ENR)
    purchase = "purchase"  # a one-off purchase (R-REF)
    organization_plan = "organization_plan"  # an organization's contract plan (R-B2B)


class ContentSet(Model):
    """A named set of courses: an organization plan's curriculum or a package."""

    __tablename__ = "content_set"
    __table_args__ = (Index("uq_content_set_code", "code", unique=True),)

    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")


class ContentSetCourse(Base):
    __tablename__ = "content_set_course"
    __table_args__ = (Index("ix_content_set_course_course_id", "course_id"),)

    content_set_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("content_set.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), primary_key=True
    )


class EntitlementGrant(Model):
    __tablename__ = "entitlement_grant"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'course') = (course_id IS NOT NULL)", name="course_id_iff_course_scope"
        ),
        CheckConstraint(
            "(scope = 'content_set') = (content_set_id IS NOT NULL)",
            name="content_set_id_iff_content_set_scope",
        ),
        CheckConstraint(
            "valid_until IS NULL OR valid_until > valid_from", name="valid_until_after_from"
        ),
        # The hot question "may user U open course C now" reads only live grants of one user.
        Index(
            "ix_entitlement_grant_user_live",
            "user_id",
            "scope",
            "course_id",
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_entitlement_grant_source", "source", "source_ref"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    scope: Mapped[GrantScope] = mapped_column(_enum(GrantScope, "grant_scope"))
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("course.id", ondelete="RESTRICT")
    )
    content_set_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("content_set.id", ondelete="RESTRICT")
    )
    source: Mapped[GrantSource] = mapped_column(_enum(GrantSource, "grant_source"))
    source_ref: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    granted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
