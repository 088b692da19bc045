"""Order history and detail (R-SUB-9): the order detail is the member's record; no receipts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models.payment import OrderKind, OrderStatus


class OrderLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    description: str
    quantity: int
    unit_price_jpy: int
    amount_jpy: int


class OrderSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_number: str = Field(description="注文番号: quote it to the support office.")
    kind: OrderKind
    status: OrderStatus
    title: str
    total_jpy: int = Field(description="Tax-inclusive total.")
    currency: Literal["JPY"] = "JPY"
    created_at: datetime
    paid_at: datetime | None


class OrderOut(OrderSummaryOut):
    cash_jpy: int = Field(description="Paid through Amazon Pay.")
    points_used: int = Field(description="Paid with points (1 point = ¥1; never cash).")
    tax_included_jpy: int = Field(description="Consumption tax contained in the total (10%).")
    refunded_cash_jpy: int
    refunded_points: int
    payment_method: Literal["amazon_pay", "points", "none"]
    failed_reason: str | None
    period_start_on: date | None = Field(description="For membership charges: first day paid.")
    period_end_on: date | None = Field(description="For membership charges: last day paid.")
    lines: list[OrderLineOut]
