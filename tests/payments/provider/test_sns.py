"""R-PAY-2: SNS notification verification, with real notifications signed by the simulator.

Good SignatureVersion 1 and 2 messages pass; every forgery is refused with its own reason.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.config import Environment, Settings
from app.payments.provider.sns import (
    CertificateUnavailable,
    InvalidNotification,
    IpnObjectType,
    NotificationVerifier,
    check_certificate_url,
    parse_envelope,
    signing_string,
)
from app.payments.simulator.certificates import SnsSigner
from tests.payments.simulator_client import HeldNotification, SimulatorHandle

MAX_BYTES = 65_536


class CountingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, counting the requests (to see the certificate cache work)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def verifier(sim: SimulatorHandle) -> AsyncIterator[NotificationVerifier]:
    verifier = NotificationVerifier.from_settings(sim.settings)
    yield verifier
    await verifier.aclose()


async def charge_notification(sim: SimulatorHandle, *, version: str = "2") -> HeldNotification:
    """A real CHARGE notification held by the simulator."""
    await sim.control.set_notification_mode("hold", signature_version=version)
    async with sim.provider() as provider:
        session = await sim.completed_checkout(provider)
        assert session.charge_permission_id
        await provider.create_charge(
            charge_permission_id=session.charge_permission_id,
            amount_jpy=980,
            merchant_reference_id="M-SNS",
            idempotency_key=f"sns-{uuid.uuid4().hex[:20]}",
        )
    held = await sim.control.held_notifications()
    charges = [note for note in held if note.object_type == "CHARGE"]
    assert len(charges) == 1
    return charges[0]


def envelope_of(note: HeldNotification) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(note.body)
    return document


def body_of(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


async def refused_reason(
    verifier: NotificationVerifier, body: bytes, header_type: str | None = "Notification"
) -> str:
    with pytest.raises(InvalidNotification) as refused:
        envelope = parse_envelope(body, header_type=header_type, max_bytes=MAX_BYTES)
        await verifier.verify(envelope)
    return refused.value.reason


@pytest.mark.parametrize("version", ["1", "2"])
async def test_r_pay_2_genuine_notifications_pass(
    sim: SimulatorHandle, verifier: NotificationVerifier, version: str
) -> None:
    note = await charge_notification(sim, version=version)
    document = envelope_of(note)
    assert document["SignatureVersion"] == version
    assert note.headers["content-type"].startswith("text/plain")
    envelope = parse_envelope(
        note.body, header_type=note.headers["x-amz-sns-message-type"], max_bytes=MAX_BYTES
    )
    message = await verifier.verify(envelope)
    assert message is not None
    assert message.message_id == note.message_id == document["MessageId"]
    assert message.object_type is IpnObjectType.charge
    assert message.object_id == note.object_id
    assert message.charge_permission_id == note.charge_permission_id
    assert message.merchant_id == sim.settings.payment_merchant_id
    assert message.notification_type == "STATE_CHANGE"
    assert message.notification_version == "V2"
    assert message.published_at.tzinfo is UTC


async def test_r_pay_2_subscription_confirmation_is_verified_without_a_message(
    sim: SimulatorHandle, verifier: NotificationVerifier
) -> None:
    note = await sim.control.subscription_confirmation()
    envelope = parse_envelope(
        note.body, header_type="SubscriptionConfirmation", max_bytes=MAX_BYTES
    )
    assert await verifier.verify(envelope) is None
    document = envelope_of(note)
    document["SubscribeURL"] = "https://attacker.example/confirm"
    reason = await refused_reason(verifier, body_of(document), "SubscriptionConfirmation")
    assert reason == "signature_invalid"


def _forge_signature(document: dict[str, Any]) -> None:
    signature = bytearray(base64.b64decode(document["Signature"]))
    signature[10] ^= 0xFF
    document["Signature"] = base64.b64encode(bytes(signature)).decode()


def _alter_message(document: dict[str, Any]) -> None:
    inner = json.loads(document["Message"])
    inner["ObjectId"] = "S03-0000000-0000000-C99999"
    document["Message"] = json.dumps(inner)


def _set(name: str, value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        document[name] = value

    return change


def _cert_url(replace: tuple[str, str]) -> Any:
    def change(document: dict[str, Any]) -> None:
        document["SigningCertURL"] = document["SigningCertURL"].replace(*replace)

    return change


FORGERIES: list[tuple[str, Any, str]] = [
    ("forged signature", _forge_signature, "signature_invalid"),
    ("signature not base64", _set("Signature", "%%%"), "signature_invalid"),
    ("altered message", _alter_message, "signature_invalid"),
    ("altered timestamp", _set("Timestamp", "2030-01-01T00:00:00.000Z"), "signature_invalid"),
    ("added subject", _set("Subject", "hello"), "signature_invalid"),
    ("wrong topic", _set("TopicArn", "arn:aws:sns:ap-northeast-1:999:evil"), "unknown_topic"),
    ("cert over http", _cert_url(("https://", "http://")), "certificate_url_not_https"),
    (
        "cert on another host",
        _cert_url(("amazonaws.com", "amazonaws.com.evil.example")),
        "certificate_url_host",
    ),
    ("cert in another region", _cert_url(("ap-northeast-1", "us-east-1")), "certificate_url_host"),
    ("cert not .pem", _cert_url((".pem", ".txt")), "certificate_url_not_pem"),
    ("unknown signature version", _set("SignatureVersion", "3"), "unsupported_signature_version"),
    ("missing signature", _set("Signature", None), "missing_field"),
]


@pytest.mark.parametrize(
    ("change", "reason"),
    [(change, reason) for _name, change, reason in FORGERIES],
    ids=[name for name, _change, _reason in FORGERIES],
)
async def test_r_pay_2_forgeries_are_refused(
    sim: SimulatorHandle, verifier: NotificationVerifier, change: Any, reason: str
) -> None:
    document = envelope_of(await charge_notification(sim))
    change(document)
    document = {name: value for name, value in document.items() if value is not None}
    assert await refused_reason(verifier, body_of(document)) == reason


async def test_r_pay_2_foreign_merchant_and_other_topic_are_refused(
    sim: SimulatorHandle,
) -> None:
    note = await charge_notification(sim)
    envelope = parse_envelope(note.body, header_type="Notification", max_bytes=MAX_BYTES)
    settings = sim.settings
    other_merchant = NotificationVerifier.from_settings(
        settings.model_copy(update={"payment_merchant_id": "SOMEONEELSE"})
    )
    other_topic = NotificationVerifier.from_settings(
        settings.model_copy(update={"payment_sns_topic_arn": "arn:aws:sns:ap-northeast-1:1:x"})
    )
    try:
        with pytest.raises(InvalidNotification) as foreign:
            await other_merchant.verify(envelope)
        assert foreign.value.reason == "foreign_merchant"
        with pytest.raises(InvalidNotification) as topic:
            await other_topic.verify(envelope)
        assert topic.value.reason == "unknown_topic"
    finally:
        await other_merchant.aclose()
        await other_topic.aclose()


async def test_r_pay_2_envelope_checks_come_first(sim: SimulatorHandle) -> None:
    note = await charge_notification(sim)
    with pytest.raises(InvalidNotification) as too_large:
        parse_envelope(note.body, header_type="Notification", max_bytes=len(note.body) - 1)
    assert too_large.value.reason == "body_too_large"
    with pytest.raises(InvalidNotification) as mismatch:
        parse_envelope(note.body, header_type="SubscriptionConfirmation", max_bytes=MAX_BYTES)
    assert mismatch.value.reason == "type_mismatch"
    with pytest.raises(InvalidNotification) as missing_header:
        parse_envelope(note.body, header_type=None, max_bytes=MAX_BYTES)
    assert missing_header.value.reason == "missing_type_header"
    with pytest.raises(InvalidNotification) as not_json:
        parse_envelope(b"MerchantID=1", header_type="Notification", max_bytes=MAX_BYTES)
    assert not_json.value.reason == "body_not_json"
    document = envelope_of(note)
    document["Type"] = "Advertisement"
    with pytest.raises(InvalidNotification) as unknown:
        parse_envelope(body_of(document), header_type="Advertisement", max_bytes=MAX_BYTES)
    assert unknown.value.reason == "unknown_type"


async def test_r_pay_2_each_kind_of_refusal_has_its_own_reason(sim: SimulatorHandle) -> None:
    """The webhook logs the reason: forged, wrong topic, foreign merchant, bad certificate URL,
    oversized and mismatched messages can be told apart (a forged signature and an altered
    message are the same failure: the signature does not match the content)."""
    note = await charge_notification(sim)
    strict = NotificationVerifier.from_settings(sim.settings)
    foreign = NotificationVerifier.from_settings(
        sim.settings.model_copy(update={"payment_merchant_id": "SOMEONEELSE"})
    )
    reasons: dict[str, str] = {}
    try:
        for name, change, _reason in FORGERIES:
            if name in ("forged signature", "wrong topic", "cert over http", "cert not .pem"):
                document = envelope_of(note)
                change(document)
                reasons[name] = await refused_reason(strict, body_of(document))
        reasons["cert on another host"] = await refused_reason(
            strict, body_of(dict(envelope_of(note), SigningCertURL="https://evil.example/a.pem"))
        )
        reasons["foreign merchant"] = await refused_reason(foreign, note.body)
        reasons["oversized"] = await refused_reason(strict, note.body + b" " * MAX_BYTES)
        reasons["type mismatch"] = await refused_reason(
            strict, note.body, "UnsubscribeConfirmation"
        )
    finally:
        await strict.aclose()
        await foreign.aclose()
    assert len(reasons) == 8
    assert len(set(reasons.values())) == 8, reasons


def own_signed(fields: dict[str, str], signer: SnsSigner, version: str = "2") -> bytes:
    document = dict(fields, SignatureVersion=version, SigningCertURL=signer.signing_cert_url)
    document["Signature"] = signer.sign(signing_string(document), signature_version=version)
    return body_of(document)


@pytest.fixture(scope="module")
def signer() -> SnsSigner:
    return SnsSigner(region="ap-northeast-1")


@pytest.fixture
async def own_verifier(
    sim: SimulatorHandle, signer: SnsSigner
) -> AsyncIterator[NotificationVerifier]:
    """Trusts `signer`'s certificate (served for any URL), with the session's topic/merchant."""

    async def serve_certificate(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=signer.certificate_pem)

    verifier = NotificationVerifier.from_settings(
        sim.settings, transport=httpx.MockTransport(serve_certificate)
    )
    yield verifier
    await verifier.aclose()


def ipn_fields(sim: SimulatorHandle, **inner_changes: Any) -> dict[str, str]:
    inner = {
        "ReleaseEnvironment": "Sandbox",
        "MerchantID": sim.settings.payment_merchant_id,
        "ObjectType": "REFUND",
        "ObjectId": "S03-1234567-1234567-R00001",
        "ChargePermissionId": "S03-1234567-1234567",
        "NotificationType": "STATE_CHANGE",
        "NotificationId": str(uuid.uuid4()),
        "NotificationVersion": "V2",
        **inner_changes,
    }
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": sim.settings.payment_sns_topic_arn,
        "Subject": "Amazon Pay IPN",
        "Message": json.dumps(inner),
        "Timestamp": "2026-11-23T03:04:05.678Z",
    }


async def test_r_pay_2_subject_is_signed_when_present(
    sim: SimulatorHandle, signer: SnsSigner, own_verifier: NotificationVerifier
) -> None:
    fields = ipn_fields(sim)
    body = own_signed(fields, signer, version="1")
    message = await own_verifier.verify(
        parse_envelope(body, header_type="Notification", max_bytes=MAX_BYTES)
    )
    assert message is not None
    assert message.object_type is IpnObjectType.refund
    assert message.published_at == datetime(2026, 11, 23, 3, 4, 5, 678_000, tzinfo=UTC)
    tampered = json.loads(body)
    tampered["Subject"] = "Something else"
    assert await refused_reason(own_verifier, body_of(tampered)) == "signature_invalid"


@pytest.mark.parametrize(
    ("inner_changes", "reason"),
    [
        ({"NotificationVersion": "V1"}, "unsupported_notification_version"),
        ({"ObjectType": "ORDER"}, "unknown_object_type"),
        ({"MerchantID": "SOMEONEELSE"}, "foreign_merchant"),
        ({"ObjectId": ""}, "message_malformed"),
    ],
)
async def test_r_pay_2_inner_message_is_checked_after_the_signature(
    sim: SimulatorHandle,
    signer: SnsSigner,
    own_verifier: NotificationVerifier,
    inner_changes: dict[str, str],
    reason: str,
) -> None:
    """A correctly signed message for another version, object type or merchant is refused."""
    body = own_signed(ipn_fields(sim, **inner_changes), signer)
    assert await refused_reason(own_verifier, body) == reason


async def test_r_pay_2_message_that_is_not_json_is_refused(
    sim: SimulatorHandle, signer: SnsSigner, own_verifier: NotificationVerifier
) -> None:
    fields = dict(ipn_fields(sim), Message="MerchantID=MANABI")
    assert await refused_reason(own_verifier, own_signed(fields, signer)) == "message_not_json"


async def test_r_pay_2_certificate_is_fetched_once_and_cached(sim: SimulatorHandle) -> None:
    transport = CountingTransport()
    verifier = NotificationVerifier.from_settings(sim.settings, transport=transport)
    try:
        for _ in range(3):
            note = await charge_notification(sim)
            envelope = parse_envelope(note.body, header_type="Notification", max_bytes=MAX_BYTES)
            assert await verifier.verify(envelope) is not None
        assert len(transport.requests) == 1
        assert transport.requests[0].startswith(f"{sim.base_url}/_sim/sns/")
        assert transport.requests[0].endswith(".pem")
    finally:
        await verifier.aclose()


async def test_r_pay_2_unreachable_certificate_is_retryable(sim: SimulatorHandle) -> None:
    note = await charge_notification(sim)
    envelope = parse_envelope(note.body, header_type="Notification", max_bytes=MAX_BYTES)
    verifier = NotificationVerifier.from_settings(
        sim.settings.model_copy(
            update={"payment_sns_cert_fetch_base_url": f"{sim.base_url}/_sim/nowhere/"}
        )
    )
    try:
        with pytest.raises(CertificateUnavailable) as unavailable:
            await verifier.verify(envelope)
        assert unavailable.value.retryable
        assert unavailable.value.reason == "certificate_unavailable"
    finally:
        await verifier.aclose()


async def test_r_pay_2_expired_certificate_is_refused(
    sim: SimulatorHandle, verifier: NotificationVerifier
) -> None:
    note = await charge_notification(sim)
    envelope = parse_envelope(note.body, header_type="Notification", max_bytes=MAX_BYTES)
    with pytest.raises(InvalidNotification) as expired:
        await verifier.verify(envelope, now=datetime(2099, 1, 1, tzinfo=UTC))
    assert expired.value.reason == "certificate_expired"


async def test_r_pay_2_a_pem_that_is_not_a_certificate_is_refused(sim: SimulatorHandle) -> None:
    """The fetch override points at something that answers 200 but is no certificate."""
    note = await charge_notification(sim)
    envelope = parse_envelope(note.body, header_type="Notification", max_bytes=MAX_BYTES)

    async def not_a_certificate(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"-----BEGIN CERTIFICATE-----\nAAAA\n")

    verifier = NotificationVerifier.from_settings(
        sim.settings, transport=httpx.MockTransport(not_a_certificate)
    )
    try:
        with pytest.raises(InvalidNotification) as invalid:
            await verifier.verify(envelope)
        assert invalid.value.reason == "certificate_invalid"
    finally:
        await verifier.aclose()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://sns.ap-northeast-1.amazonaws.com/SimpleNotificationService-abc.pem", None),
        ("https://SNS.ap-northeast-1.amazonaws.com/SimpleNotificationService-abc.pem", None),
        ("http://sns.ap-northeast-1.amazonaws.com/a.pem", "certificate_url_not_https"),
        ("https://sns.ap-northeast-1.amazonaws.com.evil.example/a.pem", "certificate_url_host"),
        ("https://evil.example/sns.ap-northeast-1.amazonaws.com/a.pem", "certificate_url_host"),
        ("https://sns.ap-northeast-1.amazonaws.com:8443/a.pem", "certificate_url_host"),
        ("https://x@sns.ap-northeast-1.amazonaws.com/a.pem", "certificate_url_host"),
        ("https://snsXap-northeast-1.amazonaws.com/a.pem", "certificate_url_host"),
        ("https://sns.ap-northeast-1.amazonaws.com/a.pem?x=.pem", "certificate_url_not_pem"),
        ("https://sns.ap-northeast-1.amazonaws.com/a.crt", "certificate_url_not_pem"),
    ],
)
def test_r_pay_2_certificate_url_rules(url: str, reason: str | None) -> None:
    if reason is None:
        check_certificate_url(url, region="ap-northeast-1")
        return
    with pytest.raises(InvalidNotification) as refused:
        check_certificate_url(url, region="ap-northeast-1")
    assert refused.value.reason == reason


def test_r_pay_2_production_refuses_the_certificate_fetch_override() -> None:
    values: dict[str, Any] = {
        "environment": Environment.production,
        "database_url": "postgresql+asyncpg://db.internal/manabi",
        "secret_key": "a" * 16 + "B" * 16 + "c" * 8,
        "signing_key": "x" * 20 + "Y" * 20,
        "test_clock_enabled": False,
        "payment_private_key_file": "/run/secrets/amazon-pay.pem",
        "payment_provider_base_url": "https://pay-api.amazon.jp/v2",
    }
    Settings(**values).check_production()
    with pytest.raises(RuntimeError, match="MANABI_PAYMENT_SNS_CERT_FETCH_BASE_URL"):
        Settings(
            **values, payment_sns_cert_fetch_base_url="http://127.0.0.1:8001/_sim/sns/"
        ).check_production()
    without_key = {**values, "payment_private_key_file": None}
    with pytest.raises(RuntimeError, match="MANABI_PAYMENT_PRIVATE_KEY"):
        Settings(**without_key).check_production()
    with pytest.raises(RuntimeError, match="MANABI_PAYMENT_PROVIDER_BASE_URL"):
        Settings(
            **{**values, "payment_provider_base_url": "http://127.0.0.1:8001/v2"}
        ).check_production()
