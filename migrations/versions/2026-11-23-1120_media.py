"""media: lesson materials, the tools library, video assets, the download ledger

R-CON-2, R-CON-3, R-CON-4.

Revision ID: 0006_media
Revises: 0005_progress
Create Date: 2026-11-23 11:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_media"
down_revision: str | None = "0005_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "material",
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "file_kind",
            sa.Enum("pdf", "xlsx", "docx", "csv", name="file_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Uuid(), nullable=True),
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
        sa.CheckConstraint("position >= 0", name=op.f("ck_material_position_not_negative")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_material_size_positive")),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lesson.id"],
            name=op.f("fk_material_lesson_id_lesson"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_material_uploaded_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material")),
    )
    op.create_index(
        "ix_material_lesson_id_position", "material", ["lesson_id", "position", "id"], unique=False
    )
    op.create_table(
        "tool",
        sa.Column(
            "category",
            sa.Enum(
                "template",
                "guide",
                "spreadsheet",
                name="tool_category",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "file_kind",
            sa.Enum("pdf", "xlsx", "docx", "csv", name="file_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Uuid(), nullable=True),
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
        sa.CheckConstraint("position >= 0", name=op.f("ck_tool_position_not_negative")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_tool_size_positive")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_tool_uploaded_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool")),
    )
    op.create_index("ix_tool_position", "tool", ["position", "id"], unique=False)
    op.create_table(
        "video_asset",
        sa.Column("asset_id", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Uuid(), nullable=True),
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
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_video_asset_size_positive")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_video_asset_uploaded_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_asset")),
    )
    op.create_index("uq_video_asset_asset_id", "video_asset", ["asset_id"], unique=True)
    op.create_table(
        "material_download",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("material_id", sa.Uuid(), nullable=True),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_material_download_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lesson.id"],
            name=op.f("fk_material_download_lesson_id_lesson"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["material.id"],
            name=op.f("fk_material_download_material_id_material"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_material_download_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_download")),
    )
    op.create_index(
        "ix_material_download_lesson_time",
        "material_download",
        ["lesson_id", "downloaded_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_material_download_material_id", "material_download", ["material_id"], unique=False
    )
    op.create_index(
        "ix_material_download_user_course",
        "material_download",
        ["user_id", "course_id", "lesson_id"],
        unique=False,
    )
    op.create_index(
        "ix_material_download_user_time",
        "material_download",
        ["user_id", "downloaded_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_material_download_user_time", table_name="material_download")
    op.drop_index("ix_material_download_user_course", table_name="material_download")
    op.drop_index("ix_material_download_material_id", table_name="material_download")
    op.drop_index("ix_material_download_lesson_time", table_name="material_download")
    op.drop_table("material_download")
    op.drop_index("uq_video_asset_asset_id", table_name="video_asset")
    op.drop_table("video_asset")
    op.drop_index("ix_tool_position", table_name="tool")
    op.drop_table("tool")
    op.drop_index("ix_material_lesson_id_position", table_name="material")
    op.drop_table("material")
