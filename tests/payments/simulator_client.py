"""Test-side handles for the provider simulator (R-PAY-3): its control API and a ProviderClient.

`SimulatorHandle` is what the `simulator` / `sim` fixtures yield:

- `.base_url` (`http://127.0.0.1:<port>`), `.api_base_url` (`…/v2`);
- `.settings`: the session's Settings pointed at the simulator (provider URL, key id and
  private key, merchant id, topic ARN, SNS certificate fetch URL);
- `.control`: `SimulatorControl`, one async method per control operation;
- `.provider(**overrides)`: a fresh `ProviderClient` (close it, or `async with`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from app.config import Settings
from app.payments.provider.client import ProviderClient
from app.payments.provider.objects import CheckoutSession


@dataclass(frozen=True)
class HeldNotification:
    """A notification the simulator kept (hold mode), exactly as it would have sent it."""

    message_id: str
    message_type: str
    object_type: str | None
    object_id: str | None
    charge_permission_id: str | None
    body: bytes
    headers: dict[str, str]

    async def deliver(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        """POST it as SNS does (raw body, text/plain, x-amz-sns-message-type)."""
        return await client.post(url, content=self.body, headers=self.headers)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> HeldNotification:
        return cls(
            message_id=raw["messageId"],
            message_type=raw["type"],
            object_type=raw["objectType"],
            object_id=raw["objectId"],
            charge_permission_id=raw["chargePermissionId"],
            body=raw["body"].encode("utf-8"),
            headers=dict(raw["headers"]),
        )


class SimulatorControl:
    """The `/_sim` control API. Each call opens its own short-lived HTTP client, so the handle
    can be shared by a whole test session whatever event loop a test runs in."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def _call(self, method: str, path: str, json: Any = None, **params: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            response = await client.request(method, f"/_sim{path}", json=json, params=params)
        response.raise_for_status()
        return response.json()

    async def register_key(self, public_key_id: str, public_key_pem: str) -> None:
        await self._call(
            "POST", "/keys", {"publicKeyId": public_key_id, "publicKeyPem": public_key_pem}
        )

    async def approve_checkout(self, checkout_session_id: str) -> str:
        """The buyer approves; returns the return URL with `amazonCheckoutSessionId`."""
        answer = await self._call("POST", f"/checkoutSessions/{checkout_session_id}/approve")
        return str(answer["redirectUrl"])

    async def cancel_checkout(self, checkout_session_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/checkoutSessions/{checkout_session_id}/cancel"
        )
        return result

    async def queue_charge_outcomes(self, charge_permission_id: str, outcomes: list[str]) -> None:
        """Outcomes of the next charges: Captured, SoftDeclined, HardDeclined, ProcessingFailure."""
        await self._call(
            "POST", f"/chargePermissions/{charge_permission_id}/outcomes", {"outcomes": outcomes}
        )

    async def queue_checkout_outcomes(self, checkout_session_id: str, outcomes: list[str]) -> None:
        """Outcome of the charge taken when this checkout session completes."""
        await self._call(
            "POST", f"/checkoutSessions/{checkout_session_id}/outcomes", {"outcomes": outcomes}
        )

    async def fix_payment_method(self, charge_permission_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/chargePermissions/{charge_permission_id}/fix"
        )
        return result

    async def invalidate_payment_method(
        self, charge_permission_id: str, reason: str = "PaymentMethodExpired"
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/chargePermissions/{charge_permission_id}/invalidate", {"reason": reason}
        )
        return result

    async def buyer_close_permission(self, charge_permission_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/chargePermissions/{charge_permission_id}/buyerClose"
        )
        return result

    async def settle_refund(self, refund_id: str, outcome: str = "Refunded") -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", f"/refunds/{refund_id}/settle", {"outcome": outcome}
        )
        return result

    async def set_refund_settlement(self, mode: str, delay_seconds: float = 0) -> None:
        await self._call(
            "PUT", "/refunds/settlement", {"mode": mode, "delaySeconds": delay_seconds}
        )

    async def set_notification_mode(
        self,
        mode: str | None = None,
        *,
        duplicate: int | None = None,
        delay_seconds: float | None = None,
        signature_version: str | None = None,
        webhook_url: str | None = None,
        max_attempts: int | None = None,
        backoff_seconds: float | None = None,
    ) -> dict[str, Any]:
        values = {
            "mode": mode,
            "duplicate": duplicate,
            "delaySeconds": delay_seconds,
            "signatureVersion": signature_version,
            "webhookUrl": webhook_url,
            "maxAttempts": max_attempts,
            "backoffSeconds": backoff_seconds,
        }
        body = {name: value for name, value in values.items() if value is not None}
        result: dict[str, Any] = await self._call("PUT", "/notifications/mode", body)
        return result

    async def notifications(self) -> list[dict[str, Any]]:
        """Every notification (sent, held, taken) with its delivery attempts."""
        result: list[dict[str, Any]] = await self._call("GET", "/notifications")
        return result

    async def held_notifications(self, *, take: bool = True) -> list[HeldNotification]:
        raw = await self._call("GET", "/notifications/held", take=str(take).lower())
        return [HeldNotification.from_raw(item) for item in raw]

    async def release_held(self, order: str = "in_order") -> list[dict[str, Any]]:
        """Deliver the held notifications (`in_order` or `reversed`); waits for the results."""
        result: list[dict[str, Any]] = await self._call(
            "POST", "/notifications/release", {"order": order}
        )
        return result

    async def subscription_confirmation(self) -> HeldNotification:
        return HeldNotification.from_raw(
            await self._call("POST", "/notifications/subscriptionConfirmation")
        )

    async def inject_failure(
        self,
        status: int = 503,
        *,
        count: int = 1,
        path_prefix: str = "/v2/",
        method: str | None = None,
        when: str = "before",
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `count` matching calls with `status` (`when="after"`: processed,
        answer lost)."""
        body: dict[str, Any] = {
            "status": status,
            "count": count,
            "pathPrefix": path_prefix,
            "when": when,
        }
        if method is not None:
            body["method"] = method
        if retry_after is not None:
            body["retryAfter"] = retry_after
        await self._call("POST", "/faults", body)

    async def set_clock(
        self, frozen_at: datetime | None = None, offset_seconds: float = 0
    ) -> datetime:
        body = {
            "frozenAt": frozen_at.isoformat() if frozen_at else None,
            "offsetSeconds": offset_seconds,
        }
        answer = await self._call("PUT", "/clock", body)
        return datetime.fromisoformat(answer["now"])

    async def wait_idle(self, timeout_seconds: float = 5) -> bool:
        answer = await self._call("POST", "/wait", {"timeoutSeconds": timeout_seconds})
        return bool(answer["idle"])

    async def get_object(self, object_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/objects/{object_id}")
        return result

    async def reset(self, *, objects: bool = False) -> None:
        """Back to the configured modes (hold, no duplicates, v2, real time, no faults or
        queued outcomes, auto refunds) and no notifications; `objects=True` forgets objects."""
        await self._call("POST", "/reset", {"objects": objects})


@dataclass
class SimulatorHandle:
    base_url: str
    api_base_url: str
    settings: Settings
    control: SimulatorControl
    public_key_id: str
    private_key_pem: str
    public_key_pem: str

    def provider(self, **overrides: Any) -> ProviderClient:
        """A fresh adapter pointed at the simulator (fast retries unless overridden)."""
        values: dict[str, Any] = {
            "base_url": self.api_base_url,
            "public_key_id": self.public_key_id,
            "private_key_pem": self.private_key_pem,
            "region": self.settings.payment_region,
            "store_id": self.settings.payment_store_id,
            "backoff_seconds": 0.01,
        }
        values.update(overrides)
        return ProviderClient(**values)

    async def completed_checkout(
        self,
        provider: ProviderClient,
        *,
        recurring: bool = True,
        amount_jpy: int = 980,
        merchant_reference_id: str = "M-TEST-0001",
        charge_now: bool | None = None,
    ) -> CheckoutSession:
        """Create a checkout, approve it as the buyer, complete it: the permission is ready."""
        session = await provider.create_checkout_session(
            recurring=recurring,
            amount_jpy=amount_jpy,
            merchant_reference_id=merchant_reference_id,
            return_url=self.settings.payment_checkout_return_url,
            idempotency_key=f"co-{uuid.uuid4().hex[:24]}",
            charge_now=charge_now,
        )
        await self.control.approve_checkout(session.checkout_session_id)
        return await provider.complete_checkout_session(
            session.checkout_session_id, amount_jpy=amount_jpy
        )
