"""Provider objects in Amazon Pay API v2 shapes (R-PAY-1): checkout session, charge permission,
charge, refund.

Field names are snake_case in Python and camelCase on the wire (`chargePermissionId`,
`statusDetails.lastUpdatedTimestamp`, …); both spellings are accepted when parsing. Unknown
fields are ignored, so a richer real response still parses. Money is `{"amount": "980",
"currencyCode": "JPY"}`; `Price.amount_jpy` reads it as whole yen.

Timestamps arrive in the provider's compact form (`20261123T030405Z`) or as ISO 8601 and are
always UTC-aware `datetime`s here; they are written back in the compact form. The simulator
builds its responses from these same models, so the adapter and the simulator cannot drift.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    model_validator,
)
from pydantic.alias_generators import to_camel

COMPACT_TIMESTAMP = "%Y%m%dT%H%M%SZ"


def parse_timestamp(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 16 and value.endswith("Z") and "T" in value:
        return datetime.strptime(value, COMPACT_TIMESTAMP).replace(tzinfo=UTC)
    return value


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    return _utc(value).strftime(COMPACT_TIMESTAMP)


Timestamp = Annotated[
    datetime,
    BeforeValidator(parse_timestamp),
    AfterValidator(_utc),
    PlainSerializer(format_timestamp, return_type=str),
]


class CheckoutSessionState(StrEnum):
    open = "Open"
    completed = "Completed"
    canceled = "Canceled"


class ChargePermissionState(StrEnum):
    chargeable = "Chargeable"
    non_chargeable = "NonChargeable"
    closed = "Closed"


class ChargeState(StrEnum):
    authorization_initiated = "AuthorizationInitiated"
    authorized = "Authorized"
    capture_initiated = "CaptureInitiated"
    captured = "Captured"
    canceled = "Canceled"
    declined = "Declined"


class RefundState(StrEnum):
    refund_initiated = "RefundInitiated"
    refunded = "Refunded"
    declined = "Declined"


class ChargePermissionType(StrEnum):
    one_time = "OneTime"
    recurring = "Recurring"


class PaymentIntent(StrEnum):
    confirm = "Confirm"  # recurring with a free trial: no charge at checkout
    authorize = "Authorize"
    authorize_with_capture = "AuthorizeWithCapture"


class DeclineReason(StrEnum):
    """Reason codes of a Declined charge that our subscription logic distinguishes."""

    soft_declined = "SoftDeclined"
    hard_declined = "HardDeclined"
    processing_failure = "ProcessingFailure"


class PermissionReason(StrEnum):
    """Reason codes of a NonChargeable or Closed charge permission."""

    payment_method_invalid = "PaymentMethodInvalid"
    payment_method_expired = "PaymentMethodExpired"
    mfa_failed = "MFAFailed"
    merchant_closed = "MerchantClosed"
    buyer_canceled = "BuyerCanceled"
    amazon_closed = "AmazonClosed"
    expired = "Expired"


class ProviderModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_wire(self) -> dict[str, Any]:
        """The JSON document as the provider sends it (camelCase, absent fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Price(ProviderModel):
    amount: str
    currency_code: str = "JPY"

    @classmethod
    def jpy(cls, amount_jpy: int) -> Price:
        return cls(amount=str(amount_jpy), currency_code="JPY")

    @property
    def amount_jpy(self) -> int:
        """Whole yen; raises ValueError for another currency or a fractional amount."""
        if self.currency_code != "JPY":
            raise ValueError(f"not a JPY amount: {self.currency_code}")
        return int(self.amount)


class Reason(ProviderModel):
    reason_code: str
    reason_description: str | None = None


StateT = TypeVar("StateT", bound=StrEnum)


class StatusDetails(ProviderModel, Generic[StateT]):
    """`statusDetails`. Charge permissions carry a `reasons` list instead of one reason code;
    `reason_code`/`reason_description` then hold the first reason, so readers need one field."""

    state: StateT
    reason_code: str | None = None
    reason_description: str | None = None
    reasons: list[Reason] | None = None
    last_updated_timestamp: Timestamp

    @model_validator(mode="after")
    def _first_reason(self) -> StatusDetails[StateT]:
        if self.reason_code is None and self.reasons:
            self.reason_code = self.reasons[0].reason_code
            self.reason_description = self.reasons[0].reason_description
        return self


class MerchantMetadata(ProviderModel):
    merchant_reference_id: str | None = None  # our order number
    merchant_store_name: str | None = None
    note_to_buyer: str | None = None
    custom_information: str | None = None


class Frequency(ProviderModel):
    unit: str  # Year, Month, Week, Day, Variable
    value: str


class RecurringMetadata(ProviderModel):
    frequency: Frequency
    amount: Price | None = None


class WebCheckoutDetails(ProviderModel):
    checkout_review_return_url: str | None = None
    checkout_result_return_url: str | None = None
    amazon_pay_redirect_url: str | None = None
    checkout_mode: str | None = None


class PaymentDetails(ProviderModel):
    payment_intent: PaymentIntent | None = None
    can_handle_pending_authorization: bool | None = None
    charge_amount: Price | None = None
    soft_descriptor: str | None = None
    presentment_currency: str | None = None


class Limits(ProviderModel):
    amount_limit: Price | None = None
    amount_balance: Price | None = None


CHECKOUT_SESSION_LIFETIME = timedelta(hours=24)
"""An open checkout session the buyer has not completed is canceled by the provider after a day
(Amazon Pay: "moves to Canceled … unless the buyer completes checkout within 24 hours")."""


class CheckoutSession(ProviderModel):
    checkout_session_id: str
    web_checkout_details: WebCheckoutDetails | None = None
    charge_permission_type: ChargePermissionType | None = None
    recurring_metadata: RecurringMetadata | None = None
    payment_details: PaymentDetails | None = None
    merchant_metadata: MerchantMetadata | None = None
    store_id: str | None = None
    status_details: StatusDetails[CheckoutSessionState]
    creation_timestamp: Timestamp
    expiration_timestamp: Timestamp | None = None
    charge_permission_id: str | None = None
    charge_id: str | None = None
    release_environment: str | None = None

    @property
    def state(self) -> CheckoutSessionState:
        return self.status_details.state

    @property
    def redirect_url(self) -> str | None:
        """Where to send the buyer to approve the payment (`amazonPayRedirectUrl`)."""
        details = self.web_checkout_details
        return details.amazon_pay_redirect_url if details else None


class ChargePermission(ProviderModel):
    charge_permission_id: str
    charge_permission_type: ChargePermissionType
    recurring_metadata: RecurringMetadata | None = None
    merchant_metadata: MerchantMetadata | None = None
    limits: Limits | None = None
    presentment_currency: str | None = None
    status_details: StatusDetails[ChargePermissionState]
    creation_timestamp: Timestamp
    expiration_timestamp: Timestamp | None = None
    release_environment: str | None = None

    @property
    def state(self) -> ChargePermissionState:
        return self.status_details.state

    @property
    def is_chargeable(self) -> bool:
        return self.status_details.state is ChargePermissionState.chargeable


class Charge(ProviderModel):
    charge_id: str
    charge_permission_id: str
    charge_amount: Price
    capture_amount: Price | None = None
    refunded_amount: Price | None = None
    soft_descriptor: str | None = None
    merchant_metadata: MerchantMetadata | None = None
    status_details: StatusDetails[ChargeState]
    creation_timestamp: Timestamp
    expiration_timestamp: Timestamp | None = None
    release_environment: str | None = None

    @property
    def state(self) -> ChargeState:
        return self.status_details.state

    @property
    def reason_code(self) -> str | None:
        return self.status_details.reason_code

    @property
    def captured_jpy(self) -> int:
        return self.capture_amount.amount_jpy if self.capture_amount else 0

    @property
    def refunded_jpy(self) -> int:
        return self.refunded_amount.amount_jpy if self.refunded_amount else 0


class Refund(ProviderModel):
    refund_id: str
    charge_id: str
    refund_amount: Price
    soft_descriptor: str | None = None
    status_details: StatusDetails[RefundState]
    creation_timestamp: Timestamp
    release_environment: str | None = None

    @property
    def state(self) -> RefundState:
        return self.status_details.state


class ProviderErrorBody(ProviderModel):
    """The body of a 4xx/5xx answer: `{"reasonCode": …, "message": …}`."""

    reason_code: str
    message: str = ""
