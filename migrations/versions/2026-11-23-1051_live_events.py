"""live events: webinars and workshops, registrations with wait list, webinar chat (R-CON-5, R-CON-6)

Revision ID: 0004_events
Revises: 0003_content
Create Date: 2026-11-23 10:51:19.119414
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_events"
down_revision: str | None = "0003_content"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column(
            "kind",
            sa.Enum("webinar", "workshop", name="event_kind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "delivery",
            sa.Enum("live", "recorded", name="event_delivery", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "published", "cancelled", name="event_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registration_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("minimum_headcount", sa.Integer(), nullable=True),
        sa.Column("join_url", sa.String(length=2000), nullable=True),
        sa.Column("recording_lesson_id", sa.Uuid(), nullable=True),
        sa.Column("recording_video_asset_id", sa.String(length=200), nullable=True),
        sa.Column("registered_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("waitlisted_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("queue_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=True),
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
            "delivery = 'recorded' OR (recording_lesson_id IS NULL AND recording_video_asset_id IS NULL)",
            name=op.f("ck_event_recording_only_when_recorded"),
        ),
        sa.CheckConstraint(
            "kind <> 'workshop' OR (delivery = 'live' AND capacity IS NOT NULL AND minimum_headcount IS NOT NULL)",
            name=op.f("ck_event_workshop_is_live_with_capacity"),
        ),
        sa.CheckConstraint(
            "capacity IS NULL OR capacity > 0", name=op.f("ck_event_capacity_positive")
        ),
        sa.CheckConstraint(
            "capacity IS NULL OR registered_count <= capacity",
            name=op.f("ck_event_registered_within_capacity"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_event_ends_after_start")),
        sa.CheckConstraint(
            "minimum_headcount IS NULL OR (minimum_headcount > 0 AND capacity IS NOT NULL AND minimum_headcount <= capacity)",
            name=op.f("ck_event_minimum_headcount_within_capacity"),
        ),
        sa.CheckConstraint(
            "registered_count >= 0", name=op.f("ck_event_registered_count_not_negative")
        ),
        sa.CheckConstraint(
            "registration_closes_at <= ends_at", name=op.f("ck_event_registration_closes_by_end")
        ),
        sa.CheckConstraint(
            "waitlisted_count >= 0", name=op.f("ck_event_waitlisted_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_event_created_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recording_lesson_id"],
            ["lesson.id"],
            name=op.f("fk_event_recording_lesson_id_lesson"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_index("ix_event_starts_at", "event", ["starts_at", "id"], unique=False)
    op.create_index(
        "ix_event_upcoming",
        "event",
        ["starts_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'published'"),
    )
    op.create_table(
        "event_chat_message",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
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
            "char_length(body) BETWEEN 1 AND 1000", name=op.f("ck_event_chat_message_body_length")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_chat_message_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_event_chat_message_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_chat_message")),
    )
    op.create_index(
        "ix_event_chat_message_event",
        "event_chat_message",
        ["event_id", "posted_at", "id"],
        unique=False,
    )
    op.create_table(
        "event_registration",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "registered",
                "waitlisted",
                "cancelled",
                name="event_registration_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("queue_seq", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "cancel_reason",
            sa.Enum(
                "member",
                "event_cancelled",
                name="event_registration_cancel_reason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
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
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
            name=op.f("ck_event_registration_cancelled_iff_time"),
        ),
        sa.CheckConstraint(
            "status <> 'registered' OR confirmed_at IS NOT NULL",
            name=op.f("ck_event_registration_registered_is_confirmed"),
        ),
        sa.CheckConstraint("queue_seq > 0", name=op.f("ck_event_registration_queue_seq_positive")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_registration_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_event_registration_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_registration")),
    )
    op.create_index(
        "ix_event_registration_user",
        "event_registration",
        ["user_id", "applied_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_event_registration_live",
        "event_registration",
        ["event_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.create_index(
        "uq_event_registration_queue", "event_registration", ["event_id", "queue_seq"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_event_registration_queue", table_name="event_registration")
    op.drop_index(
        "uq_event_registration_live",
        table_name="event_registration",
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.drop_index("ix_event_registration_user", table_name="event_registration")
    op.drop_table("event_registration")
    op.drop_index("ix_event_chat_message_event", table_name="event_chat_message")
    op.drop_table("event_chat_message")
    op.drop_index(
        "ix_event_upcoming", table_name="event", postgresql_where=sa.text("status = 'published'")
    )
    op.drop_index("ix_event_starts_at", table_name="event")
    op.drop_table("event")
