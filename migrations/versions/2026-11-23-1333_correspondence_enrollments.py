"""correspondence enrollments: course settings and enrollments

R-ENR-1…5, R-ENR-11…13, R-ENR-16, R-ENR-17, R-QST-3, R-QST-6, R-B2B-12.

Revision ID: 0009_enrollments
Revises: 0008_commerce
Create Date: 2026-11-23 13:33:32.642804
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_enrollments"
down_revision: str | None = "0008_commerce"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "correspondence_settings",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("standard_period_months", sa.Integer(), nullable=False),
        sa.Column("enrollment_multiplier", sa.Integer(), server_default="2", nullable=False),
        sa.Column(
            "same_month_start", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("has_certificate", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "offers_resubmission_service",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "has_question_service", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column("question_quota", sa.Integer(), server_default="6", nullable=False),
        sa.Column(
            "allows_re_enrollment", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column("allows_leave", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("fee_jpy", sa.Integer(), server_default="0", nullable=False),
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
            "enrollment_multiplier BETWEEN 1 AND 5",
            name=op.f("ck_correspondence_settings_multiplier_in_range"),
        ),
        sa.CheckConstraint(
            "fee_jpy >= 0", name=op.f("ck_correspondence_settings_fee_not_negative")
        ),
        sa.CheckConstraint(
            "question_quota >= 0",
            name=op.f("ck_correspondence_settings_question_quota_not_negative"),
        ),
        sa.CheckConstraint(
            "standard_period_months BETWEEN 1 AND 60",
            name=op.f("ck_correspondence_settings_period_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_correspondence_settings_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correspondence_settings")),
    )
    op.create_index(
        "uq_correspondence_settings_course_id",
        "correspondence_settings",
        ["course_id"],
        unique=True,
    )
    op.create_table(
        "enrollment",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "individual",
                "staff",
                "organization",
                name="application_channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("applied_by_user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "applied",
                "active",
                "cancelled",
                "returned",
                "ended",
                name="enrollment_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("enrollment_end_on", sa.Date(), nullable=False),
        sa.Column("original_end_on", sa.Date(), nullable=False),
        sa.Column("excellent_deadline_on", sa.Date(), nullable=True),
        sa.Column(
            "has_resubmission_service",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
        sa.Column("pass_average", sa.Integer(), server_default="60", nullable=False),
        sa.Column("excellent_average", sa.Integer(), server_default="90", nullable=False),
        sa.Column("excellent_minimum", sa.Integer(), server_default="70", nullable=False),
        sa.Column("pass_mark", sa.Integer(), server_default="60", nullable=False),
        sa.Column("question_quota", sa.Integer(), server_default="6", nullable=False),
        sa.Column(
            "recipient",
            sa.Enum(
                "learner",
                "training_manager",
                "department_manager",
                "both_managers",
                name="enrollment_recipient",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("training_manager_user_id", sa.Uuid(), nullable=True),
        sa.Column("department_manager_user_id", sa.Uuid(), nullable=True),
        sa.Column("shipped_on", sa.Date(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column(
            "completion_status",
            sa.Enum(
                "pending",
                "completed",
                "excellent",
                "not_completed",
                name="completion_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("re_enrollment_of_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("leave_months", sa.Integer(), server_default="0", nullable=False),
        sa.Column("leave_reason", sa.String(length=40), nullable=True),
        sa.Column("leave_note", sa.Text(), nullable=True),
        sa.Column("leave_proof_key", sa.String(length=300), nullable=True),
        sa.Column("leave_requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("leave_granted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reminded_on", sa.Date(), nullable=True),
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
            "leave_months BETWEEN 0 AND 6", name=op.f("ck_enrollment_leave_months_in_range")
        ),
        sa.CheckConstraint(
            "pass_average BETWEEN 0 AND 100 AND excellent_average BETWEEN 0 AND 100 AND excellent_minimum BETWEEN 0 AND 100 AND pass_mark BETWEEN 0 AND 100",
            name=op.f("ck_enrollment_thresholds_in_range"),
        ),
        sa.CheckConstraint(
            "start_on <= enrollment_end_on", name=op.f("ck_enrollment_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["applied_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_enrollment_applied_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_enrollment_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["department_manager_user_id"],
            ["user_account.id"],
            name=op.f("fk_enrollment_department_manager_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["leave_requested_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_enrollment_leave_requested_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_order.id"],
            name=op.f("fk_enrollment_order_id_payment_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_enrollment_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["re_enrollment_of_id"],
            ["enrollment.id"],
            name=op.f("fk_enrollment_re_enrollment_of_id_enrollment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["training_manager_user_id"],
            ["user_account.id"],
            name=op.f("fk_enrollment_training_manager_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_enrollment_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment")),
    )
    op.create_index("ix_enrollment_course_id", "enrollment", ["course_id"], unique=False)
    op.create_index(
        "ix_enrollment_organization_id", "enrollment", ["organization_id"], unique=False
    )
    op.create_index(
        "ix_enrollment_status_enrollment_end_on",
        "enrollment",
        ["status", "enrollment_end_on"],
        unique=False,
    )
    op.create_index(
        "ix_enrollment_user_id_start_on", "enrollment", ["user_id", "start_on"], unique=False
    )
    op.create_index(
        "uq_enrollment_re_enrollment_of_id",
        "enrollment",
        ["re_enrollment_of_id"],
        unique=True,
        postgresql_where=sa.text("re_enrollment_of_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_enrollment_re_enrollment_of_id",
        table_name="enrollment",
        postgresql_where=sa.text("re_enrollment_of_id IS NOT NULL"),
    )
    op.drop_index("ix_enrollment_user_id_start_on", table_name="enrollment")
    op.drop_index("ix_enrollment_status_enrollment_end_on", table_name="enrollment")
    op.drop_index("ix_enrollment_organization_id", table_name="enrollment")
    op.drop_index("ix_enrollment_course_id", table_name="enrollment")
    op.drop_table("enrollment")
    op.drop_index("uq_correspondence_settings_course_id", table_name="correspondence_settings")
    op.drop_table("correspondence_settings")
