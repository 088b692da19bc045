"""reports: report units, submissions, re-gradings and certificates

R-ENR-6 … R-ENR-15.

Revision ID: 0010_reports
Revises: 0009_enrollments
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_reports"
down_revision: str | None = "0009_enrollments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_unit",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("instructions", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "multiple_choice", "essay", name="report_unit_kind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "questions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
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
        sa.CheckConstraint("position >= 1", name=op.f("ck_report_unit_position_positive")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_report_unit_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_unit")),
    )
    op.create_index(
        "ix_report_unit_course_id_position", "report_unit", ["course_id", "position"], unique=False
    )
    op.create_table(
        "certificate",
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "completion", "excellent", name="certificate_kind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("learner_name", sa.String(length=100), nullable=False),
        sa.Column("course_title", sa.String(length=200), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
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
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_certificate_enrollment_id_enrollment"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
    )
    op.create_index("uq_certificate_enrollment_id", "certificate", ["enrollment_id"], unique=True)
    op.create_index("uq_certificate_number", "certificate", ["number"], unique=True)
    op.create_table(
        "report_submission",
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("essay_text", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "awaiting_grading",
                "graded",
                name="report_submission_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("due_from_on", sa.Date(), nullable=True),
        sa.Column("due_until_on", sa.Date(), nullable=True),
        sa.Column("assigned_grader_user_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("graded_on", sa.Date(), nullable=True),
        sa.Column("grader_user_id", sa.Uuid(), nullable=True),
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
            "(status = 'graded') = (score IS NOT NULL AND graded_at IS NOT NULL)",
            name=op.f("ck_report_submission_graded_has_score"),
        ),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_report_submission_attempt_positive")),
        sa.CheckConstraint(
            "score IS NULL OR score BETWEEN 0 AND 100",
            name=op.f("ck_report_submission_score_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_grader_user_id"],
            ["user_account.id"],
            name=op.f("fk_report_submission_assigned_grader_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_report_submission_enrollment_id_enrollment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grader_user_id"],
            ["user_account.id"],
            name=op.f("fk_report_submission_grader_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["report_unit.id"],
            name=op.f("fk_report_submission_unit_id_report_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_submission")),
    )
    op.create_index(
        "ix_report_submission_assigned_grader_user_id",
        "report_submission",
        ["assigned_grader_user_id"],
        unique=False,
    )
    op.create_index(
        "ix_report_submission_queue",
        "report_submission",
        ["submitted_at"],
        unique=False,
        postgresql_where=sa.text("status = 'awaiting_grading'"),
    )
    op.create_index("ix_report_submission_unit_id", "report_submission", ["unit_id"], unique=False)
    op.create_index(
        "uq_report_submission_enrollment_id_unit_id_attempt",
        "report_submission",
        ["enrollment_id", "unit_id", "attempt"],
        unique=True,
    )
    op.create_table(
        "report_regrade",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("staff_user_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("previous_score", sa.Integer(), nullable=False),
        sa.Column("new_score", sa.Integer(), nullable=False),
        sa.Column("previous_comments", sa.Text(), nullable=True),
        sa.Column("new_comments", sa.Text(), nullable=True),
        sa.Column("regraded_at", sa.DateTime(timezone=True), nullable=False),
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
            ["staff_user_id"],
            ["user_account.id"],
            name=op.f("fk_report_regrade_staff_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["report_submission.id"],
            name=op.f("fk_report_regrade_submission_id_report_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_regrade")),
    )
    op.create_index(
        "ix_report_regrade_submission_id", "report_regrade", ["submission_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_report_regrade_submission_id", table_name="report_regrade")
    op.drop_table("report_regrade")
    op.drop_index(
        "uq_report_submission_enrollment_id_unit_id_attempt", table_name="report_submission"
    )
    op.drop_index("ix_report_submission_unit_id", table_name="report_submission")
    op.drop_index(
        "ix_report_submission_queue",
        table_name="report_submission",
        postgresql_where=sa.text("status = 'awaiting_grading'"),
    )
    op.drop_index("ix_report_submission_assigned_grader_user_id", table_name="report_submission")
    op.drop_table("report_submission")
    op.drop_index("uq_certificate_number", table_name="certificate")
    op.drop_index("uq_certificate_enrollment_id", table_name="certificate")
    op.drop_table("certificate")
    op.drop_index("ix_report_unit_course_id_position", table_name="report_unit")
    op.drop_table("report_unit")
