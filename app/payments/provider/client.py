"""The provider adapter: Amazon Pay API v2 over httpx, signed, idempotent, retried (R-PAY-1).

- Every request is signed (`signing.sign_request`) with a fresh `x-amz-pay-date`.
- POSTs that create something carry `x-amz-pay-idempotency-key`; the caller chooses the key and
  stores it before calling (PAYMENTS.md), so a crash, timeout or 5xx is retried with the *same*
  key and the provider answers with the first result instead of charging twice.
- 408, 429, 5xx and transport errors are retried up to `max_attempts` with exponential backoff,
  honouring `Retry-After` (capped); then `ProviderUnavailable`. Other 4xx raise
  `ProviderRejected` (`ProviderIdempotencyConflict` for a reused key with other values,
  `ProviderNotFound` for 404) at once.
- A declined charge is not an error: the provider answers 201 with the Charge in state
  `Declined` and its reason code (SoftDeclined, HardDeclined, ProcessingFailure), and
  `create_charge` returns it. The caller decides (retry later, ask the buyer to fix the method).

Money is whole yen: amounts go out as `{"amount": "980", "currencyCode": "JPY"}`.
"""

from __future__ import annotations

import re
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx
from pydantic import ValidationError

from app.payments.provider.errors import ProviderUnavailable
from app.payments.provider.objects import (
    Charge,
    ChargePermission,
    ChargePermissionType,
    CheckoutSession,
    PaymentIntent,
    Price,
    ProviderModel,
    Refund,
)
from app.payments.provider.transport import SignedTransport

if TYPE_CHECKING:
    from app.config import Settings

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ModelT = TypeVar("ModelT", bound=ProviderModel)


def _price(amount_jpy: int) -> dict[str, Any]:
    if isinstance(amount_jpy, bool) or not isinstance(amount_jpy, int) or amount_jpy <= 0:
        raise ValueError(f"amount must be a positive whole number of yen, not {amount_jpy!r}")
    return Price.jpy(amount_jpy).to_wire()


def _check_key(idempotency_key: str) -> str:
    if not IDEMPOTENCY_KEY.match(idempotency_key):
        raise ValueError("an idempotency key is 1-32 characters of [A-Za-z0-9_-]")
    return idempotency_key


class ProviderClient:
    """One client per process (or per job run); `aclose()` it, or use `async with`."""

    def __init__(
        self,
        *,
        base_url: str,
        public_key_id: str,
        private_key_pem: str,
        region: str = "jp",
        store_id: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 4,
        backoff_seconds: float = 0.2,
        timeout_seconds: float = 10,
        max_retry_after_seconds: float = 30,
        merchant_store_name: str = "Manabi",
    ) -> None:
        self.store_id = store_id
        self.merchant_store_name = merchant_store_name
        self.transport = SignedTransport(
            base_url=base_url,
            public_key_id=public_key_id,
            private_key_pem=private_key_pem,
            region=region,
            transport=transport,
            max_attempts=max_attempts,
            backoff_seconds=backoff_seconds,
            timeout_seconds=timeout_seconds,
            max_retry_after_seconds=max_retry_after_seconds,
        )

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- Checkout sessions ---------------------------------------------------------------------

    async def create_checkout_session(
        self,
        *,
        recurring: bool,
        amount_jpy: int,
        merchant_reference_id: str,
        return_url: str,
        idempotency_key: str,
        note: str | None = None,
        charge_now: bool | None = None,
    ) -> CheckoutSession:
        """Start a checkout; send the buyer to `session.redirect_url`.

        Recurring (monthly, `amount_jpy` each month): by default the buyer is only confirmed
        (`paymentIntent: Confirm`, e.g. a free trial) and we charge later; `charge_now=True`
        charges the first month at checkout. One-time: `AuthorizeWithCapture` by default;
        `charge_now=False` only authorizes (capture later with `capture_charge`).
        """
        price = _price(amount_jpy)
        charges_now = (not recurring) if charge_now is None else charge_now
        if charges_now:
            intent = PaymentIntent.authorize_with_capture
        else:
            intent = PaymentIntent.confirm if recurring else PaymentIntent.authorize
        body: dict[str, Any] = {
            "webCheckoutDetails": {
                "checkoutResultReturnUrl": return_url,
                "checkoutMode": "ProcessOrder",
            },
            "storeId": self.store_id,
            "chargePermissionType": (
                ChargePermissionType.recurring if recurring else ChargePermissionType.one_time
            ).value,
            "paymentDetails": {
                "paymentIntent": intent.value,
                "canHandlePendingAuthorization": False,
                "chargeAmount": price,
            },
            "merchantMetadata": {
                "merchantReferenceId": merchant_reference_id,
                "merchantStoreName": self.merchant_store_name,
                **({"noteToBuyer": note} if note else {}),
            },
        }
        if recurring:
            body["recurringMetadata"] = {
                "frequency": {"unit": "Month", "value": "1"},
                "amount": price,
            }
        return await self._send(
            CheckoutSession,
            "POST",
            "checkoutSessions",
            body=body,
            idempotency_key=_check_key(idempotency_key),
        )

    async def get_checkout_session(self, checkout_session_id: str) -> CheckoutSession:
        return await self._send(CheckoutSession, "GET", f"checkoutSessions/{checkout_session_id}")

    async def complete_checkout_session(
        self, checkout_session_id: str, *, amount_jpy: int
    ) -> CheckoutSession:
        """Confirm the amount after the buyer returned; creates the charge permission (and the
        first charge when the session charges now). Completing twice returns the same session."""
        return await self._send(
            CheckoutSession,
            "POST",
            f"checkoutSessions/{checkout_session_id}/complete",
            body={"chargeAmount": _price(amount_jpy)},
        )

    # --- Charge permissions --------------------------------------------------------------------

    async def get_charge_permission(self, charge_permission_id: str) -> ChargePermission:
        return await self._send(
            ChargePermission, "GET", f"chargePermissions/{charge_permission_id}"
        )

    async def close_charge_permission(
        self, charge_permission_id: str, *, reason: str, cancel_pending_charges: bool = False
    ) -> ChargePermission:
        return await self._send(
            ChargePermission,
            "DELETE",
            f"chargePermissions/{charge_permission_id}/close",
            body={"closureReason": reason, "cancelPendingCharges": cancel_pending_charges},
        )

    # --- Charges -------------------------------------------------------------------------------

    async def create_charge(
        self,
        *,
        charge_permission_id: str,
        amount_jpy: int,
        merchant_reference_id: str,
        idempotency_key: str,
        capture_now: bool = True,
        soft_descriptor: str | None = None,
    ) -> Charge:
        """Charge a Chargeable permission. Returns the Charge, `Declined` included."""
        body: dict[str, Any] = {
            "chargePermissionId": charge_permission_id,
            "chargeAmount": _price(amount_jpy),
            "captureNow": capture_now,
            "canHandlePendingAuthorization": False,
            "merchantMetadata": {"merchantReferenceId": merchant_reference_id},
        }
        if soft_descriptor:
            body["softDescriptor"] = soft_descriptor
        return await self._send(
            Charge, "POST", "charges", body=body, idempotency_key=_check_key(idempotency_key)
        )

    async def get_charge(self, charge_id: str) -> Charge:
        return await self._send(Charge, "GET", f"charges/{charge_id}")

    async def capture_charge(
        self, charge_id: str, *, amount_jpy: int, idempotency_key: str
    ) -> Charge:
        return await self._send(
            Charge,
            "POST",
            f"charges/{charge_id}/capture",
            body={"captureAmount": _price(amount_jpy)},
            idempotency_key=_check_key(idempotency_key),
        )

    async def cancel_charge(self, charge_id: str, *, reason: str) -> Charge:
        return await self._send(
            Charge, "DELETE", f"charges/{charge_id}/cancel", body={"cancellationReason": reason}
        )

    # --- Refunds -------------------------------------------------------------------------------

    async def create_refund(
        self, *, charge_id: str, amount_jpy: int, idempotency_key: str
    ) -> Refund:
        """Refund part or all of a captured charge; the Refund starts `RefundInitiated`."""
        return await self._send(
            Refund,
            "POST",
            "refunds",
            body={"chargeId": charge_id, "refundAmount": _price(amount_jpy)},
            idempotency_key=_check_key(idempotency_key),
        )

    async def get_refund(self, refund_id: str) -> Refund:
        return await self._send(Refund, "GET", f"refunds/{refund_id}")

    # --- Transport -----------------------------------------------------------------------------

    async def _send(
        self,
        model: type[ModelT],
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ModelT:
        document = await self.request(method, path, body=body, idempotency_key=idempotency_key)
        try:
            return model.model_validate(document)
        except ValidationError as error:
            raise ProviderUnavailable(
                f"unexpected {model.__name__} from the provider: {error}", attempts=1
            ) from error

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """One signed call with retries (`transport.SignedTransport.request`): decoded JSON."""
        return await self.transport.request(
            method, path, body=body, idempotency_key=idempotency_key
        )


def build_provider_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> ProviderClient:
    """The adapter configured from settings (`MANABI_PAYMENT_*`)."""
    private_key_pem = settings.payment_private_key()
    if private_key_pem is None:
        raise RuntimeError(
            "no provider signing key: set MANABI_PAYMENT_PRIVATE_KEY_PEM or "
            "MANABI_PAYMENT_PRIVATE_KEY_FILE"
        )
    return ProviderClient(
        base_url=settings.payment_provider_base_url,
        public_key_id=settings.payment_public_key_id,
        private_key_pem=private_key_pem,
        region=settings.payment_region,
        store_id=settings.payment_store_id,
        transport=transport,
    )
