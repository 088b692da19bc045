"""Membership subscription HTTP API for members (R-SUB-1…10). HTTP only.

Sign-up: `POST /api/v1/me/subscription/checkout` → send the buyer to `redirect_url` (Amazon
Pay) → back on the return URL (with `amazonCheckoutSessionId`), `POST
/api/v1/me/subscription/checkout/complete`. `GET /api/v1/me/subscription` says the status, access,
next renewal day and amount, and any payment issue with where to fix it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, status

from app.auth.auth import CurrentStaff, CurrentUser
from app.auth.errors import PERSON_AUTH_ERRORS
from app.config import Settings
from app.db import DbSession
from app.kit.calendar import jst_date
from app.kit.clock import Now
from app.kit.errors import ProblemError
from app.kit.i18n import negotiate_language
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.problems import problem_responses
from app.payments.deps import Provider
from app.payments.errors import PaymentProviderUnavailable
from app.payments.subscriptions import service
from app.payments.subscriptions.errors import (
    CheckoutNotApproved,
    CheckoutSessionMismatch,
    InitialChargeDeclined,
    NothingToCancel,
    NothingToResume,
    PaymentMethodNotChargeable,
    SubscriptionAlreadyExists,
    SubscriptionNotForOrganizations,
    SubscriptionNotFound,
)
from app.payments.subscriptions.presenter import present
from app.payments.subscriptions.schemas import (
    CheckoutStartOut,
    SubscriptionCheckoutCompleteIn,
    SubscriptionOut,
)

router = APIRouter(tags=["payments"])


def _language(request: Request) -> str:
    return negotiate_language(request.headers.get("accept-language"))


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


@router.get(
    "/me/subscription",
    operation_id="payments_get_subscription",
    summary="My membership subscription",
    description="Status, whether membership content is open now (R-SUB-10), trial end, last day "
    "of access, next renewal day and amount (¥980 tax included, R-SUB-1), and a payment issue "
    "with where to fix it (R-SUB-7). The live subscription, or the last one to show how it ended.",
    responses=problems(SubscriptionNotFound),
)
async def get_subscription(
    subject: CurrentUser, session: DbSession, now: Now, request: Request
) -> SubscriptionOut:
    subscription = await service.latest_subscription(session, subject.require_user().id)
    return present(subscription, today=jst_date(now), language=_language(request))


@router.post(
    "/me/subscription/checkout",
    status_code=status.HTTP_201_CREATED,
    operation_id="payments_start_subscription_checkout",
    summary="Start the membership sign-up (Amazon Pay)",
    description="Creates a pending subscription and an Amazon Pay recurring checkout; send the "
    "buyer to `redirect_url`. Individuals only (R-SUB-1); one live subscription per member; a "
    "pending, abandoned checkout is replaced. Amazon Pay is the only payment method and no card "
    "data reaches the platform (R-SUB-8).",
    responses=problems(
        *IDEMPOTENCY_ERRORS,
        SubscriptionAlreadyExists,
        SubscriptionNotForOrganizations,
        PaymentProviderUnavailable,
    ),
)
@idempotent(status_code=201)
async def start_checkout(
    subject: CurrentUser, session: DbSession, now: Now, provider: Provider, request: Request
) -> CheckoutStartOut:
    settings: Settings = request.app.state.settings
    subscription, checkout = await service.start_checkout(
        session,
        provider,
        user=subject.require_user(),
        return_url=settings.payment_checkout_return_url,
        now=now,
    )
    return CheckoutStartOut(
        subscription=present(subscription, today=jst_date(now), language=_language(request)),
        checkout_session_id=checkout.checkout_session_id,
        redirect_url=checkout.redirect_url or "",
    )


@router.post(
    "/me/subscription/checkout/complete",
    operation_id="payments_complete_subscription_checkout",
    summary="Confirm the sign-up after Amazon Pay",
    description="Call when the buyer is back from Amazon Pay. With the free trial (7 days "
    "counting today, R-SUB-2) nothing is charged until day 8; a member who had a subscription "
    "before gets no second trial and is charged ¥980 at once (402 `payment-declined` if that "
    "fails). Calling it again answers the same subscription.",
    responses=problems(
        CheckoutSessionMismatch,
        CheckoutNotApproved,
        PaymentMethodNotChargeable,
        InitialChargeDeclined,
        PaymentProviderUnavailable,
    ),
)
async def complete_checkout(
    body: SubscriptionCheckoutCompleteIn,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    provider: Provider,
    request: Request,
) -> SubscriptionOut:
    subscription = await service.complete_checkout(
        session,
        provider,
        user_id=subject.require_user().id,
        checkout_session_id=body.checkout_session_id,
        now=now,
    )
    return present(subscription, today=jst_date(now), language=_language(request))


@router.post(
    "/me/subscription/cancel",
    operation_id="payments_cancel_subscription",
    summary="Cancel the membership",
    description="Stops auto-renewal. During the trial nothing is ever charged and access ends "
    "after day 7 (R-SUB-4); after paying, access continues through the day before the next "
    "renewal, without refund or proration (R-SUB-5). Past due or unpaid: ends at once.",
    responses=problems(NothingToCancel),
)
async def cancel_subscription(
    subject: CurrentUser, session: DbSession, now: Now, provider: Provider, request: Request
) -> SubscriptionOut:
    subscription = await service.cancel(
        session, provider, user_id=subject.require_user().id, now=now
    )
    return present(subscription, today=jst_date(now), language=_language(request))


@router.post(
    "/me/subscription/resume",
    operation_id="payments_resume_subscription",
    summary="Resume a cancelled membership",
    description="Before its access ends, a cancelled subscription resumes without a new charge "
    "(R-SUB-6); renewals continue on the same day of month.",
    responses=problems(NothingToResume),
)
async def resume_subscription(
    subject: CurrentUser, session: DbSession, now: Now, request: Request
) -> SubscriptionOut:
    subscription = await service.resume(session, user_id=subject.require_user().id, now=now)
    return present(subscription, today=jst_date(now), language=_language(request))


@router.get(
    "/admin/users/{user_id}/subscription",
    operation_id="payments_get_user_subscription",
    summary="A member's membership subscription (staff)",
    description="The same view the member has (status, access, next renewal, payment issue), for "
    "the support desk.",
    responses=problems(SubscriptionNotFound),
)
async def get_user_subscription(
    user_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now, request: Request
) -> SubscriptionOut:
    subscription = await service.latest_subscription(session, user_id)
    return present(subscription, today=jst_date(now), language=_language(request))
