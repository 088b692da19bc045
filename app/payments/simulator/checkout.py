"""Checkout sessions in the simulator (R-PAY-3): Open → buyer approves → Completed.

A session still Open at its `expirationTimestamp` (24 hours after creation, on the simulator's
clock) is Canceled with reason `Expired` the next time anyone reads or uses it, as Amazon Pay
cancels a checkout the buyer did not complete within a day.

`complete` creates the charge permission and, unless the session only confirms
(`paymentIntent: Confirm`, a free trial), the first charge. A charge declined at checkout
cancels the session (reason `Declined`) and answers 422 `CheckoutSessionCanceled`; no
permission is created.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.payments.provider.objects import (
    CHECKOUT_SESSION_LIFETIME,
    ChargePermission,
    ChargePermissionState,
    ChargePermissionType,
    CheckoutSession,
    CheckoutSessionState,
    Limits,
    MerchantMetadata,
    PaymentDetails,
    PaymentIntent,
    Price,
    RecurringMetadata,
    StatusDetails,
    WebCheckoutDetails,
)
from app.payments.simulator.persistence import dump_model, load_models, text_list
from app.payments.simulator.requests import (
    SimulatorError,
    optional_object,
    require,
    require_text,
    whole_yen,
)
from app.payments.simulator.store import PaymentStore, new_permission_id


class SimulatorStore(PaymentStore):
    """The whole in-memory provider: `PaymentStore` plus checkout sessions."""

    def snapshot(self) -> dict[str, Any]:
        """`PaymentStore.snapshot` plus the checkout sessions and which ones were approved."""
        return {
            "checkoutSessions": [dump_model(item) for item in self.sessions.values()],
            "approvedCheckoutSessions": sorted(self.approved),
            **super().snapshot(),
        }

    def restore(self, document: dict[str, Any]) -> None:
        sessions = load_models(CheckoutSession, document["checkoutSessions"], "checkout_session_id")
        approved = set(text_list(document["approvedCheckoutSessions"], "approved sessions"))
        super().restore(document)
        self.sessions, self.approved = sessions, approved

    def session(self, session_id: str) -> CheckoutSession:
        session = super().session(session_id)
        expires = session.expiration_timestamp
        if session.state is CheckoutSessionState.open and expires and self.clock.now() >= expires:
            session.status_details = StatusDetails[CheckoutSessionState](
                state=CheckoutSessionState.canceled,
                reason_code="Expired",
                last_updated_timestamp=expires,
            )
        return session

    def create_checkout_session(
        self, body: dict[str, Any], *, redirect_base: str
    ) -> CheckoutSession:
        store_id = require_text(body, "storeId")
        web = optional_object(body, "webCheckoutDetails")
        return_url = require_text(web, "checkoutResultReturnUrl")
        try:
            permission_type = ChargePermissionType(require_text(body, "chargePermissionType"))
            payment = optional_object(body, "paymentDetails")
            intent = PaymentIntent(require_text(payment, "paymentIntent"))
        except ValueError as error:
            raise SimulatorError(400, "InvalidParameterValue", str(error)) from error
        amount = whole_yen(payment, "chargeAmount")
        recurring: RecurringMetadata | None = None
        if permission_type is ChargePermissionType.recurring:
            metadata = optional_object(body, "recurringMetadata")
            require(metadata, "frequency")
            recurring = RecurringMetadata.model_validate(metadata)
        now = self.clock.now()
        session_id = str(uuid.uuid4())
        session = CheckoutSession(
            checkout_session_id=session_id,
            web_checkout_details=WebCheckoutDetails(
                checkout_result_return_url=return_url,
                checkout_mode=web.get("checkoutMode"),
                amazon_pay_redirect_url=f"{redirect_base.rstrip('/')}/_sim/checkout/{session_id}",
            ),
            charge_permission_type=permission_type,
            recurring_metadata=recurring,
            payment_details=PaymentDetails(
                payment_intent=intent,
                can_handle_pending_authorization=False,
                charge_amount=Price.jpy(amount),
            ),
            merchant_metadata=MerchantMetadata.model_validate(
                optional_object(body, "merchantMetadata")
            ),
            store_id=store_id,
            status_details=StatusDetails[CheckoutSessionState](
                state=CheckoutSessionState.open, last_updated_timestamp=now
            ),
            creation_timestamp=now,
            expiration_timestamp=now + CHECKOUT_SESSION_LIFETIME,
            release_environment=self.release_environment,
        )
        self.sessions[session_id] = session
        return session

    def approve_checkout(self, session_id: str) -> str:
        """The buyer approves on the provider's page; returns the redirect back to us."""
        session = self.session(session_id)
        if session.state is not CheckoutSessionState.open:
            raise SimulatorError(422, "InvalidCheckoutSessionStatus", f"session is {session.state}")
        self.approved.add(session_id)
        assert session.web_checkout_details is not None
        return_url = session.web_checkout_details.checkout_result_return_url or ""
        separator = "&" if "?" in return_url else "?"
        return f"{return_url}{separator}amazonCheckoutSessionId={session_id}"

    def cancel_checkout(self, session_id: str, reason: str = "BuyerCanceled") -> CheckoutSession:
        session = self.session(session_id)
        if session.state is CheckoutSessionState.open:
            session.status_details = StatusDetails[CheckoutSessionState](
                state=CheckoutSessionState.canceled,
                reason_code=reason,
                last_updated_timestamp=self.clock.now(),
            )
        return session

    def complete_checkout(self, session_id: str, body: dict[str, Any]) -> CheckoutSession:
        session = self.session(session_id)
        if session.state is CheckoutSessionState.completed:
            return session  # completing twice answers the same session
        if session.state is CheckoutSessionState.canceled:
            raise SimulatorError(
                422, "CheckoutSessionCanceled", "the checkout session was canceled"
            )
        if session_id not in self.approved:
            raise SimulatorError(
                422, "InvalidCheckoutSessionStatus", "the buyer has not approved the checkout yet"
            )
        amount = whole_yen(body, "chargeAmount")
        assert session.payment_details is not None and session.payment_details.charge_amount
        if amount != session.payment_details.charge_amount.amount_jpy:
            raise SimulatorError(
                400, "InvalidParameterValue", "chargeAmount differs from the session's amount"
            )
        intent = session.payment_details.payment_intent
        outcome = "Captured"
        if intent is not PaymentIntent.confirm:
            outcome = self._next_outcome(session_id)
            if outcome != "Captured":
                self.cancel_checkout(session_id, reason="Declined")
                raise SimulatorError(
                    422, "CheckoutSessionCanceled", f"payment declined ({outcome})"
                )
        permission = self._create_permission(session, amount)
        session.charge_permission_id = permission.charge_permission_id
        if intent is PaymentIntent.confirm and self.outcomes.get(session_id):
            # Outcomes queued on a confirm-only checkout apply to the permission's first charges
            # (a merchant charging right after the checkout, e.g. a subscription without trial).
            self.outcomes[permission.charge_permission_id].extend(self.outcomes.pop(session_id))
        if intent is not PaymentIntent.confirm:
            charge = self._new_charge(
                permission,
                amount,
                capture=intent is PaymentIntent.authorize_with_capture,
                outcome=outcome,
                merchant_metadata=session.merchant_metadata,
            )
            session.charge_id = charge.charge_id
        session.status_details = StatusDetails[CheckoutSessionState](
            state=CheckoutSessionState.completed, last_updated_timestamp=self.clock.now()
        )
        return session

    def _create_permission(self, session: CheckoutSession, amount: int) -> ChargePermission:
        now = self.clock.now()
        one_time = session.charge_permission_type is ChargePermissionType.one_time
        permission = ChargePermission(
            charge_permission_id=new_permission_id(),
            charge_permission_type=session.charge_permission_type or ChargePermissionType.one_time,
            recurring_metadata=session.recurring_metadata,
            merchant_metadata=session.merchant_metadata,
            limits=Limits(amount_limit=Price.jpy(amount), amount_balance=Price.jpy(amount))
            if one_time
            else None,
            presentment_currency="JPY",
            status_details=StatusDetails[ChargePermissionState](
                state=ChargePermissionState.chargeable, last_updated_timestamp=now
            ),
            creation_timestamp=now,
            expiration_timestamp=now + timedelta(days=180) if one_time else None,
            release_environment=self.release_environment,
        )
        self.permissions[permission.charge_permission_id] = permission
        return permission
