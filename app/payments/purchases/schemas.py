"""The contract of purchases (SPEC §8, R-SUB-9)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.kit.calendar import jst_date
from app.kit.schemas import ResponseSchema, Schema
from app.models.commerce import ProductKind, Purchase, PurchaseStatus
from app.models.payment import OrderStatus, PaymentOrder
from app.payments.products.schemas import BonusItemOut

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class PurchaseCreate(Schema):
    product_id: uuid.UUID
    points_to_use: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        strict=True,
        description="Points to spend (1 point = ¥1, at most the price); spent at once from the "
        "earliest expiry and given back if the checkout fails or is abandoned (R-REF-10).",
    )


class DeliveryOut(ResponseSchema):
    shipped_on: date | None
    received_on: date | None
    returned_on: date | None
    note: str | None


class PurchaseOut(ResponseSchema):
    id: uuid.UUID
    product_id: uuid.UUID
    kind: ProductKind
    title: str
    status: PurchaseStatus = Field(
        description="`pending` (waiting for the payment), `active` (paid), `failed` (declined), "
        "`canceled` (checkout abandoned), `refunded`."
    )
    order_id: uuid.UUID
    order_number: str = Field(description="注文番号 (R-SUB-9).")
    order_status: OrderStatus
    list_price_jpy: int = Field(description="L: tax-inclusive list price.")
    cash_jpy: int = Field(description="Paid (or to pay) through Amazon Pay.")
    points_used: int = Field(description="Paid with points.")
    currency: Literal["JPY"] = "JPY"
    refunded_cash_jpy: int
    refunded_points: int
    redirect_url: str | None = Field(
        description="While pending: where the buyer approves the payment on Amazon Pay."
    )
    paid_at: datetime | None
    paid_on: date | None = Field(description="JST payment day (day 0 of “within 7 days”).")
    access_starts_on: date | None
    access_ends_on: date | None = Field(
        description="Last day of access (start + T − 1, extensions included), JST."
    )
    extended_days: int
    extends_purchase_id: uuid.UUID | None = Field(description="For an extension: the purchase.")
    has_access: bool = Field(description="Access is open today.")
    base_access_days: int | None
    bonus_items: list[BonusItemOut]
    failed_reason: str | None
    refunded_at: datetime | None
    delivery: DeliveryOut | None = Field(description="Goods only: shipment and receipt dates.")
    created_at: datetime

    @classmethod
    def of(cls, purchase: Purchase, order: PaymentOrder, *, now: datetime) -> PurchaseOut:
        today = jst_date(now)
        has_access = (
            purchase.status is PurchaseStatus.active
            and purchase.access_starts_on is not None
            and purchase.access_ends_on is not None
            and purchase.access_starts_on <= today <= purchase.access_ends_on
        )
        delivery = None
        if purchase.kind is ProductKind.goods:
            delivery = DeliveryOut(
                shipped_on=purchase.shipped_on,
                received_on=purchase.received_on,
                returned_on=purchase.returned_on,
                note=purchase.delivery_note,
            )
        return cls(
            id=purchase.id,
            product_id=purchase.product_id,
            kind=purchase.kind,
            title=purchase.title,
            status=purchase.status,
            order_id=order.id,
            order_number=order.order_number,
            order_status=order.status,
            list_price_jpy=purchase.list_price_jpy,
            cash_jpy=order.cash_jpy,
            points_used=order.points_used,
            refunded_cash_jpy=order.refunded_cash_jpy,
            refunded_points=order.refunded_points,
            redirect_url=purchase.checkout_redirect_url
            if purchase.status is PurchaseStatus.pending
            else None,
            paid_at=purchase.paid_at,
            paid_on=purchase.paid_on,
            access_starts_on=purchase.access_starts_on,
            access_ends_on=purchase.access_ends_on,
            extended_days=purchase.extended_days,
            extends_purchase_id=purchase.extends_purchase_id,
            has_access=has_access,
            base_access_days=purchase.base_access_days,
            bonus_items=[BonusItemOut.model_validate(item) for item in purchase.bonus_items],
            failed_reason=purchase.failed_reason,
            refunded_at=purchase.refunded_at,
            delivery=delivery,
            created_at=purchase.created_at,
        )


class DeliveryUpdate(Schema):
    """Goods: staff record shipment, receipt and return (R-REF-8 counts from these days)."""

    shipped_on: date | None = None
    received_on: date | None = None
    returned_on: date | None = None
    note: Note | None = None
