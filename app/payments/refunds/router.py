"""Refund HTTP API (R-REF-1…11). HTTP only; decisions live in `service` and `quotes`.

- Member: `GET /api/v1/me/purchases/{id}/refund-quote` shows what a refund requested today
  would give back and why (rule, inputs, each fee, cash and points parts); only for the caller's
  own purchases (another member's is not found). `GET /api/v1/me/purchases/{id}/refund` shows
  an executed refund.
- Staff: the same quote for any purchase; `POST /api/v1/admin/purchases/{id}/refund` executes
  it (recomputed on the day, exactly once, Idempotency-Key honoured, audited, member emailed);
  `GET /api/v1/admin/purchases/{id}/refund` reads it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.auth.auth import CurrentStaff, CurrentUser
from app.db import DbSession
from app.kit.clock import Now
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.request_context import Client
from app.models.commerce import Purchase, PurchaseRefund
from app.payments.errors import PaymentProviderUnavailable
from app.payments.purchases import repository as purchases
from app.payments.purchases.deps import AppSettings, Provider
from app.payments.purchases.errors import (
    PurchaseNotFound,
    PurchaseNotPaid,
)
from app.payments.purchases.openapi import TAG, created, problems
from app.payments.refunds import repository, service
from app.payments.refunds.errors import (
    GoodsNotReturned,
    GoodsRequestInvalid,
    ProviderRefusedRefund,
    PurchaseAlreadyRefunded,
    RefundNotAllowed,
    RefundQuoteUnavailable,
)
from app.payments.refunds.schemas import (
    GoodsConditions,
    RefundExecute,
    RefundOut,
    RefundQuoteOut,
)
from app.payments.rules.goods import GoodsRefundReason

router = APIRouter(tags=[TAG])

QUOTE_ERRORS = (
    PurchaseNotFound,
    PurchaseNotPaid,
    PurchaseAlreadyRefunded,
    RefundQuoteUnavailable,
    GoodsRequestInvalid,
)
QUOTE_DESCRIPTION = (
    "Computed for a request made today (JST) with the rules of SPEC §8: the rule that decides "
    "(R-REF-1…5; R-REF-7 when refused; R-REF-8 for goods), the inputs L, P (cash and points), "
    "N, W (lectures started or whose material was downloaded), T, E, each fee (lecture, period, "
    "penalty, bonus items, refund cost), and the refund split into cash (back to Amazon Pay) and "
    "points (back as points, R-REF-10); the lines add up (R-REF-11). Certificates are not issued "
    "by the platform yet, so `certificate_issued` is false."
)


def _quote_options(
    bonus_items_returned: Annotated[
        bool, Query(description="Every bonus item is returned (else deducted, R-REF-6).")
    ] = False,
    goods_reason: Annotated[
        GoodsRefundReason, Query(description="Goods only (R-REF-8).")
    ] = GoodsRefundReason.change_of_mind,
    discovered_on: Annotated[
        date | None, Query(description="Goods not as described: the day it was found.")
    ] = None,
) -> tuple[bool, GoodsConditions]:
    return bonus_items_returned, GoodsConditions(reason=goods_reason, discovered_on=discovered_on)


QuoteOptions = Annotated[tuple[bool, GoodsConditions], Depends(_quote_options)]


async def _refund_out(session: DbSession, refund: PurchaseRefund) -> RefundOut:
    order = (await purchases.orders_by_id(session, [refund.order_id]))[refund.order_id]
    grant = await repository.points_grant(session, refund.points_grant_id)
    return RefundOut(
        id=refund.id,
        purchase_id=refund.purchase_id,
        order_id=refund.order_id,
        order_number=order.order_number,
        order_status=order.status,
        status=refund.status,
        rule=refund.rule,
        cash_jpy=refund.cash_jpy,
        points=refund.points,
        points_expires_on=grant.expires_on if grant is not None else None,
        reason=refund.reason,
        bonus_items_returned=refund.bonus_items_returned,
        requested_on=refund.requested_on,
        executed_at=refund.executed_at,
        executed_by_user_id=refund.executed_by_user_id,
        provider_refund_id=refund.provider_refund_id,
        provider_state=refund.provider_state,
        refunded_at=refund.refunded_at,
        due_by_on=refund.due_by_on,
        quote=RefundQuoteOut.model_validate(refund.quote),
    )


@router.get(
    "/me/purchases/{purchase_id}/refund-quote",
    operation_id="payments_get_my_refund_quote",
    summary="What a refund of my purchase would give back",
    description=QUOTE_DESCRIPTION + " Your own purchases only.",
    responses=problems(*QUOTE_ERRORS),
)
async def get_my_refund_quote(
    purchase_id: uuid.UUID,
    options: QuoteOptions,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> RefundQuoteOut:
    bonus_items_returned, goods = options
    return await service.member_quote(
        session,
        user_id=subject.require_user().id,
        purchase_id=purchase_id,
        now=now,
        refund_cost_jpy=settings.purchase_refund_cost_jpy,
        bonus_items_returned=bonus_items_returned,
        goods=goods,
    )


@router.get(
    "/me/purchases/{purchase_id}/refund",
    operation_id="payments_get_my_purchase_refund",
    summary="The refund of my purchase",
    description="Your own purchases only; not found until a refund was executed.",
    responses=problems(PurchaseNotFound),
)
async def get_my_purchase_refund(
    purchase_id: uuid.UUID, subject: CurrentUser, session: DbSession
) -> RefundOut:
    purchase = await purchases.member_purchase(session, subject.require_user().id, purchase_id)
    if purchase is None:
        raise PurchaseNotFound()
    return await _refund_out(session, await service.refund_of(session, purchase))


@router.get(
    "/admin/purchases/{purchase_id}/refund-quote",
    operation_id="payments_get_refund_quote",
    summary="Quote the refund of a purchase",
    description="Staff. " + QUOTE_DESCRIPTION,
    responses=problems(*QUOTE_ERRORS),
)
async def get_refund_quote(
    purchase_id: uuid.UUID,
    options: QuoteOptions,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> RefundQuoteOut:
    bonus_items_returned, goods = options
    return await service.staff_quote(
        session,
        purchase_id=purchase_id,
        now=now,
        refund_cost_jpy=settings.purchase_refund_cost_jpy,
        bonus_items_returned=bonus_items_returned,
        goods=goods,
    )


@router.post(
    "/admin/purchases/{purchase_id}/refund",
    operation_id="payments_refund_purchase",
    summary="Refund a purchase",
    description="Staff. Recomputes the quote on the day (R-REF-11) and refuses what the rules "
    "refuse (R-REF-7, R-REF-8) without changing anything. Exactly once per purchase, also under "
    "retries and concurrent requests: the cash part goes back through Amazon Pay with a stored "
    "idempotency key (R-REF-9), the points part comes back as points (R-REF-10), access ends, "
    "the order shows the refunded amounts, the refund is audited (R-ID-12) and the member is "
    "emailed. Shipped goods must have come back first.",
    status_code=201,
    responses=created(
        *IDEMPOTENCY_ERRORS,
        *QUOTE_ERRORS,
        RefundNotAllowed,
        GoodsNotReturned,
        ProviderRefusedRefund,
        PaymentProviderUnavailable,
    ),
)
@idempotent(status_code=201)
async def refund_purchase(
    purchase_id: uuid.UUID,
    body: RefundExecute,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    provider: Provider,
    settings: AppSettings,
    response: Response,
) -> RefundOut:
    refund = await service.execute_refund(
        session,
        provider,
        purchase_id=purchase_id,
        body=body,
        actor_id=subject.user_id,
        refund_cost_jpy=settings.purchase_refund_cost_jpy,
        now=now,
        client=client,
    )
    response.headers["Location"] = f"/api/v1/admin/purchases/{purchase_id}/refund"
    return await _refund_out(session, refund)


@router.get(
    "/admin/purchases/{purchase_id}/refund",
    operation_id="payments_get_purchase_refund",
    summary="Read the refund of a purchase",
    description="Staff. Not found until a refund was executed.",
    responses=problems(PurchaseNotFound),
)
async def get_purchase_refund(
    purchase_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> RefundOut:
    purchase = await session.get(Purchase, purchase_id)
    if purchase is None:
        raise PurchaseNotFound()
    return await _refund_out(session, await service.refund_of(session, purchase))
