"""learning progress: lesson progress, progress event ids, self-check tests (R-PRG-1/2/5/6)

Revision ID: 0005_progress
Revises: 0004_events
Create Date: 2026-11-23 11:00:00

Needs PostgreSQL 14+ (`int4multirange` for watched intervals).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_progress"
down_revision: str | None = "0004_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lesson_progress",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("position_ms", sa.Integer(), server_default="0", nullable=False),
        sa.Column("position_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("furthest_ms", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "watched_ranges",
            postgresql.INT4MULTIRANGE(),
            server_default=sa.text("'{}'::int4multirange"),
            nullable=False,
        ),
        sa.Column("watched_ms", sa.Integer(), server_default="0", nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "completion_source",
            sa.Enum(
                "watched", "marked", "test", name="completion_source", native_enum=False, length=32
            ),
            nullable=True,
        ),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
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
            "(completed_at IS NULL) = (completion_source IS NULL)",
            name=op.f("ck_lesson_progress_completion_source_iff_completed"),
        ),
        sa.CheckConstraint(
            "position_ms >= 0 AND furthest_ms >= 0 AND watched_ms >= 0",
            name=op.f("ck_lesson_progress_ms_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_lesson_progress_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lesson.id"],
            name=op.f("fk_lesson_progress_lesson_id_lesson"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_lesson_progress_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_progress")),
    )
    op.create_index(
        "ix_lesson_progress_course_id_user_id",
        "lesson_progress",
        ["course_id", "user_id"],
        unique=False,
    )
    op.create_index("ix_lesson_progress_lesson_id", "lesson_progress", ["lesson_id"], unique=False)
    op.create_index(
        "uq_lesson_progress_user_id_lesson_id",
        "lesson_progress",
        ["user_id", "lesson_id"],
        unique=True,
    )
    op.create_table(
        "progress_event",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_progress_event_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_progress_event_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "event_id", name=op.f("pk_progress_event")),
    )
    op.create_index(
        "ix_progress_event_course_id_user_id",
        "progress_event",
        ["course_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "quiz_attempt",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correct_count", sa.Integer(), nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
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
            "question_count > 0 AND correct_count >= 0 AND correct_count <= question_count",
            name=op.f("ck_quiz_attempt_counts_consistent"),
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_quiz_attempt_score_range")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_quiz_attempt_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lesson.id"],
            name=op.f("fk_quiz_attempt_lesson_id_lesson"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_quiz_attempt_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempt")),
    )
    op.create_index(
        "ix_quiz_attempt_course_id_user_id", "quiz_attempt", ["course_id", "user_id"], unique=False
    )
    op.create_index("ix_quiz_attempt_lesson_id", "quiz_attempt", ["lesson_id"], unique=False)
    op.create_index(
        "ix_quiz_attempt_user_id_lesson_id_submitted_at",
        "quiz_attempt",
        ["user_id", "lesson_id", "submitted_at", "id"],
        unique=False,
    )
    op.create_table(
        "quiz_question",
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), server_default="", nullable=False),
        sa.Column("allows_multiple", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
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
            ["lesson_id"],
            ["lesson.id"],
            name=op.f("fk_quiz_question_lesson_id_lesson"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_question")),
    )
    op.create_index(
        "ix_quiz_question_lesson_id_position",
        "quiz_question",
        ["lesson_id", "position"],
        unique=False,
    )
    op.create_table(
        "quiz_attempt_answer",
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("selected_choice_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["quiz_attempt.id"],
            name=op.f("fk_quiz_attempt_answer_attempt_id_quiz_attempt"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["quiz_question.id"],
            name=op.f("fk_quiz_attempt_answer_question_id_quiz_question"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("attempt_id", "question_id", name=op.f("pk_quiz_attempt_answer")),
    )
    op.create_index(
        "ix_quiz_attempt_answer_question_id", "quiz_attempt_answer", ["question_id"], unique=False
    )
    op.create_table(
        "quiz_choice",
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
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
            ["question_id"],
            ["quiz_question.id"],
            name=op.f("fk_quiz_choice_question_id_quiz_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_choice")),
    )
    op.create_index(
        "uq_quiz_choice_question_id_position",
        "quiz_choice",
        ["question_id", "position"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_quiz_choice_question_id_position", table_name="quiz_choice")
    op.drop_table("quiz_choice")
    op.drop_index("ix_quiz_attempt_answer_question_id", table_name="quiz_attempt_answer")
    op.drop_table("quiz_attempt_answer")
    op.drop_index("ix_quiz_question_lesson_id_position", table_name="quiz_question")
    op.drop_table("quiz_question")
    op.drop_index("ix_quiz_attempt_user_id_lesson_id_submitted_at", table_name="quiz_attempt")
    op.drop_index("ix_quiz_attempt_lesson_id", table_name="quiz_attempt")
    op.drop_index("ix_quiz_attempt_course_id_user_id", table_name="quiz_attempt")
    op.drop_table("quiz_attempt")
    op.drop_index("ix_progress_event_course_id_user_id", table_name="progress_event")
    op.drop_table("progress_event")
    op.drop_index("uq_lesson_progress_user_id_lesson_id", table_name="lesson_progress")
    op.drop_index("ix_lesson_progress_lesson_id", table_name="lesson_progress")
    op.drop_index("ix_lesson_progress_course_id_user_id", table_name="lesson_progress")
    op.drop_table("lesson_progress")
