"""The member's view of their membership subscription (PAYMENTS.md "Member API shape")."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from app.payments.rules.subscription import SubscriptionStatus


class PaymentIssueOut(BaseModel):
    reason: str = Field(
        description="Machine reason: `payment_declined`, `payment_method_invalid`, "
        "`payment_method_expired`, `permission_closed`.",
        examples=["payment_method_invalid"],
    )
    message: str = Field(description="What happened and what to do, in the caller's language.")
    fix_url: str = Field(description="Where the member fixes the payment method (Amazon Pay).")


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    status: SubscriptionStatus
    has_access: bool = Field(description="Membership content is open now (R-SUB-10).")
    price_jpy: int = Field(examples=[980])
    currency: Literal["JPY"] = "JPY"
    signup_on: date | None = Field(description="Sign-up day (JST): day 1 of the trial.")
    trial_end_on: date | None = Field(description="Last trial day (D+6), null without a trial.")
    cancel_at_period_end: bool
    access_until_on: date | None = Field(
        description="Last day with access if nothing changes (次回更新日前日 after a cancellation)."
    )
    next_renewal_on: date | None = Field(description="Day of the next charge; null when none.")
    next_amount_jpy: int | None = Field(description="Amount of the next charge (tax included).")
    payment_issue: PaymentIssueOut | None = None
    ended_on: date | None = None


class CheckoutStartOut(BaseModel):
    subscription: SubscriptionOut
    checkout_session_id: str
    redirect_url: str = Field(description="Send the buyer here to approve on Amazon Pay.")


class SubscriptionCheckoutCompleteIn(BaseModel):
    checkout_session_id: str = Field(min_length=1, max_length=100)
