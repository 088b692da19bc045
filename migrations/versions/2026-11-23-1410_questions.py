"""questions: study and service questions with their attachments

R-QST-1 … R-QST-11.

Revision ID: 0011_questions
Revises: 0010_reports
Create Date: 2026-11-23 13:36:29.775228
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_questions"
down_revision: str | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("study", "service", name="question_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "answered", "declined", name="question_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("answer_body", sa.Text(), nullable=True),
        sa.Column(
            "is_learning_advice", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declined_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
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
            "(kind = 'study') = (enrollment_id IS NOT NULL)",
            name=op.f("ck_question_study_has_enrollment"),
        ),
        sa.CheckConstraint(
            "(status = 'answered') = (answered_at IS NOT NULL)",
            name=op.f("ck_question_answered_has_time"),
        ),
        sa.CheckConstraint(
            "(status = 'declined') = (declined_at IS NOT NULL)",
            name=op.f("ck_question_declined_has_time"),
        ),
        sa.CheckConstraint("due_on >= asked_on", name=op.f("ck_question_due_after_asked")),
        sa.ForeignKeyConstraint(
            ["answered_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_question_answered_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["declined_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_question_declined_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_question_enrollment_id_enrollment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_question_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
    )
    op.create_index("ix_question_enrollment_id", "question", ["enrollment_id"], unique=False)
    op.create_index("ix_question_status_asked_at", "question", ["status", "asked_at"], unique=False)
    op.create_index(
        "ix_question_user_id_kind_asked_at",
        "question",
        ["user_id", "kind", "asked_at"],
        unique=False,
    )
    op.create_table(
        "question_attachment",
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column(
            "part",
            sa.Enum(
                "question", "answer", name="question_attachment_part", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column(
            "file_kind",
            sa.Enum("pdf", "png", "jpeg", name="question_file_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
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
            "position BETWEEN 0 AND 2", name=op.f("ck_question_attachment_position_in_range")
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_question_attachment_size_positive")),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_attachment_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_attachment")),
    )
    op.create_index(
        "ix_question_attachment_question_id_part",
        "question_attachment",
        ["question_id", "part", "position"],
        unique=False,
    )
    op.create_index(
        "uq_question_attachment_storage_key", "question_attachment", ["storage_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_question_attachment_storage_key", table_name="question_attachment")
    op.drop_index("ix_question_attachment_question_id_part", table_name="question_attachment")
    op.drop_table("question_attachment")
    op.drop_index("ix_question_user_id_kind_asked_at", table_name="question")
    op.drop_index("ix_question_status_asked_at", table_name="question")
    op.drop_index("ix_question_enrollment_id", table_name="question")
    op.drop_table("question")
