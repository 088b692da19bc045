"""payments: membership subscription, charge attempts, orders, the provider notification inbox

R-SUB-1…11, R-SUB-9, R-PAY-2.

Revision ID: 0007_payments
Revises: 0006_media
Create Date: 2026-11-23 12:50:55.841354
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_payments"
down_revision: str | None = "0006_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("payment_order_number_seq")))
    op.create_table(
        "payment_notification",
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("topic_arn", sa.String(length=300), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("charge_permission_id", sa.String(length=100), nullable=True),
        sa.Column("notification_type", sa.String(length=40), nullable=False),
        sa.Column("notification_id", sa.String(length=100), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "processed",
                "ignored",
                "failed",
                name="payment_notification_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("deliveries", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_payment_notification")),
    )
    op.create_index(
        "ix_payment_notification_object_id", "payment_notification", ["object_id"], unique=False
    )
    op.create_index(
        "ix_payment_notification_status_received_at",
        "payment_notification",
        ["status", "received_at"],
        unique=False,
    )
    op.create_table(
        "payment_order",
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "subscription",
                "purchase",
                "re_enrollment",
                name="order_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "paid",
                "failed",
                "canceled",
                "partially_refunded",
                "refunded",
                name="order_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("total_jpy", sa.Integer(), nullable=False),
        sa.Column("cash_jpy", sa.Integer(), nullable=False),
        sa.Column("points_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tax_included_jpy", sa.Integer(), nullable=False),
        sa.Column("refunded_cash_jpy", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refunded_points", sa.Integer(), server_default="0", nullable=False),
        sa.Column("charge_permission_id", sa.String(length=100), nullable=True),
        sa.Column("provider_charge_id", sa.String(length=100), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_reason", sa.String(length=60), nullable=True),
        sa.Column("period_start_on", sa.Date(), nullable=True),
        sa.Column("period_end_on", sa.Date(), nullable=True),
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
            "cash_jpy + points_used = total_jpy", name=op.f("ck_payment_order_parts_add_up")
        ),
        sa.CheckConstraint(
            "cash_jpy >= 0 AND points_used >= 0", name=op.f("ck_payment_order_parts_not_negative")
        ),
        sa.CheckConstraint(
            "refunded_cash_jpy BETWEEN 0 AND cash_jpy AND refunded_points BETWEEN 0 AND points_used",
            name=op.f("ck_payment_order_refund_within_paid"),
        ),
        sa.CheckConstraint("total_jpy >= 0", name=op.f("ck_payment_order_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_payment_order_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_order")),
    )
    op.create_index(
        "ix_payment_order_user_id_created_at",
        "payment_order",
        ["user_id", "created_at", "id"],
        unique=False,
    )
    op.create_index("uq_payment_order_order_number", "payment_order", ["order_number"], unique=True)
    op.create_index(
        "uq_payment_order_provider_charge_id", "payment_order", ["provider_charge_id"], unique=True
    )
    op.create_table(
        "subscription",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "trialing",
                "active",
                "past_due",
                "unpaid",
                "canceled",
                name="subscription_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("price_jpy", sa.Integer(), nullable=False),
        sa.Column("checkout_session_id", sa.String(length=100), nullable=True),
        sa.Column("charge_permission_id", sa.String(length=100), nullable=True),
        sa.Column("provider_state", sa.String(length=40), nullable=True),
        sa.Column("provider_reason", sa.String(length=60), nullable=True),
        sa.Column("provider_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signup_on", sa.Date(), nullable=False),
        sa.Column("has_trial", sa.Boolean(), nullable=False),
        sa.Column("trial_last_on", sa.Date(), nullable=True),
        sa.Column("first_renewal_on", sa.Date(), nullable=False),
        sa.Column("anchor_day", sa.Integer(), nullable=False),
        sa.Column("renewal_cycle", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_renewal_on", sa.Date(), nullable=True),
        sa.Column("paid_through_on", sa.Date(), nullable=True),
        sa.Column("past_due_since_on", sa.Date(), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_retry_on", sa.Date(), nullable=True),
        sa.Column("unpaid_since_on", sa.Date(), nullable=True),
        sa.Column("payment_issue", sa.String(length=60), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("ended_reason", sa.String(length=40), nullable=True),
        sa.Column("trial_reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
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
            "anchor_day BETWEEN 1 AND 31", name=op.f("ck_subscription_anchor_day_in_month")
        ),
        sa.CheckConstraint("price_jpy >= 0", name=op.f("ck_subscription_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_subscription_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
    )
    op.create_index(
        "ix_subscription_status_next_renewal_on",
        "subscription",
        ["status", "next_renewal_on"],
        unique=False,
    )
    op.create_index(
        "uq_subscription_charge_permission_id",
        "subscription",
        ["charge_permission_id"],
        unique=True,
    )
    op.create_index(
        "uq_subscription_checkout_session_id", "subscription", ["checkout_session_id"], unique=True
    )
    op.create_index(
        "uq_subscription_live_user",
        "subscription",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'canceled'"),
    )
    op.create_table(
        "payment_order_line",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="1", nullable=False),
        sa.Column("unit_price_jpy", sa.Integer(), nullable=False),
        sa.Column("amount_jpy", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=True),
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
        sa.CheckConstraint("quantity > 0", name=op.f("ck_payment_order_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_order.id"],
            name=op.f("fk_payment_order_line_order_id_payment_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_order_line")),
    )
    op.create_index(
        "ix_payment_order_line_order_id",
        "payment_order_line",
        ["order_id", "position"],
        unique=False,
    )
    op.create_table(
        "subscription_charge",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("period_on", sa.Date(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("amount_jpy", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "captured",
                "declined",
                "failed",
                name="charge_attempt_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider_charge_id", sa.String(length=100), nullable=True),
        sa.Column("provider_state", sa.String(length=40), nullable=True),
        sa.Column("provider_reason", sa.String(length=60), nullable=True),
        sa.Column("provider_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=False),
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
        sa.CheckConstraint("amount_jpy > 0", name=op.f("ck_subscription_charge_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_order.id"],
            name=op.f("fk_subscription_charge_order_id_payment_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_subscription_charge_subscription_id_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_charge")),
    )
    op.create_index(
        "uq_subscription_charge_attempt",
        "subscription_charge",
        ["subscription_id", "period_on", "attempt"],
        unique=True,
    )
    op.create_index(
        "uq_subscription_charge_idempotency_key",
        "subscription_charge",
        ["idempotency_key"],
        unique=True,
    )
    op.create_index(
        "uq_subscription_charge_provider_charge_id",
        "subscription_charge",
        ["provider_charge_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_subscription_charge_provider_charge_id", table_name="subscription_charge")
    op.drop_index("uq_subscription_charge_idempotency_key", table_name="subscription_charge")
    op.drop_index("uq_subscription_charge_attempt", table_name="subscription_charge")
    op.drop_table("subscription_charge")
    op.drop_index("ix_payment_order_line_order_id", table_name="payment_order_line")
    op.drop_table("payment_order_line")
    op.drop_index(
        "uq_subscription_live_user",
        table_name="subscription",
        postgresql_where=sa.text("status <> 'canceled'"),
    )
    op.drop_index("uq_subscription_checkout_session_id", table_name="subscription")
    op.drop_index("uq_subscription_charge_permission_id", table_name="subscription")
    op.drop_index("ix_subscription_status_next_renewal_on", table_name="subscription")
    op.drop_table("subscription")
    op.drop_index("uq_payment_order_provider_charge_id", table_name="payment_order")
    op.drop_index("uq_payment_order_order_number", table_name="payment_order")
    op.drop_index("ix_payment_order_user_id_created_at", table_name="payment_order")
    op.drop_table("payment_order")
    op.drop_index("ix_payment_notification_status_received_at", table_name="payment_notification")
    op.drop_index("ix_payment_notification_object_id", table_name="payment_notification")
    op.drop_table("payment_notification")
    op.execute(sa.schema.DropSequence(sa.Sequence("payment_order_number_seq")))
