"""Payments: the membership subscription, its charge attempts, orders and the provider's inbox.
R-SUB-1…11, R-SUB-9, R-PAY-2; PAYMENTS.md "Subscription state machine" and "Idempotency and
integrity".

- `Subscription`: one membership subscription of one member (¥980/month, R-SUB-1). Calendar
  fields are JST dates (`signup_on`, `trial_last_on`, `next_renewal_on`, …); the rules that
  move them live in `app.payments.rules.subscription`. A partial unique index allows one live
  (not canceled) subscription per member. `provider_state` / `provider_updated_at` mirror the
  charge permission, so a late notification never moves it backwards.
- `SubscriptionCharge`: one attempt to charge one period (`period_on` = the renewal day it pays
  for). The outgoing idempotency key is stored before the provider is called, so a retry after a
  timeout reuses it (`ren-…`); (subscription, period, attempt) is unique, so two renewal runs at
  once never create two attempts for the same try.
- `PaymentOrder` / `PaymentOrderLine`: every charge is an order with a human `order_number`
  (注文番号, R-SUB-9); no receipts are issued, the order detail is it. The table is not called
  `order` (a reserved word in SQL).
- `PaymentNotification`: the webhook inbox, keyed by the SNS `MessageId` (R-PAY-2).

The status enumeration is the pure rules' own (`app.payments.rules.subscription`), so the state
machine and the table speak the same values.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Model
from app.models.user import _enum
from app.payments.rules.subscription import SubscriptionStatus as SubscriptionStatus

LIVE_SUBSCRIPTION_STATUSES = (
    SubscriptionStatus.pending,
    SubscriptionStatus.trialing,
    SubscriptionStatus.active,
    SubscriptionStatus.past_due,
    SubscriptionStatus.unpaid,
)


class ChargeAttemptStatus(StrEnum):
    pending = "pending"  # key stored, provider not answered yet (or answer lost)
    captured = "captured"
    declined = "declined"
    failed = "failed"  # the provider could not be reached; retried with the same key


class OrderKind(StrEnum):
    subscription = "subscription"  # a membership charge (R-SUB-9)
    purchase = "purchase"  # a one-off product (R-REF)
    re_enrollment = "re_enrollment"  # the ¥4,400 re-enrollment fee (R-ENR-16)


class OrderStatus(StrEnum):
    pending = "pending"  # waiting for the provider
    paid = "paid"
    failed = "failed"  # declined; kept for the member's history
    canceled = "canceled"
    partially_refunded = "partially_refunded"
    refunded = "refunded"


class NotificationStatus(StrEnum):
    received = "received"
    processed = "processed"
    ignored = "ignored"  # verified but about nothing of ours (e.g. another integration's object)
    failed = "failed"  # processing raised; the job retries


class Subscription(Model):
    __tablename__ = "subscription"
    __table_args__ = (
        Index(
            "uq_subscription_live_user",
            "user_id",
            unique=True,
            postgresql_where=text("status <> 'canceled'"),
        ),
        Index("uq_subscription_charge_permission_id", "charge_permission_id", unique=True),
        Index("uq_subscription_checkout_session_id", "checkout_session_id", unique=True),
        Index("ix_subscription_status_next_renewal_on", "status", "next_renewal_on"),
        CheckConstraint("price_jpy >= 0", name="price_not_negative"),
        CheckConstraint("anchor_day BETWEEN 1 AND 31", name="anchor_day_in_month"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    status: Mapped[SubscriptionStatus] = mapped_column(
        _enum(SubscriptionStatus, "subscription_status")
    )
    price_jpy: Mapped[int] = mapped_column(Integer)
    checkout_session_id: Mapped[str | None] = mapped_column(String(100))
    charge_permission_id: Mapped[str | None] = mapped_column(String(100))
    provider_state: Mapped[str | None] = mapped_column(String(40))
    provider_reason: Mapped[str | None] = mapped_column(String(60))
    provider_updated_at: Mapped[datetime | None]
    signup_on: Mapped[date] = mapped_column(Date)
    has_trial: Mapped[bool]
    trial_last_on: Mapped[date | None] = mapped_column(Date)
    first_renewal_on: Mapped[date] = mapped_column(Date)
    anchor_day: Mapped[int] = mapped_column(Integer)
    renewal_cycle: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Index of the next renewal to charge (0 = the first renewal, R1)."""
    next_renewal_on: Mapped[date | None] = mapped_column(Date)
    paid_through_on: Mapped[date | None] = mapped_column(Date)
    """Last day covered by a captured charge (or the trial's last day)."""
    past_due_since_on: Mapped[date | None] = mapped_column(Date)
    retry_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_retry_on: Mapped[date | None] = mapped_column(Date)
    unpaid_since_on: Mapped[date | None] = mapped_column(Date)
    payment_issue: Mapped[str | None] = mapped_column(String(60))
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False, server_default="false")
    cancel_requested_at: Mapped[datetime | None]
    canceled_at: Mapped[datetime | None]
    ended_on: Mapped[date | None] = mapped_column(Date)
    ended_reason: Mapped[str | None] = mapped_column(String(40))
    trial_reminder_sent_at: Mapped[datetime | None]


class SubscriptionCharge(Model):
    __tablename__ = "subscription_charge"
    __table_args__ = (
        Index(
            "uq_subscription_charge_attempt",
            "subscription_id",
            "period_on",
            "attempt",
            unique=True,
        ),
        Index("uq_subscription_charge_idempotency_key", "idempotency_key", unique=True),
        Index("uq_subscription_charge_provider_charge_id", "provider_charge_id", unique=True),
        CheckConstraint("amount_jpy > 0", name="amount_positive"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE")
    )
    period_on: Mapped[date] = mapped_column(Date)
    attempt: Mapped[int] = mapped_column(Integer)
    amount_jpy: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[ChargeAttemptStatus] = mapped_column(
        _enum(ChargeAttemptStatus, "charge_attempt_status")
    )
    provider_charge_id: Mapped[str | None] = mapped_column(String(100))
    provider_state: Mapped[str | None] = mapped_column(String(40))
    provider_reason: Mapped[str | None] = mapped_column(String(60))
    provider_updated_at: Mapped[datetime | None]
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_order.id", ondelete="RESTRICT"))


order_number_sequence = Sequence("payment_order_number_seq", metadata=Base.metadata)


class PaymentOrder(Model):
    __tablename__ = "payment_order"
    __table_args__ = (
        Index("uq_payment_order_order_number", "order_number", unique=True),
        Index("uq_payment_order_provider_charge_id", "provider_charge_id", unique=True),
        Index("ix_payment_order_user_id_created_at", "user_id", "created_at", "id"),
        CheckConstraint("total_jpy >= 0", name="total_not_negative"),
        CheckConstraint("cash_jpy >= 0 AND points_used >= 0", name="parts_not_negative"),
        CheckConstraint("cash_jpy + points_used = total_jpy", name="parts_add_up"),
        CheckConstraint(
            "refunded_cash_jpy BETWEEN 0 AND cash_jpy AND refunded_points BETWEEN 0 AND points_used",
            name="refund_within_paid",
        ),
    )

    order_number: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    kind: Mapped[OrderKind] = mapped_column(_enum(OrderKind, "order_kind"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"))
    title: Mapped[str] = mapped_column(String(200))
    total_jpy: Mapped[int] = mapped_column(Integer)
    """Tax-inclusive price of the order (R-SUB-1: consumer prices include tax)."""
    cash_jpy: Mapped[int] = mapped_column(Integer)
    points_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tax_included_jpy: Mapped[int] = mapped_column(Integer)
    """The consumption tax contained in `total_jpy` (shown on the order detail)."""
    refunded_cash_jpy: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refunded_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    charge_permission_id: Mapped[str | None] = mapped_column(String(100))
    provider_charge_id: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime | None]
    failed_reason: Mapped[str | None] = mapped_column(String(60))
    period_start_on: Mapped[date | None] = mapped_column(Date)
    period_end_on: Mapped[date | None] = mapped_column(Date)

    lines: Mapped[list[PaymentOrderLine]] = relationship(
        lazy="raise", order_by="PaymentOrderLine.position"
    )


class PaymentOrderLine(Model):
    __tablename__ = "payment_order_line"
    __table_args__ = (
        Index("ix_payment_order_line_order_id", "order_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_order.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    unit_price_jpy: Mapped[int] = mapped_column(Integer)
    amount_jpy: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)


class PaymentNotification(Base):
    """The webhook inbox: one row per SNS MessageId (retries share it)."""

    __tablename__ = "payment_notification"
    __table_args__ = (
        Index("ix_payment_notification_status_received_at", "status", "received_at"),
        Index("ix_payment_notification_object_id", "object_id"),
    )

    message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    topic_arn: Mapped[str] = mapped_column(String(300))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(100))
    charge_permission_id: Mapped[str | None] = mapped_column(String(100))
    notification_type: Mapped[str] = mapped_column(String(40))
    notification_id: Mapped[str] = mapped_column(String(100))
    body: Mapped[dict[str, object]] = mapped_column(JSONB)
    """The verified envelope as received (kept for audits and replays)."""
    status: Mapped[NotificationStatus] = mapped_column(
        _enum(NotificationStatus, "payment_notification_status")
    )
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    deliveries: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    """How many times the provider delivered this message (duplicates are counted, not stored)."""
