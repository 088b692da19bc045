"""Physical goods delivery (R-REF-8): staff record shipment, receipt and return days.

R-REF-8 counts from these days: a change-of-mind cancellation within 7 days of receipt, goods
not as described within 3 months of receipt, and the refund within 5 business days of the
return. Dates must follow each other (shipped ≤ received ≤ returned) and not be in the future.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.calendar import jst_date
from app.models.commerce import ProductKind, Purchase, PurchaseStatus
from app.payments.purchases import repository
from app.payments.purchases.errors import (
    DeliveryDatesInvalid,
    NotGoods,
    PurchaseNotFound,
    PurchaseNotPaid,
)
from app.payments.purchases.schemas import DeliveryUpdate


async def record_delivery(
    session: AsyncSession, *, purchase_id: uuid.UUID, body: DeliveryUpdate, now: datetime
) -> Purchase:
    purchase = await repository.purchase_for_update(session, purchase_id)
    if purchase is None:
        raise PurchaseNotFound()
    if purchase.kind is not ProductKind.goods:
        raise NotGoods()
    if purchase.status not in (PurchaseStatus.active, PurchaseStatus.refunded):
        raise PurchaseNotPaid(status=purchase.status.value)
    changes = body.model_dump(exclude_unset=True)
    shipped = changes.get("shipped_on", purchase.shipped_on)
    received = changes.get("received_on", purchase.received_on)
    returned = changes.get("returned_on", purchase.returned_on)
    today = jst_date(now)
    problems: dict[str, list[str]] = {}
    for name, day in (
        ("shipped_on", shipped),
        ("received_on", received),
        ("returned_on", returned),
    ):
        if day is not None and day > today:
            problems[f"body.{name}"] = ["in_the_future"]
    if received is not None and (shipped is None or received < shipped):
        problems["body.received_on"] = ["before_shipment"]
    if returned is not None and (received is None or returned < received):
        problems["body.returned_on"] = ["before_receipt"]
    if problems:
        raise DeliveryDatesInvalid(errors=problems)
    purchase.shipped_on, purchase.received_on, purchase.returned_on = shipped, received, returned
    if "note" in changes:
        purchase.delivery_note = changes["note"]
    await session.flush()
    return purchase
