"""One-off commerce: products, purchases, the points ledger and purchase refunds.
R-SUB-9, R-REF-1…11 (SPEC §8, seed 003).

- `Product`: what the catalog sells one-off. `kind` says what a purchase opens: a single course
  (`course_id`), a package or a pass (a content set, `content_set_id`), a paid extension
  (`extends_product_id`: N = `base_access_days` more days on a purchase of that product) or
  physical goods (教材, no access period). Prices are tax-inclusive consumer prices (L).
  `bonus_items` (特典) are the items given with a package/pass/extension, each with its own list
  price (R-REF-6 deducts it when the item is not returned).
- `Purchase`: one member buying one product; it owns the pending `PaymentOrder` (R-SUB-9) and,
  once paid, the access window `access_starts_on … access_ends_on` (JST dates, both included)
  and the entitlement grants written with `source=purchase, source_ref=<purchase id>`. The
  product's terms are copied at purchase time (title, kind, list price, T, bonus items), so a
  later catalog edit never changes what was sold or how it is refunded.
- `PointGrant` / `PointLedgerEntry`: points are bonus money, never cash (R-REF-10). A grant holds
  `remaining` points usable through the end of `expires_on` (JST); spending takes from the
  earliest expiry first and writes one `spent` ledger entry per grant touched, which is what a
  return reads back (original expiries).
- `PurchaseRefund`: at most one per purchase (unique index), with the quote it executed
  (rule, fees, inputs) and the provider refund it created. The outgoing idempotency key is stored
  with the row and is deterministic (`ref-<purchase>-<n>`), so a retry after a rollback reuses it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model
from app.models.user import _enum


class ProductKind(StrEnum):
    single_course = "single_course"  # 単体講座
    package = "package"  # パッケージ
    pass_ = "pass"  # パス (certificates counted per course)
    extension = "extension"  # 有料延長商品
    goods = "goods"  # 物品 (教材), R-REF-8


ACCESS_KINDS = (ProductKind.single_course, ProductKind.package, ProductKind.pass_)
"""Kinds whose purchase opens content through its own grant."""


class PurchaseStatus(StrEnum):
    pending = "pending"  # order created, points held, waiting for the buyer and the provider
    active = "active"  # paid; access (or goods delivery) follows
    failed = "failed"  # the charge was declined; points came back
    canceled = "canceled"  # the checkout was abandoned; points came back
    refunded = "refunded"  # a refund was executed (R-REF)


class PointSource(StrEnum):
    staff = "staff"  # granted by hand with a reason (audited)
    campaign = "campaign"  # a campaign's bonus points
    refund = "refund"  # points coming back from a refunded purchase (R-REF-10)
    restored = "restored"  # points coming back from a checkout that failed or was abandoned


class PointEntryKind(StrEnum):
    granted = "granted"  # + a new grant (staff, campaign)
    spent = "spent"  # − taken from one grant by a purchase
    restored = "restored"  # + a failed/abandoned checkout gave the points back
    returned = "returned"  # + a refund gave the points back (R-REF-10)


class RefundStatus(StrEnum):
    initiated = "initiated"  # the provider refund was requested (RefundInitiated)
    refunded = "refunded"  # every part is back with the member
    declined = "declined"  # the provider declined the cash refund; staff must follow up


class Product(Model):
    __tablename__ = "product"
    __table_args__ = (
        Index("uq_product_code", "code", unique=True),
        Index("ix_product_active", "is_active", "created_at", "id"),
        CheckConstraint("list_price_jpy >= 0", name="list_price_not_negative"),
        CheckConstraint(
            "(kind = 'goods') = (base_access_days IS NULL)", name="access_days_iff_not_goods"
        ),
        CheckConstraint(
            "base_access_days IS NULL OR base_access_days > 0", name="access_days_positive"
        ),
        CheckConstraint(
            "(kind = 'single_course') = (course_id IS NOT NULL)",
            name="course_id_iff_single_course",
        ),
        CheckConstraint(
            "(kind IN ('package', 'pass')) = (content_set_id IS NOT NULL)",
            name="content_set_id_iff_package_or_pass",
        ),
        CheckConstraint(
            "(kind = 'extension') = (extends_product_id IS NOT NULL)",
            name="extends_product_id_iff_extension",
        ),
    )

    code: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ProductKind] = mapped_column(_enum(ProductKind, "product_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    list_price_jpy: Mapped[int] = mapped_column(Integer)
    """L: the tax-inclusive list price (定価)."""
    base_access_days: Mapped[int | None] = mapped_column(Integer)
    """T: the base access period in days (基本受講期間); for an extension, the days it adds."""
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("course.id", ondelete="RESTRICT")
    )
    content_set_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("content_set.id", ondelete="RESTRICT")
    )
    extends_product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT")
    )
    bonus_items: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    """[{"name": str, "list_price_jpy": int}] given with the product (特典, R-REF-6)."""
    is_copyable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """Goods that can be copied (DVD, software): a broken seal refuses the refund (R-REF-8)."""
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Purchase(Model):
    __tablename__ = "purchase"
    __table_args__ = (
        Index("uq_purchase_order_id", "order_id", unique=True),
        Index("uq_purchase_checkout_session_id", "checkout_session_id", unique=True),
        Index("uq_purchase_provider_charge_id", "provider_charge_id", unique=True),
        Index("ix_purchase_user_id_created_at", "user_id", "created_at", "id"),
        Index("ix_purchase_user_id_product_id", "user_id", "product_id"),
        Index("ix_purchase_extends_purchase_id", "extends_purchase_id"),
        Index(
            "ix_purchase_pending_created_at",
            "created_at",
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint("list_price_jpy >= 0", name="list_price_not_negative"),
        CheckConstraint("extended_days >= 0", name="extended_days_not_negative"),
        CheckConstraint(
            "access_ends_on IS NULL OR access_ends_on >= access_starts_on",
            name="access_window_ordered",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_order.id", ondelete="RESTRICT"))
    status: Mapped[PurchaseStatus] = mapped_column(_enum(PurchaseStatus, "purchase_status"))
    kind: Mapped[ProductKind] = mapped_column(_enum(ProductKind, "product_kind"))
    title: Mapped[str] = mapped_column(String(200))
    list_price_jpy: Mapped[int] = mapped_column(Integer)
    base_access_days: Mapped[int | None] = mapped_column(Integer)
    bonus_items: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    is_copyable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    extends_purchase_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase.id", ondelete="RESTRICT")
    )
    """For an extension: the purchase whose access it extends."""
    checkout_session_id: Mapped[str | None] = mapped_column(String(100))
    checkout_idempotency_key: Mapped[str | None] = mapped_column(String(32))
    checkout_redirect_url: Mapped[str | None] = mapped_column(Text)
    charge_permission_id: Mapped[str | None] = mapped_column(String(100))
    provider_charge_id: Mapped[str | None] = mapped_column(String(100))
    provider_state: Mapped[str | None] = mapped_column(String(40))
    provider_updated_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    paid_on: Mapped[date | None] = mapped_column(Date)
    """The JST payment day (day 0 of R-REF's "within 7 days")."""
    access_starts_on: Mapped[date | None] = mapped_column(Date)
    access_ends_on: Mapped[date | None] = mapped_column(Date)
    """Last JST day of access, extensions included (start + T − 1 + extended days)."""
    extended_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_reason: Mapped[str | None] = mapped_column(String(60))
    closed_at: Mapped[datetime | None]
    """When a pending purchase failed or was abandoned."""
    refunded_at: Mapped[datetime | None]
    shipped_on: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)
    delivery_note: Mapped[str | None] = mapped_column(Text)


class PointGrant(Model):
    __tablename__ = "point_grant"
    __table_args__ = (
        Index(
            "ix_point_grant_user_id_expires_on",
            "user_id",
            "expires_on",
            "id",
            postgresql_where=text("remaining > 0"),
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("remaining BETWEEN 0 AND amount", name="remaining_within_amount"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    source: Mapped[PointSource] = mapped_column(_enum(PointSource, "point_source"))
    amount: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    expires_on: Mapped[date] = mapped_column(Date)
    """Usable through the end of this JST day."""
    reason: Mapped[str | None] = mapped_column(Text)
    campaign_code: Mapped[str | None] = mapped_column(String(100))
    granted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    purchase_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase.id", ondelete="SET NULL")
    )
    """For returned or restored points: the purchase they came back from."""
    granted_at: Mapped[datetime]


class PointLedgerEntry(Model):
    __tablename__ = "point_ledger_entry"
    __table_args__ = (
        Index("ix_point_ledger_entry_user_id_occurred_at", "user_id", "occurred_at", "id"),
        Index("ix_point_ledger_entry_purchase_id", "purchase_id"),
        Index("ix_point_ledger_entry_grant_id", "grant_id"),
        CheckConstraint("points <> 0", name="points_not_zero"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[PointEntryKind] = mapped_column(_enum(PointEntryKind, "point_entry_kind"))
    points: Mapped[int] = mapped_column(Integer)
    """Signed: positive when points come in, negative when spent."""
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("point_grant.id", ondelete="CASCADE"))
    expires_on: Mapped[date] = mapped_column(Date)
    """The grant's expiry (for `spent`, the expiry the points had when spent)."""
    purchase_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("purchase.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]


class PurchaseRefund(Model):
    __tablename__ = "purchase_refund"
    __table_args__ = (
        Index("uq_purchase_refund_purchase_id", "purchase_id", unique=True),
        Index("uq_purchase_refund_idempotency_key", "idempotency_key", unique=True),
        Index("uq_purchase_refund_provider_refund_id", "provider_refund_id", unique=True),
        Index("ix_purchase_refund_user_id", "user_id"),
        CheckConstraint("cash_jpy >= 0 AND points >= 0", name="parts_not_negative"),
    )

    purchase_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase.id", ondelete="RESTRICT"))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_order.id", ondelete="RESTRICT"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    status: Mapped[RefundStatus] = mapped_column(_enum(RefundStatus, "purchase_refund_status"))
    rule: Mapped[str] = mapped_column(String(20))
    quote: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """The quote executed on `requested_on`: inputs, every fee, the breakdown lines."""
    cash_jpy: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    bonus_items_returned: Mapped[bool] = mapped_column(Boolean)
    requested_on: Mapped[date] = mapped_column(Date)
    executed_at: Mapped[datetime]
    executed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str] = mapped_column(String(32))
    provider_refund_id: Mapped[str | None] = mapped_column(String(100))
    provider_state: Mapped[str | None] = mapped_column(String(40))
    provider_reason: Mapped[str | None] = mapped_column(String(60))
    provider_updated_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    points_grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("point_grant.id", ondelete="SET NULL")
    )
    due_by_on: Mapped[date | None] = mapped_column(Date)
    """Physical goods: the refund is due within 5 business days of the return (R-REF-8)."""
