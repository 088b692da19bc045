"""R-PAY-1: the provider adapter against the simulator over real HTTP.

Checkout → permission → charge → refund, declines, idempotent replays and conflicts, retries
of transient failures with the same key, and refusals of bad signatures.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from app.payments.provider.client import ProviderClient, build_provider_client
from app.payments.provider.errors import (
    ProviderIdempotencyConflict,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from app.payments.provider.objects import (
    ChargePermissionState,
    ChargePermissionType,
    ChargeState,
    CheckoutSessionState,
    PaymentIntent,
    RefundState,
)
from app.payments.provider.signing import generate_key_pair
from tests.payments.simulator_client import SimulatorHandle


def unique(prefix: str) -> str:
    """Idempotency keys live as long as the session's simulator: never reuse one by accident."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@pytest.fixture
async def provider(sim: SimulatorHandle) -> AsyncIterator[ProviderClient]:
    async with sim.provider() as client:
        yield client


async def permission_id(sim: SimulatorHandle, provider: ProviderClient) -> str:
    session = await sim.completed_checkout(provider)
    assert session.charge_permission_id is not None
    return session.charge_permission_id


async def charge_notifications(sim: SimulatorHandle, permission: str) -> list[dict[str, object]]:
    return [
        record
        for record in await sim.control.notifications()
        if record["chargePermissionId"] == permission and record["objectType"] == "CHARGE"
    ]


async def test_r_pay_1_recurring_checkout_charge_and_refund_over_http(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    session = await provider.create_checkout_session(
        recurring=True,
        amount_jpy=980,
        merchant_reference_id="M-20261123-0001",
        return_url="https://manabi.example/checkout/return?plan=member",
        idempotency_key=unique("sub-0001"),
        note="月額会員",
    )
    assert session.state is CheckoutSessionState.open
    assert session.charge_permission_type is ChargePermissionType.recurring
    assert session.recurring_metadata is not None
    assert session.recurring_metadata.frequency.unit == "Month"
    assert session.payment_details is not None
    assert session.payment_details.payment_intent is PaymentIntent.confirm  # trial: no charge
    assert session.redirect_url is not None

    redirect = await sim.control.approve_checkout(session.checkout_session_id)
    assert redirect == (
        "https://manabi.example/checkout/return?plan=member"
        f"&amazonCheckoutSessionId={session.checkout_session_id}"
    )
    completed = await provider.complete_checkout_session(
        session.checkout_session_id, amount_jpy=980
    )
    assert completed.state is CheckoutSessionState.completed
    assert completed.charge_id is None
    assert completed.charge_permission_id is not None
    again = await provider.complete_checkout_session(session.checkout_session_id, amount_jpy=980)
    assert again.charge_permission_id == completed.charge_permission_id

    permission = await provider.get_charge_permission(completed.charge_permission_id)
    assert permission.state is ChargePermissionState.chargeable
    assert permission.merchant_metadata is not None
    assert permission.merchant_metadata.merchant_reference_id == "M-20261123-0001"

    charge = await provider.create_charge(
        charge_permission_id=permission.charge_permission_id,
        amount_jpy=980,
        merchant_reference_id="M-20261130-0002",
        idempotency_key=unique("ren-0001-1"),
    )
    assert charge.state is ChargeState.captured
    assert charge.captured_jpy == 980
    assert charge.merchant_metadata is not None
    assert charge.merchant_metadata.merchant_reference_id == "M-20261130-0002"

    await sim.control.set_refund_settlement("manual")
    refund = await provider.create_refund(
        charge_id=charge.charge_id, amount_jpy=300, idempotency_key=unique("ref-0001")
    )
    assert refund.state is RefundState.refund_initiated
    assert (await provider.get_refund(refund.refund_id)).state is RefundState.refund_initiated
    await sim.control.settle_refund(refund.refund_id)
    settled = await provider.get_refund(refund.refund_id)
    assert settled.state is RefundState.refunded
    assert settled.status_details.last_updated_timestamp >= refund.creation_timestamp
    assert (await provider.get_charge(charge.charge_id)).refunded_jpy == 300


async def test_r_pay_1_one_time_checkout_captures_at_completion(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    session = await sim.completed_checkout(provider, recurring=False, amount_jpy=12_000)
    assert session.charge_id is not None
    charge = await provider.get_charge(session.charge_id)
    assert charge.state is ChargeState.captured
    assert charge.captured_jpy == 12_000
    assert charge.charge_permission_id == session.charge_permission_id
    assert session.charge_permission_id is not None
    permission = await provider.get_charge_permission(session.charge_permission_id)
    assert permission.charge_permission_type is ChargePermissionType.one_time


async def test_r_pay_1_refunds_never_exceed_the_captured_amount(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    session = await sim.completed_checkout(provider, recurring=False, amount_jpy=1_000)
    assert session.charge_id is not None
    await provider.create_refund(
        charge_id=session.charge_id, amount_jpy=600, idempotency_key=unique("r-a")
    )
    await provider.create_refund(
        charge_id=session.charge_id, amount_jpy=400, idempotency_key=unique("r-b")
    )
    with pytest.raises(ProviderRejected) as refused:
        await provider.create_refund(
            charge_id=session.charge_id, amount_jpy=1, idempotency_key=unique("r-c")
        )
    assert refused.value.reason_code == "TransactionAmountExceeded"
    assert await sim.control.wait_idle()
    assert (await provider.get_charge(session.charge_id)).refunded_jpy == 1_000


async def test_r_pay_1_complete_before_buyer_approval_is_refused(
    provider: ProviderClient,
) -> None:
    session = await provider.create_checkout_session(
        recurring=True,
        amount_jpy=980,
        merchant_reference_id="M-1",
        return_url="https://manabi.example/r",
        idempotency_key=unique("early"),
    )
    with pytest.raises(ProviderRejected) as refused:
        await provider.complete_checkout_session(session.checkout_session_id, amount_jpy=980)
    assert refused.value.status_code == 422
    assert refused.value.reason_code == "InvalidCheckoutSessionStatus"


async def test_r_pay_1_decline_at_one_time_checkout_cancels_the_session(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    session = await provider.create_checkout_session(
        recurring=False,
        amount_jpy=5_000,
        merchant_reference_id="M-2",
        return_url="https://manabi.example/r",
        idempotency_key=unique("declined"),
    )
    await sim.control.queue_checkout_outcomes(session.checkout_session_id, ["HardDeclined"])
    await sim.control.approve_checkout(session.checkout_session_id)
    with pytest.raises(ProviderRejected) as refused:
        await provider.complete_checkout_session(session.checkout_session_id, amount_jpy=5_000)
    assert refused.value.reason_code == "CheckoutSessionCanceled"
    canceled = await provider.get_checkout_session(session.checkout_session_id)
    assert canceled.state is CheckoutSessionState.canceled
    assert canceled.status_details.reason_code == "Declined"
    assert canceled.charge_permission_id is None


@pytest.mark.parametrize("reason", ["SoftDeclined", "ProcessingFailure"])
async def test_r_pay_1_soft_declines_return_a_declined_charge_and_keep_the_permission(
    sim: SimulatorHandle, provider: ProviderClient, reason: str
) -> None:
    permission = await permission_id(sim, provider)
    await sim.control.queue_charge_outcomes(permission, [reason])
    declined = await provider.create_charge(
        charge_permission_id=permission,
        amount_jpy=980,
        merchant_reference_id="M-3",
        idempotency_key=unique("ren-soft-1"),
    )
    assert declined.state is ChargeState.declined
    assert declined.reason_code == reason
    assert declined.captured_jpy == 0
    assert (await provider.get_charge_permission(permission)).is_chargeable
    retried = await provider.create_charge(
        charge_permission_id=permission,
        amount_jpy=980,
        merchant_reference_id="M-3",
        idempotency_key=unique("ren-soft-2"),  # a new attempt after a decline takes a new key
    )
    assert retried.state is ChargeState.captured


async def test_r_pay_1_hard_decline_makes_the_permission_non_chargeable_until_fixed(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    permission = await permission_id(sim, provider)
    ren_hard_2 = unique("ren-hard-2")
    await sim.control.queue_charge_outcomes(permission, ["HardDeclined"])
    declined = await provider.create_charge(
        charge_permission_id=permission,
        amount_jpy=980,
        merchant_reference_id="M-4",
        idempotency_key=unique("ren-hard-1"),
    )
    assert declined.state is ChargeState.declined
    assert declined.reason_code == "HardDeclined"
    blocked = await provider.get_charge_permission(permission)
    assert blocked.state is ChargePermissionState.non_chargeable
    assert blocked.status_details.reason_code == "PaymentMethodInvalid"
    with pytest.raises(ProviderRejected) as refused:
        await provider.create_charge(
            charge_permission_id=permission,
            amount_jpy=980,
            merchant_reference_id="M-4",
            idempotency_key=ren_hard_2,
        )
    assert refused.value.reason_code == "InvalidChargePermissionStatus"

    await sim.control.fix_payment_method(permission)
    assert (await provider.get_charge_permission(permission)).is_chargeable
    charge = await provider.create_charge(
        charge_permission_id=permission,
        amount_jpy=980,
        merchant_reference_id="M-4",
        idempotency_key=ren_hard_2,  # the refused call stored nothing: same key works now
    )
    assert charge.state is ChargeState.captured


async def test_r_pay_1_idempotent_replay_returns_the_first_charge(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    permission = await permission_id(sim, provider)
    arguments = {
        "charge_permission_id": permission,
        "amount_jpy": 980,
        "merchant_reference_id": "M-5",
        "idempotency_key": unique("ren-replay"),
    }
    first = await provider.create_charge(**arguments)  # type: ignore[arg-type]
    second = await provider.create_charge(**arguments)  # type: ignore[arg-type]
    assert second.charge_id == first.charge_id
    assert len(await charge_notifications(sim, permission)) == 1


async def test_r_pay_1_same_key_with_other_values_is_a_conflict(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    permission = await permission_id(sim, provider)
    ren_conflict_1 = unique("ren-conflict")
    await provider.create_charge(
        charge_permission_id=permission,
        amount_jpy=980,
        merchant_reference_id="M-6",
        idempotency_key=ren_conflict_1,
    )
    with pytest.raises(ProviderIdempotencyConflict) as conflict:
        await provider.create_charge(
            charge_permission_id=permission,
            amount_jpy=1_980,
            merchant_reference_id="M-6",
            idempotency_key=ren_conflict_1,
        )
    assert conflict.value.reason_code == "DuplicateIdempotencyKey"
    assert conflict.value.status_code == 400
    assert len(await charge_notifications(sim, permission)) == 1


async def test_r_pay_1_adapter_retries_a_503_with_the_same_key(sim: SimulatorHandle) -> None:
    """The charge is made, the answer is lost (503): the retry gets the same charge."""
    seen_keys: list[str | None] = []
    ren_retry_1 = unique("ren-retry")

    async def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/charges"):
            seen_keys.append(request.headers.get("x-amz-pay-idempotency-key"))

    async with sim.provider() as setup:
        permission = await permission_id(sim, setup)
    transport = httpx.AsyncHTTPTransport()
    async with sim.provider(transport=transport) as provider:
        provider.transport.http.event_hooks["request"] = [record]
        await sim.control.inject_failure(503, path_prefix="/v2/charges", when="after")
        charge = await provider.create_charge(
            charge_permission_id=permission,
            amount_jpy=980,
            merchant_reference_id="M-7",
            idempotency_key=ren_retry_1,
        )
    assert charge.state is ChargeState.captured
    assert seen_keys == [ren_retry_1, ren_retry_1]
    notes = await charge_notifications(sim, permission)
    assert [note["objectId"] for note in notes] == [charge.charge_id]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_r_pay_1_transient_statuses_are_retried(
    sim: SimulatorHandle, provider: ProviderClient, status: int
) -> None:
    permission = await permission_id(sim, provider)
    await sim.control.inject_failure(
        status, count=2, path_prefix=f"/v2/chargePermissions/{permission}"
    )
    fetched = await provider.get_charge_permission(permission)
    assert fetched.charge_permission_id == permission


async def test_r_pay_1_retries_are_bounded(sim: SimulatorHandle) -> None:
    async with sim.provider(max_attempts=3) as provider:
        permission = await permission_id(sim, provider)
        ren_bounded_1 = unique("ren-bounded")
        await sim.control.inject_failure(503, count=3, path_prefix="/v2/charges")
        with pytest.raises(ProviderUnavailable) as unavailable:
            await provider.create_charge(
                charge_permission_id=permission,
                amount_jpy=980,
                merchant_reference_id="M-8",
                idempotency_key=ren_bounded_1,
            )
        assert unavailable.value.attempts == 3
        assert unavailable.value.status_code == 503
        assert await charge_notifications(sim, permission) == []
        # Later, the same key goes through once the provider is back.
        charge = await provider.create_charge(
            charge_permission_id=permission,
            amount_jpy=980,
            merchant_reference_id="M-8",
            idempotency_key=ren_bounded_1,
        )
        assert charge.state is ChargeState.captured


async def test_r_pay_1_retry_after_is_honoured(sim: SimulatorHandle) -> None:
    async with sim.provider(backoff_seconds=0.01) as provider:
        permission = await permission_id(sim, provider)
        await sim.control.inject_failure(
            429, path_prefix=f"/v2/chargePermissions/{permission}", retry_after=1
        )
        started = time.monotonic()
        await provider.get_charge_permission(permission)
        assert time.monotonic() - started >= 0.9


async def test_r_pay_1_unreachable_provider_is_unavailable_after_retries(
    sim: SimulatorHandle,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with sim.provider(
        base_url=f"http://127.0.0.1:{closed_port}/v2", max_attempts=2
    ) as provider:
        with pytest.raises(ProviderUnavailable) as unavailable:
            await provider.get_charge("S03-0000000-0000000-C00000")
    assert unavailable.value.status_code is None
    assert unavailable.value.attempts == 2


async def test_r_pay_1_unknown_objects_are_not_found(provider: ProviderClient) -> None:
    with pytest.raises(ProviderNotFound) as missing:
        await provider.get_charge("S03-0000000-0000000-C99999")
    assert missing.value.reason_code == "ResourceNotFound"
    assert missing.value.status_code == 404


async def test_r_pay_1_merchant_and_buyer_closures(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    ours = await permission_id(sim, provider)
    closed = await provider.close_charge_permission(ours, reason="会員が解約しました")
    assert closed.state is ChargePermissionState.closed
    assert closed.status_details.reason_code == "MerchantClosed"
    assert (await provider.close_charge_permission(ours, reason="again")).state is (
        ChargePermissionState.closed
    )

    theirs = await permission_id(sim, provider)
    await sim.control.buyer_close_permission(theirs)
    buyer_closed = await provider.get_charge_permission(theirs)
    assert buyer_closed.state is ChargePermissionState.closed
    assert buyer_closed.status_details.reason_code == "BuyerCanceled"


async def test_r_pay_1_authorize_then_capture(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    permission = await permission_id(sim, provider)
    authorized = await provider.create_charge(
        charge_permission_id=permission,
        amount_jpy=2_000,
        merchant_reference_id="M-9",
        idempotency_key=unique("auth-1"),
        capture_now=False,
    )
    assert authorized.state is ChargeState.authorized
    captured = await provider.capture_charge(
        authorized.charge_id, amount_jpy=2_000, idempotency_key=unique("cap-1")
    )
    assert captured.state is ChargeState.captured
    other = await provider.create_charge(
        charge_permission_id=permission,
        amount_jpy=500,
        merchant_reference_id="M-9",
        idempotency_key=unique("auth-2"),
        capture_now=False,
    )
    assert (await provider.cancel_charge(other.charge_id, reason="not needed")).state is (
        ChargeState.canceled
    )


async def test_r_pay_1_simulator_refuses_a_signature_from_another_key(
    sim: SimulatorHandle,
) -> None:
    stranger_key, _ = generate_key_pair()
    async with sim.provider(private_key_pem=stranger_key) as stranger:
        with pytest.raises(ProviderRejected) as refused:
            await stranger.get_charge("S03-0000000-0000000-C00000")
    assert refused.value.status_code == 401
    assert refused.value.reason_code == "InvalidRequestSignature"


async def test_r_pay_1_simulator_refuses_a_tampered_body(
    sim: SimulatorHandle, provider: ProviderClient
) -> None:
    permission = await permission_id(sim, provider)
    body = {
        "chargePermissionId": permission,
        "chargeAmount": {"amount": "980", "currencyCode": "JPY"},
        "captureNow": True,
    }
    url = httpx.URL(f"{sim.api_base_url}/charges")
    content = json.dumps(body).encode()
    headers = provider.transport.signed_headers("POST", url, content, "tamper-1")
    tampered = content.replace(b'"980"', b'"9"')
    async with httpx.AsyncClient() as raw:
        answer = await raw.post(url, content=tampered, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["reasonCode"] == "InvalidRequestSignature"
        unsigned = await raw.get(f"{sim.api_base_url}/chargePermissions/{permission}")
        assert unsigned.status_code == 401
    assert await charge_notifications(sim, permission) == []


@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [
        ({"amount": "980.5", "currencyCode": "JPY"}, "shape-1", "InvalidParameterValue"),
        ({"amount": "980", "currencyCode": "USD"}, "shape-2", "CurrencyMismatch"),
        ({"amount": "0", "currencyCode": "JPY"}, "shape-3", "InvalidParameterValue"),
        ({"amount": "980", "currencyCode": "JPY"}, "bad key!", "InvalidHeaderValue"),
        ({"amount": "980", "currencyCode": "JPY"}, "k" * 33, "InvalidHeaderValue"),
        ({"amount": "980", "currencyCode": "JPY"}, None, "MissingHeaderValue"),
    ],
)
async def test_r_pay_1_simulator_validates_shapes(
    sim: SimulatorHandle,
    provider: ProviderClient,
    body: dict[str, str],
    key: str | None,
    reason: str,
) -> None:
    permission = await permission_id(sim, provider)
    with pytest.raises(ProviderRejected) as refused:
        await provider.request(
            "POST",
            "charges",
            body={"chargePermissionId": permission, "chargeAmount": body, "captureNow": True},
            idempotency_key=key,
        )
    assert refused.value.status_code == 400
    assert refused.value.reason_code == reason


async def test_r_pay_1_adapter_refuses_fractional_amounts_and_bad_keys_locally(
    provider: ProviderClient,
) -> None:
    with pytest.raises(ValueError, match="whole number of yen"):
        await provider.create_refund(charge_id="C", amount_jpy=0, idempotency_key=unique("ok"))
    with pytest.raises(ValueError, match="whole number of yen"):
        await provider.create_refund(charge_id="C", amount_jpy=9.5, idempotency_key=unique("ok"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="idempotency key"):
        await provider.create_refund(charge_id="C", amount_jpy=1, idempotency_key="x" * 33)


async def test_r_pay_1_client_built_from_settings(sim: SimulatorHandle) -> None:
    async with build_provider_client(sim.settings) as provider:
        session = await sim.completed_checkout(provider)
        assert session.state is CheckoutSessionState.completed
    keyless = sim.settings.model_copy(
        update={"payment_private_key_pem": None, "payment_private_key_file": None}
    )
    with pytest.raises(RuntimeError, match="MANABI_PAYMENT_PRIVATE_KEY"):
        build_provider_client(keyless)
