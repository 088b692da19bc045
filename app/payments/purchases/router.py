"""Purchase HTTP API (SPEC §8, R-SUB-9, R-REF-10). HTTP only; decisions live in `service`.

Member flow: `POST /api/v1/me/purchases` {product_id, points_to_use} (Idempotency-Key) answers
201 with the pending purchase and `redirect_url` (Amazon Pay); after the buyer approved there,
`POST /api/v1/me/purchases/{id}/complete` settles it (`active` with the access window, or
`failed` when declined, points given back). Paid entirely by points, the purchase is `active`
at once. `POST .../cancel` abandons a pending checkout. Another member's purchase is not found.

Staff: read any purchase, list a member's purchases, record goods shipment/receipt/return.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.auth.auth import CurrentStaff, CurrentUser
from app.auth.errors import UserNotFound
from app.config import Settings
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.pagination import Page, PageQuery, paginate
from app.models.commerce import Purchase
from app.models.user import User
from app.payments.errors import PaymentProviderUnavailable
from app.payments.points.errors import InsufficientPoints
from app.payments.products.errors import ProductNotFound
from app.payments.purchases import delivery, repository, service
from app.payments.purchases.deps import AppSettings, Provider
from app.payments.purchases.errors import (
    CheckoutNotApproved,
    DeliveryDatesInvalid,
    ExtensionTargetMissing,
    NotGoods,
    PointsExceedPrice,
    ProductAlreadyPurchased,
    PurchaseInProgress,
    PurchaseNotFound,
    PurchaseNotPaid,
    PurchaseNotPending,
)
from app.payments.purchases.openapi import TAG, created, problems
from app.payments.purchases.schemas import DeliveryUpdate, PurchaseCreate, PurchaseOut

router = APIRouter(tags=[TAG])

ORDER = [Purchase.created_at, Purchase.id]


async def _page(
    session: DbSession, user_id: uuid.UUID, page: PageQuery, now: Now
) -> Page[PurchaseOut]:
    rows, next_cursor = await paginate(
        session, repository.readable_by(user_id), order_by=ORDER, descending=True, params=page
    )
    orders = await repository.orders_by_id(session, [row.order_id for row in rows])
    return Page[PurchaseOut](
        items=[PurchaseOut.of(row, orders[row.order_id], now=now) for row in rows],
        next_cursor=next_cursor,
    )


def _return_url(settings: Settings) -> str:
    return settings.payment_checkout_return_url


@router.post(
    "/me/purchases",
    operation_id="payments_create_purchase",
    summary="Buy a product",
    description="Starts a purchase: a pending order (注文番号, R-SUB-9) and the points spent at "
    "once, earliest expiry first (R-REF-10). Answers with `redirect_url` to approve the cash "
    "part on Amazon Pay, or `active` at once when points pay it all. A product whose purchase is "
    "still live cannot be bought again; an extension needs a live purchase to extend.",
    status_code=201,
    responses=created(
        *IDEMPOTENCY_ERRORS,
        ProductNotFound,
        PointsExceedPrice,
        InsufficientPoints,
        ProductAlreadyPurchased,
        PurchaseInProgress,
        ExtensionTargetMissing,
        PaymentProviderUnavailable,
    ),
)
@idempotent(status_code=201)
async def create_purchase(
    body: PurchaseCreate,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    provider: Provider,
    settings: AppSettings,
    response: Response,
) -> PurchaseOut:
    purchase, order = await service.start_purchase(
        session,
        provider,
        user_id=subject.require_user().id,
        product_id=body.product_id,
        points_to_use=body.points_to_use,
        return_url=_return_url(settings),
        now=now,
    )
    response.headers["Location"] = f"/api/v1/me/purchases/{purchase.id}"
    return PurchaseOut.of(purchase, order, now=now)


@router.get(
    "/me/purchases",
    operation_id="payments_list_my_purchases",
    summary="My purchases",
    description="The caller's purchases, newest first.",
    responses=problems(InvalidCursor),
)
async def list_my_purchases(
    subject: CurrentUser, session: DbSession, page: PageQuery, now: Now
) -> Page[PurchaseOut]:
    return await _page(session, subject.require_user().id, page, now)


@router.get(
    "/me/purchases/{purchase_id}",
    operation_id="payments_get_my_purchase",
    summary="One of my purchases",
    description="Another member's purchase is not found.",
    responses=problems(PurchaseNotFound),
)
async def get_my_purchase(
    purchase_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> PurchaseOut:
    purchase, order = await service.member_purchase(
        session, user_id=subject.require_user().id, purchase_id=purchase_id
    )
    return PurchaseOut.of(purchase, order, now=now)


@router.post(
    "/me/purchases/{purchase_id}/complete",
    operation_id="payments_complete_purchase",
    summary="Complete a purchase after Amazon Pay",
    description="After the buyer approved on Amazon Pay: the charge is made and read. Captured → "
    "`active` with the access window (start + T − 1, JST) and access granted; declined → "
    "`failed` and the points given back. Completing a paid purchase again answers it unchanged.",
    responses=problems(
        *IDEMPOTENCY_ERRORS,
        PurchaseNotFound,
        PurchaseNotPending,
        CheckoutNotApproved,
        PaymentProviderUnavailable,
    ),
)
@idempotent(status_code=200)
async def complete_purchase(
    purchase_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now, provider: Provider
) -> PurchaseOut:
    purchase, order = await service.complete_purchase(
        session, provider, user_id=subject.require_user().id, purchase_id=purchase_id, now=now
    )
    return PurchaseOut.of(purchase, order, now=now)


@router.post(
    "/me/purchases/{purchase_id}/cancel",
    operation_id="payments_cancel_purchase",
    summary="Abandon a pending purchase",
    description="Only while pending: the order is canceled and the points come back (R-REF-10).",
    responses=problems(PurchaseNotFound, PurchaseNotPending),
)
async def cancel_purchase(
    purchase_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> PurchaseOut:
    purchase, order = await service.cancel_purchase(
        session, user_id=subject.require_user().id, purchase_id=purchase_id, now=now
    )
    return PurchaseOut.of(purchase, order, now=now)


# --- Staff ----------------------------------------------------------------------------------------


@router.get(
    "/admin/purchases/{purchase_id}",
    operation_id="payments_get_purchase",
    summary="Read a purchase",
    description="Staff.",
    responses=problems(PurchaseNotFound),
)
async def get_purchase(
    purchase_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now
) -> PurchaseOut:
    purchase, order = await service.any_purchase(session, purchase_id)
    return PurchaseOut.of(purchase, order, now=now)


@router.get(
    "/admin/users/{user_id}/purchases",
    operation_id="payments_list_member_purchases",
    summary="A member's purchases",
    description="Staff. Newest first.",
    responses=problems(UserNotFound, InvalidCursor),
)
async def list_member_purchases(
    user_id: uuid.UUID, subject: CurrentStaff, session: DbSession, page: PageQuery, now: Now
) -> Page[PurchaseOut]:
    if await session.get(User, user_id) is None:
        raise UserNotFound()
    return await _page(session, user_id, page, now)


@router.patch(
    "/admin/purchases/{purchase_id}/delivery",
    operation_id="payments_record_delivery",
    summary="Record goods shipment, receipt or return",
    description="Staff. Physical goods only (R-REF-8 counts from these days): shipped ≤ "
    "received ≤ returned, none in the future.",
    responses=problems(PurchaseNotFound, NotGoods, PurchaseNotPaid, DeliveryDatesInvalid),
)
async def record_delivery(
    purchase_id: uuid.UUID,
    body: DeliveryUpdate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
) -> PurchaseOut:
    await delivery.record_delivery(session, purchase_id=purchase_id, body=body, now=now)
    purchase, order = await service.any_purchase(session, purchase_id)
    return PurchaseOut.of(purchase, order, now=now)
