"""commerce: products, purchases, the points ledger and purchase refunds

SPEC §8 (R-REF-1…11), R-SUB-9.

Revision ID: 0008_commerce
Revises: 0007_payments
Create Date: 2026-11-23 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_commerce"
down_revision: str | None = "0007_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product",
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "single_course",
                "package",
                "pass",
                "extension",
                "goods",
                name="product_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("list_price_jpy", sa.Integer(), nullable=False),
        sa.Column("base_access_days", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("content_set_id", sa.Uuid(), nullable=True),
        sa.Column("extends_product_id", sa.Uuid(), nullable=True),
        sa.Column(
            "bonus_items",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("is_copyable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
            "(kind = 'extension') = (extends_product_id IS NOT NULL)",
            name=op.f("ck_product_extends_product_id_iff_extension"),
        ),
        sa.CheckConstraint(
            "(kind = 'goods') = (base_access_days IS NULL)",
            name=op.f("ck_product_access_days_iff_not_goods"),
        ),
        sa.CheckConstraint(
            "(kind = 'single_course') = (course_id IS NOT NULL)",
            name=op.f("ck_product_course_id_iff_single_course"),
        ),
        sa.CheckConstraint(
            "(kind IN ('package', 'pass')) = (content_set_id IS NOT NULL)",
            name=op.f("ck_product_content_set_id_iff_package_or_pass"),
        ),
        sa.CheckConstraint(
            "base_access_days IS NULL OR base_access_days > 0",
            name=op.f("ck_product_access_days_positive"),
        ),
        sa.CheckConstraint("list_price_jpy >= 0", name=op.f("ck_product_list_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["content_set_id"],
            ["content_set.id"],
            name=op.f("fk_product_content_set_id_content_set"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_product_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["extends_product_id"],
            ["product.id"],
            name=op.f("fk_product_extends_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
    )
    op.create_index("ix_product_active", "product", ["is_active", "created_at", "id"], unique=False)
    op.create_index("uq_product_code", "product", ["code"], unique=True)
    op.create_table(
        "purchase",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "failed",
                "canceled",
                "refunded",
                name="purchase_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "single_course",
                "package",
                "pass",
                "extension",
                "goods",
                name="product_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("list_price_jpy", sa.Integer(), nullable=False),
        sa.Column("base_access_days", sa.Integer(), nullable=True),
        sa.Column(
            "bonus_items",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("is_copyable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("extends_purchase_id", sa.Uuid(), nullable=True),
        sa.Column("checkout_session_id", sa.String(length=100), nullable=True),
        sa.Column("checkout_idempotency_key", sa.String(length=32), nullable=True),
        sa.Column("checkout_redirect_url", sa.Text(), nullable=True),
        sa.Column("charge_permission_id", sa.String(length=100), nullable=True),
        sa.Column("provider_charge_id", sa.String(length=100), nullable=True),
        sa.Column("provider_state", sa.String(length=40), nullable=True),
        sa.Column("provider_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("access_starts_on", sa.Date(), nullable=True),
        sa.Column("access_ends_on", sa.Date(), nullable=True),
        sa.Column("extended_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_reason", sa.String(length=60), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_on", sa.Date(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column("delivery_note", sa.Text(), nullable=True),
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
            "access_ends_on IS NULL OR access_ends_on >= access_starts_on",
            name=op.f("ck_purchase_access_window_ordered"),
        ),
        sa.CheckConstraint(
            "extended_days >= 0", name=op.f("ck_purchase_extended_days_not_negative")
        ),
        sa.CheckConstraint("list_price_jpy >= 0", name=op.f("ck_purchase_list_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["extends_purchase_id"],
            ["purchase.id"],
            name=op.f("fk_purchase_extends_purchase_id_purchase"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_order.id"],
            name=op.f("fk_purchase_order_id_payment_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_purchase_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_purchase_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase")),
    )
    op.create_index(
        "ix_purchase_extends_purchase_id", "purchase", ["extends_purchase_id"], unique=False
    )
    op.create_index(
        "ix_purchase_pending_created_at",
        "purchase",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_purchase_user_id_created_at", "purchase", ["user_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_purchase_user_id_product_id", "purchase", ["user_id", "product_id"], unique=False
    )
    op.create_index(
        "uq_purchase_checkout_session_id", "purchase", ["checkout_session_id"], unique=True
    )
    op.create_index("uq_purchase_order_id", "purchase", ["order_id"], unique=True)
    op.create_index(
        "uq_purchase_provider_charge_id", "purchase", ["provider_charge_id"], unique=True
    )
    op.create_table(
        "point_grant",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "staff",
                "campaign",
                "refund",
                "restored",
                name="point_source",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("campaign_code", sa.String(length=100), nullable=True),
        sa.Column("granted_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("purchase_id", sa.Uuid(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.CheckConstraint("amount > 0", name=op.f("ck_point_grant_amount_positive")),
        sa.CheckConstraint(
            "remaining BETWEEN 0 AND amount", name=op.f("ck_point_grant_remaining_within_amount")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_point_grant_granted_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchase.id"],
            name=op.f("fk_point_grant_purchase_id_purchase"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_point_grant_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_grant")),
    )
    op.create_index(
        "ix_point_grant_user_id_expires_on",
        "point_grant",
        ["user_id", "expires_on", "id"],
        unique=False,
        postgresql_where=sa.text("remaining > 0"),
    )
    op.create_table(
        "point_ledger_entry",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "granted",
                "spent",
                "restored",
                "returned",
                name="point_entry_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("purchase_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.CheckConstraint("points <> 0", name=op.f("ck_point_ledger_entry_points_not_zero")),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["point_grant.id"],
            name=op.f("fk_point_ledger_entry_grant_id_point_grant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchase.id"],
            name=op.f("fk_point_ledger_entry_purchase_id_purchase"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_point_ledger_entry_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_ledger_entry")),
    )
    op.create_index(
        "ix_point_ledger_entry_grant_id", "point_ledger_entry", ["grant_id"], unique=False
    )
    op.create_index(
        "ix_point_ledger_entry_purchase_id", "point_ledger_entry", ["purchase_id"], unique=False
    )
    op.create_index(
        "ix_point_ledger_entry_user_id_occurred_at",
        "point_ledger_entry",
        ["user_id", "occurred_at", "id"],
        unique=False,
    )
    op.create_table(
        "purchase_refund",
        sa.Column("purchase_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "initiated",
                "refunded",
                "declined",
                name="purchase_refund_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("quote", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cash_jpy", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("bonus_items_returned", sa.Boolean(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("executed_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=32), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=100), nullable=True),
        sa.Column("provider_state", sa.String(length=40), nullable=True),
        sa.Column("provider_reason", sa.String(length=60), nullable=True),
        sa.Column("provider_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("points_grant_id", sa.Uuid(), nullable=True),
        sa.Column("due_by_on", sa.Date(), nullable=True),
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
            "cash_jpy >= 0 AND points >= 0", name=op.f("ck_purchase_refund_parts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["executed_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_purchase_refund_executed_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_order.id"],
            name=op.f("fk_purchase_refund_order_id_payment_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["points_grant_id"],
            ["point_grant.id"],
            name=op.f("fk_purchase_refund_points_grant_id_point_grant"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchase.id"],
            name=op.f("fk_purchase_refund_purchase_id_purchase"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_purchase_refund_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_refund")),
    )
    op.create_index("ix_purchase_refund_user_id", "purchase_refund", ["user_id"], unique=False)
    op.create_index(
        "uq_purchase_refund_idempotency_key", "purchase_refund", ["idempotency_key"], unique=True
    )
    op.create_index(
        "uq_purchase_refund_provider_refund_id",
        "purchase_refund",
        ["provider_refund_id"],
        unique=True,
    )
    op.create_index(
        "uq_purchase_refund_purchase_id", "purchase_refund", ["purchase_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_purchase_refund_purchase_id", table_name="purchase_refund")
    op.drop_index("uq_purchase_refund_provider_refund_id", table_name="purchase_refund")
    op.drop_index("uq_purchase_refund_idempotency_key", table_name="purchase_refund")
    op.drop_index("ix_purchase_refund_user_id", table_name="purchase_refund")
    op.drop_table("purchase_refund")
    op.drop_index("ix_point_ledger_entry_user_id_occurred_at", table_name="point_ledger_entry")
    op.drop_index("ix_point_ledger_entry_purchase_id", table_name="point_ledger_entry")
    op.drop_index("ix_point_ledger_entry_grant_id", table_name="point_ledger_entry")
    op.drop_table("point_ledger_entry")
    op.drop_index(
        "ix_point_grant_user_id_expires_on",
        table_name="point_grant",
        postgresql_where=sa.text("remaining > 0"),
    )
    op.drop_table("point_grant")
    op.drop_index("uq_purchase_provider_charge_id", table_name="purchase")
    op.drop_index("uq_purchase_order_id", table_name="purchase")
    op.drop_index("uq_purchase_checkout_session_id", table_name="purchase")
    op.drop_index("ix_purchase_user_id_product_id", table_name="purchase")
    op.drop_index("ix_purchase_user_id_created_at", table_name="purchase")
    op.drop_index(
        "ix_purchase_pending_created_at",
        table_name="purchase",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_purchase_extends_purchase_id", table_name="purchase")
    op.drop_table("purchase")
    op.drop_index("uq_product_code", table_name="product")
    op.drop_index("ix_product_active", table_name="product")
    op.drop_table("product")
