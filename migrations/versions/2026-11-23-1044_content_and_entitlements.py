"""content catalog (courses, lessons) and entitlement grants

Revision ID: 0003_content
Revises: 0002_identity
Create Date: 2026-11-23 10:44:07.109735
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_content"
down_revision: str | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "content_set",
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_set")),
    )
    op.create_index("uq_content_set_code", "content_set", ["code"], unique=True)
    op.create_table(
        "course",
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("course", "seminar", name="course_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "program",
            sa.Enum(
                "membership",
                "correspondence",
                "purchase",
                name="course_program",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("keywords", sa.String(length=500), server_default="", nullable=False),
        sa.Column("search_text", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "is_membership_content", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column("is_published", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
    )
    op.create_index(
        "ix_course_catalog",
        "course",
        ["position", "id"],
        unique=False,
        postgresql_where=sa.text("is_published"),
    )
    op.create_index("uq_course_slug", "course", ["slug"], unique=True)
    op.create_table(
        "content_set_course",
        sa.Column("content_set_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_set_id"],
            ["content_set.id"],
            name=op.f("fk_content_set_course_content_set_id_content_set"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_content_set_course_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("content_set_id", "course_id", name=op.f("pk_content_set_course")),
    )
    op.create_index(
        "ix_content_set_course_course_id", "content_set_course", ["course_id"], unique=False
    )
    op.create_table(
        "lesson",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("video", "test", "exercise", name="lesson_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("video_asset_id", sa.String(length=200), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds > 0",
            name=op.f("ck_lesson_duration_positive"),
        ),
        sa.CheckConstraint("position >= 0", name=op.f("ck_lesson_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_lesson_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson")),
        sa.UniqueConstraint(
            "course_id",
            "position",
            deferrable=True,
            initially="DEFERRED",
            name="uq_lesson_course_id_position",
        ),
    )
    op.create_table(
        "entitlement_grant",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "membership",
                "course",
                "content_set",
                name="grant_scope",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("content_set_id", sa.Uuid(), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "staff",
                "subscription",
                "enrollment",
                "purchase",
                "organization_plan",
                name="grant_source",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("granted_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(scope = 'content_set') = (content_set_id IS NOT NULL)",
            name=op.f("ck_entitlement_grant_content_set_id_iff_content_set_scope"),
        ),
        sa.CheckConstraint(
            "(scope = 'course') = (course_id IS NOT NULL)",
            name=op.f("ck_entitlement_grant_course_id_iff_course_scope"),
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until > valid_from",
            name=op.f("ck_entitlement_grant_valid_until_after_from"),
        ),
        sa.ForeignKeyConstraint(
            ["content_set_id"],
            ["content_set.id"],
            name=op.f("fk_entitlement_grant_content_set_id_content_set"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_entitlement_grant_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_entitlement_grant_granted_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_entitlement_grant_revoked_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_entitlement_grant_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement_grant")),
    )
    op.create_index(
        "ix_entitlement_grant_source", "entitlement_grant", ["source", "source_ref"], unique=False
    )
    op.create_index(
        "ix_entitlement_grant_user_live",
        "entitlement_grant",
        ["user_id", "scope", "course_id"],
        unique=False,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:

    op.drop_index(
        "ix_entitlement_grant_user_live",
        table_name="entitlement_grant",
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.drop_index("ix_entitlement_grant_source", table_name="entitlement_grant")
    op.drop_table("entitlement_grant")
    op.drop_table("lesson")
    op.drop_index("ix_content_set_course_course_id", table_name="content_set_course")
    op.drop_table("content_set_course")
    op.drop_index("uq_course_slug", table_name="course")
    op.drop_index(
        "ix_course_catalog", table_name="course", postgresql_where=sa.text("is_published")
    )
    op.drop_table("course")
    op.drop_index("uq_content_set_code", table_name="content_set")
    op.drop_table("content_set")
