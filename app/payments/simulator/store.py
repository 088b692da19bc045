"""The simulator's in-memory provider (R-PAY-3): objects, their state machines, idempotency.

One asyncio event loop owns the store and no method awaits, so each operation is atomic.
Objects are the adapter's own models (`app.payments.provider.objects`), so the simulator answers
exactly the shapes the adapter parses.

State machines (every change stamps `lastUpdatedTimestamp` from the simulator clock and calls
`on_change`, which the notifier turns into one SNS notification):

- checkout session (`checkout.py`, which completes `SimulatorStore`): Open → (buyer approves)
  → Completed by `complete`; Canceled when the buyer cancels or the charge taken at checkout is
  declined (reason `Declined`). Sessions send no notification (Amazon sends none for them).
- charge permission: Chargeable → NonChargeable (`PaymentMethodInvalid` after a hard decline)
  → Chargeable (buyer fixes the method) → Closed (`MerchantClosed` by us, `BuyerCanceled`).
- charge: Captured (captureNow) or Authorized → Captured / Canceled; or Declined with
  `SoftDeclined`, `HardDeclined` or `ProcessingFailure`, taken from the permission's queue of
  outcomes (default Captured).
- refund: RefundInitiated → Refunded (or Declined); the refunds of a charge never exceed what
  was captured. Creation is not a change; settlement is.
"""

from __future__ import annotations

import secrets
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter

from app.payments.provider.objects import (
    Charge,
    ChargePermission,
    ChargePermissionState,
    ChargeState,
    CheckoutSession,
    DeclineReason,
    MerchantMetadata,
    PermissionReason,
    Price,
    Reason,
    Refund,
    RefundState,
    StatusDetails,
)
from app.payments.simulator.config import SimulatorClock
from app.payments.simulator.persistence import dump_model, load_models, text_list
from app.payments.simulator.requests import (
    SimulatorError,
    not_found,
    optional_object,
    require_text,
    whole_yen,
)

CHARGE_OUTCOMES = frozenset({"Captured", *(reason.value for reason in DeclineReason)})


@dataclass(frozen=True)
class StateChange:
    object_type: str  # CHARGE_PERMISSION, CHARGE, REFUND (the IPN ObjectType)
    object_id: str
    charge_permission_id: str


@dataclass(frozen=True)
class StoredAnswer:
    method: str
    path: str
    fingerprint: str
    status: int
    document: dict[str, Any]


STORED_ANSWER = TypeAdapter(StoredAnswer)


def _digits(count: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(count))


def new_permission_id() -> str:
    """Amazon-like `S03-1234567-1234567`; random, so ids stay unique across resets."""
    return f"S03-{_digits(7)}-{_digits(7)}"


class PaymentStore:
    """Objects, lookups, idempotency, charge permissions, charges and refunds."""

    def __init__(
        self,
        clock: SimulatorClock,
        *,
        on_change: Callable[[StateChange], object],
        release_environment: str = "Sandbox",
    ) -> None:
        self.clock = clock
        self.on_change = on_change
        self.release_environment = release_environment
        self.reset_objects()

    def reset_objects(self) -> None:
        self.sessions: dict[str, CheckoutSession] = {}
        self.approved: set[str] = set()
        self.permissions: dict[str, ChargePermission] = {}
        self.charges: dict[str, Charge] = {}
        self.refunds: dict[str, Refund] = {}
        self.idempotency: dict[tuple[str, str], StoredAnswer] = {}
        self.reset_outcomes()

    def reset_outcomes(self) -> None:
        self.outcomes: defaultdict[str, deque[str]] = defaultdict(deque)

    # --- Snapshot (persistence.py) -------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Permissions, charges, refunds, idempotency answers and queued outcomes, as JSON."""
        return {
            "chargePermissions": [dump_model(item) for item in self.permissions.values()],
            "charges": [dump_model(item) for item in self.charges.values()],
            "refunds": [dump_model(item) for item in self.refunds.values()],
            "idempotency": [
                {"scope": scope, "key": key, "answer": asdict(answer)}
                for (scope, key), answer in self.idempotency.items()
            ],
            "outcomes": {target: list(queue) for target, queue in self.outcomes.items() if queue},
        }

    def restore(self, document: dict[str, Any]) -> None:
        """Replace them with those of a `snapshot()`; raises (changing nothing) if it is not one.
        Restoring is not a state change: no notification is sent."""
        permissions = load_models(
            ChargePermission, document["chargePermissions"], "charge_permission_id"
        )
        charges = load_models(Charge, document["charges"], "charge_id")
        refunds = load_models(Refund, document["refunds"], "refund_id")
        idempotency: dict[tuple[str, str], StoredAnswer] = {}
        for entry in document["idempotency"]:
            scope, key = entry["scope"], entry["key"]
            if not isinstance(scope, str) or not isinstance(key, str):
                raise ValueError("idempotency entries need a scope and a key")
            idempotency[(scope, key)] = STORED_ANSWER.validate_python(entry["answer"])
        outcomes: defaultdict[str, deque[str]] = defaultdict(deque)
        queued_outcomes = document["outcomes"]
        if not isinstance(queued_outcomes, dict):
            raise ValueError("outcomes must be an object")
        for target, queued in queued_outcomes.items():
            queue = text_list(queued, "outcomes")
            if not CHARGE_OUTCOMES.issuperset(queue):
                raise ValueError(f"unknown outcomes: {queue}")
            outcomes[target].extend(queue)
        self.permissions, self.charges, self.refunds = permissions, charges, refunds
        self.idempotency, self.outcomes = idempotency, outcomes

    # --- Idempotency ---------------------------------------------------------------------------

    def replay(
        self, scope: str, key: str, *, method: str, path: str, fingerprint: str
    ) -> StoredAnswer | None:
        """The first answer for this key, or None; the same key with other values is refused."""
        stored = self.idempotency.get((scope, key))
        if stored is None:
            return None
        if (stored.method, stored.path, stored.fingerprint) != (method, path, fingerprint):
            raise SimulatorError(
                400,
                "DuplicateIdempotencyKey",
                "this idempotency key was already used for a different request",
            )
        return stored

    def remember(self, scope: str, key: str, answer: StoredAnswer) -> None:
        self.idempotency[(scope, key)] = answer

    # --- Helpers -------------------------------------------------------------------------------

    def _changed(self, object_type: str, object_id: str, permission_id: str) -> None:
        self.on_change(StateChange(object_type, object_id, permission_id))

    def queue_outcomes(self, target_id: str, outcomes: list[str]) -> None:
        unknown = [outcome for outcome in outcomes if outcome not in CHARGE_OUTCOMES]
        if unknown:
            raise SimulatorError(400, "InvalidParameterValue", f"unknown outcomes: {unknown}")
        self.outcomes[target_id].extend(outcomes)

    def _next_outcome(self, target_id: str) -> str:
        queue = self.outcomes.get(target_id)
        return queue.popleft() if queue else "Captured"

    def session(self, session_id: str) -> CheckoutSession:
        if session_id not in self.sessions:
            raise not_found("CheckoutSession", session_id)
        return self.sessions[session_id]

    def permission(self, permission_id: str) -> ChargePermission:
        if permission_id not in self.permissions:
            raise not_found("ChargePermission", permission_id)
        return self.permissions[permission_id]

    def charge(self, charge_id: str) -> Charge:
        if charge_id not in self.charges:
            raise not_found("Charge", charge_id)
        return self.charges[charge_id]

    def refund(self, refund_id: str) -> Refund:
        if refund_id not in self.refunds:
            raise not_found("Refund", refund_id)
        return self.refunds[refund_id]

    def _set_permission_state(
        self, permission: ChargePermission, state: ChargePermissionState, reason: str | None = None
    ) -> None:
        reasons = [Reason(reason_code=reason)] if reason else None
        permission.status_details = StatusDetails[ChargePermissionState](
            state=state, reasons=reasons, last_updated_timestamp=self.clock.now()
        )
        self._changed(
            "CHARGE_PERMISSION", permission.charge_permission_id, permission.charge_permission_id
        )

    def _set_charge_state(
        self, charge: Charge, state: ChargeState, reason: str | None = None
    ) -> None:
        charge.status_details = StatusDetails[ChargeState](
            state=state, reason_code=reason, last_updated_timestamp=self.clock.now()
        )
        self._changed("CHARGE", charge.charge_id, charge.charge_permission_id)

    # --- Charge permissions --------------------------------------------------------------------

    def close_permission(
        self, permission_id: str, *, reason: str, cancel_pending: bool
    ) -> ChargePermission:
        permission = self.permission(permission_id)
        if permission.state is ChargePermissionState.closed:
            return permission
        if cancel_pending:
            for charge in list(self.charges.values()):
                if charge.charge_permission_id == permission_id and charge.state in (
                    ChargeState.authorization_initiated,
                    ChargeState.authorized,
                ):
                    self._set_charge_state(charge, ChargeState.canceled, "ChargePermissionCanceled")
        self._set_permission_state(permission, ChargePermissionState.closed, reason)
        return permission

    def fix_payment_method(self, permission_id: str) -> ChargePermission:
        permission = self.permission(permission_id)
        if permission.state is not ChargePermissionState.non_chargeable:
            raise SimulatorError(
                422, "InvalidChargePermissionStatus", f"permission is {permission.state}"
            )
        self._set_permission_state(permission, ChargePermissionState.chargeable)
        return permission

    def invalidate_payment_method(self, permission_id: str, reason: str) -> ChargePermission:
        permission = self.permission(permission_id)
        if permission.state is not ChargePermissionState.chargeable:
            raise SimulatorError(
                422, "InvalidChargePermissionStatus", f"permission is {permission.state}"
            )
        self._set_permission_state(permission, ChargePermissionState.non_chargeable, reason)
        return permission

    # --- Charges -------------------------------------------------------------------------------

    def create_charge(self, body: dict[str, Any]) -> Charge:
        permission = self.permission(require_text(body, "chargePermissionId"))
        amount = whole_yen(body, "chargeAmount")
        capture = body.get("captureNow", False)
        if not isinstance(capture, bool):
            raise SimulatorError(400, "InvalidParameterValue", "captureNow must be a boolean")
        if permission.state is not ChargePermissionState.chargeable:
            raise SimulatorError(
                422, "InvalidChargePermissionStatus", f"the charge permission is {permission.state}"
            )
        balance = permission.limits.amount_balance if permission.limits else None
        if balance is not None and amount > balance.amount_jpy:
            raise SimulatorError(422, "TransactionAmountExceeded", "amount exceeds the balance")
        metadata = MerchantMetadata.model_validate(optional_object(body, "merchantMetadata"))
        return self._new_charge(
            permission,
            amount,
            capture=capture,
            outcome=self._next_outcome(permission.charge_permission_id),
            merchant_metadata=metadata,
            soft_descriptor=body.get("softDescriptor"),
        )

    def _new_charge(
        self,
        permission: ChargePermission,
        amount: int,
        *,
        capture: bool,
        outcome: str,
        merchant_metadata: MerchantMetadata | None,
        soft_descriptor: str | None = None,
    ) -> Charge:
        now = self.clock.now()
        charge = Charge(
            charge_id=f"{permission.charge_permission_id}-C{_digits(5)}",
            charge_permission_id=permission.charge_permission_id,
            charge_amount=Price.jpy(amount),
            merchant_metadata=merchant_metadata,
            soft_descriptor=soft_descriptor,
            status_details=StatusDetails[ChargeState](
                state=ChargeState.authorization_initiated, last_updated_timestamp=now
            ),
            creation_timestamp=now,
            expiration_timestamp=now + timedelta(days=30),
            release_environment=self.release_environment,
        )
        self.charges[charge.charge_id] = charge
        if outcome != "Captured":
            self._set_charge_state(charge, ChargeState.declined, outcome)
            if outcome == DeclineReason.hard_declined:
                self._set_permission_state(
                    permission,
                    ChargePermissionState.non_chargeable,
                    PermissionReason.payment_method_invalid,
                )
        elif capture:
            self._capture(charge, amount)
        else:
            self._set_charge_state(charge, ChargeState.authorized)
        return charge

    def _capture(self, charge: Charge, amount: int) -> None:
        charge.capture_amount = Price.jpy(amount)
        charge.refunded_amount = Price.jpy(0)
        permission = self.permissions[charge.charge_permission_id]
        if permission.limits and permission.limits.amount_balance:
            remaining = permission.limits.amount_balance.amount_jpy - amount
            permission.limits.amount_balance = Price.jpy(max(remaining, 0))
        self._set_charge_state(charge, ChargeState.captured)

    def capture_charge(self, charge_id: str, body: dict[str, Any]) -> Charge:
        charge = self.charge(charge_id)
        amount = whole_yen(body, "captureAmount")
        if charge.state is not ChargeState.authorized:
            raise SimulatorError(422, "InvalidChargeStatus", f"the charge is {charge.state}")
        if amount > charge.charge_amount.amount_jpy:
            raise SimulatorError(422, "TransactionAmountExceeded", "capture exceeds the charge")
        self._capture(charge, amount)
        return charge

    def cancel_charge(self, charge_id: str, body: dict[str, Any]) -> Charge:
        charge = self.charge(charge_id)
        if charge.state is ChargeState.canceled:
            return charge
        if charge.state not in (ChargeState.authorization_initiated, ChargeState.authorized):
            raise SimulatorError(422, "InvalidChargeStatus", f"the charge is {charge.state}")
        self._set_charge_state(charge, ChargeState.canceled, "MerchantCanceled")
        return charge

    # --- Refunds -------------------------------------------------------------------------------

    def create_refund(self, body: dict[str, Any]) -> Refund:
        charge = self.charge(require_text(body, "chargeId"))
        amount = whole_yen(body, "refundAmount")
        if charge.state is not ChargeState.captured:
            raise SimulatorError(422, "InvalidChargeStatus", f"the charge is {charge.state}")
        committed = sum(
            refund.refund_amount.amount_jpy
            for refund in self.refunds.values()
            if refund.charge_id == charge.charge_id and refund.state is not RefundState.declined
        )
        if committed + amount > charge.captured_jpy:
            raise SimulatorError(
                400,
                "TransactionAmountExceeded",
                f"refunds would exceed the captured amount ({committed} + {amount} > "
                f"{charge.captured_jpy})",
            )
        now = self.clock.now()
        refund = Refund(
            refund_id=f"{charge.charge_permission_id}-R{_digits(5)}",
            charge_id=charge.charge_id,
            refund_amount=Price.jpy(amount),
            soft_descriptor=body.get("softDescriptor"),
            status_details=StatusDetails[RefundState](
                state=RefundState.refund_initiated, last_updated_timestamp=now
            ),
            creation_timestamp=now,
            release_environment=self.release_environment,
        )
        self.refunds[refund.refund_id] = refund
        return refund

    def settle_refund(self, refund_id: str, outcome: str = "Refunded") -> Refund:
        refund = self.refund(refund_id)
        if refund.state is not RefundState.refund_initiated:
            return refund
        charge = self.charges[refund.charge_id]
        if outcome == RefundState.refunded:
            charge.refunded_amount = Price.jpy(
                charge.refunded_jpy + refund.refund_amount.amount_jpy
            )
            state, reason = RefundState.refunded, None
        elif outcome == RefundState.declined:
            state, reason = RefundState.declined, "ProcessingFailure"
        else:
            raise SimulatorError(400, "InvalidParameterValue", f"unknown refund outcome {outcome}")
        refund.status_details = StatusDetails[RefundState](
            state=state, reason_code=reason, last_updated_timestamp=self.clock.now()
        )
        self._changed("REFUND", refund.refund_id, charge.charge_permission_id)
        return refund
