"""Verification of the provider's notifications (IPN) delivered through Amazon SNS (R-PAY-2).

The webhook hands the raw body and the `x-amz-sns-message-type` header to `parse_envelope`,
then awaits `NotificationVerifier.verify(envelope)`. Every refusal raises `InvalidNotification`
with a short machine `reason` (logged, answered 400); nothing is trusted before it passes:

1. body size-capped, JSON object, the fields its Type needs, header type == body `Type`;
2. `SigningCertURL`: https, host `sns.<region>.amazonaws.com` (regex on the host), path ends in
   `.pem`, no query;
3. `TopicArn` is one we subscribed (checked before any certificate is fetched);
4. the certificate (fetched once per URL, cached) parses as X.509, holds an RSA key and is
   currently valid;
5. the signature over `key\\nvalue\\n` of the signed keys in order (Notification: Message,
   MessageId, Subject if present, Timestamp, TopicArn, Type; confirmations: Message, MessageId,
   SubscribeURL, Timestamp, Token, TopicArn, Type): SignatureVersion 1 = SHA1withRSA,
   2 = SHA256withRSA;
6. for a Notification, the inner `Message` JSON: our `MerchantID`, a known `ObjectType`,
   `NotificationVersion` "V2".

Subscription and unsubscribe confirmations are verified the same way and returned as `None`
(never fetch a SubscribeURL automatically). There is no timestamp freshness window: SNS retries
for days and replay safety comes from de-duplicating on MessageId (PAYMENTS.md).

`cert_fetch_base_url` (development and tests only, refused in production by
`Settings.check_production`) fetches `<base>/<file name of the SigningCertURL>` from the simulator
instead of the real host; the URL checks of step 2 still run on the message's own URL.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from app.config import Settings

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"
MESSAGE_TYPES = frozenset({NOTIFICATION, SUBSCRIPTION_CONFIRMATION, UNSUBSCRIBE_CONFIRMATION})

NOTIFICATION_SIGNED_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_SIGNED_KEYS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
_COMMON_FIELDS = (
    "Type",
    "MessageId",
    "TopicArn",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
)
_CONFIRMATION_FIELDS = ("SubscribeURL", "Token")
SUPPORTED_NOTIFICATION_VERSION = "V2"


class InvalidNotification(Exception):
    """A notification we refuse; `reason` is a short machine word for logs and tests."""

    retryable = False

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class CertificateUnavailable(InvalidNotification):
    """The signing certificate could not be fetched: not proven invalid, so the webhook may
    answer 503 and let SNS retry instead of 400."""

    retryable = True


class IpnObjectType(StrEnum):
    charge_permission = "CHARGE_PERMISSION"
    charge = "CHARGE"
    refund = "REFUND"
    chargeback = "CHARGEBACK"


@dataclass(frozen=True)
class Envelope:
    """A parsed (not yet verified) SNS message. `fields` holds every top-level string field."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    signature_version: str
    signature: str
    signing_cert_url: str
    subject: str | None
    fields: dict[str, str]
    raw: bytes

    def string_to_sign(self) -> bytes:
        return signing_string(self.fields)


@dataclass(frozen=True)
class IpnMessage:
    """The inner message of a verified Notification. It carries no state: GET the object."""

    message_id: str  # SNS MessageId: the same on every retry, the inbox key
    published_at: datetime
    merchant_id: str
    object_type: IpnObjectType
    object_id: str
    charge_permission_id: str | None
    notification_type: str  # STATE_CHANGE, ATTRIBUTE_CHANGE
    notification_id: str
    notification_version: str
    release_environment: str | None


def signing_string(fields: Mapping[str, str]) -> bytes:
    """`key\nvalue\n` for the signed keys of the message's Type, in order, those present."""
    notification = fields.get("Type") == NOTIFICATION
    keys = NOTIFICATION_SIGNED_KEYS if notification else CONFIRMATION_SIGNED_KEYS
    return "".join(f"{key}\n{fields[key]}\n" for key in keys if key in fields).encode("utf-8")


def parse_envelope(raw: bytes, *, header_type: str | None, max_bytes: int) -> Envelope:
    """Step 1: size, JSON, required fields, header type == body Type."""
    if len(raw) > max_bytes:
        raise InvalidNotification("body_too_large")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidNotification("body_not_json") from error
    if not isinstance(document, dict):
        raise InvalidNotification("body_not_json")
    message_type = document.get("Type")
    if message_type not in MESSAGE_TYPES:
        raise InvalidNotification("unknown_type")
    required = _COMMON_FIELDS + (_CONFIRMATION_FIELDS if message_type != NOTIFICATION else ())
    if any(not isinstance(document.get(name), str) for name in required):
        raise InvalidNotification("missing_field")
    if "Subject" in document and not isinstance(document["Subject"], str | None):
        raise InvalidNotification("missing_field")
    if header_type is None:
        raise InvalidNotification("missing_type_header")
    if header_type != message_type:
        raise InvalidNotification("type_mismatch")
    fields = {name: value for name, value in document.items() if isinstance(value, str)}
    return Envelope(
        type=message_type,
        message_id=fields["MessageId"],
        topic_arn=fields["TopicArn"],
        message=fields["Message"],
        timestamp=fields["Timestamp"],
        signature_version=fields["SignatureVersion"],
        signature=fields["Signature"],
        signing_cert_url=fields["SigningCertURL"],
        subject=fields.get("Subject"),
        fields=fields,
        raw=raw,
    )


def check_certificate_url(url: str, *, region: str) -> None:
    """Step 2: https, `sns.<region>.amazonaws.com`, a `.pem` path, nothing else."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise InvalidNotification("certificate_url_not_https")
    host_pattern = rf"sns\.{re.escape(region)}\.amazonaws\.com"
    if (
        parts.username is not None
        or parts.password is not None
        or parts.port not in (None, 443)
        or not re.fullmatch(host_pattern, parts.hostname or "")
    ):
        raise InvalidNotification("certificate_url_host")
    if not parts.path.endswith(".pem") or parts.query or parts.fragment:
        raise InvalidNotification("certificate_url_not_pem")


def _hash_for(signature_version: str) -> hashes.HashAlgorithm:
    if signature_version == "1":
        return hashes.SHA1()  # noqa: S303 - SNS SignatureVersion 1 is SHA1withRSA by definition
    if signature_version == "2":
        return hashes.SHA256()
    raise InvalidNotification("unsupported_signature_version")


def _parse_published_at(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidNotification("malformed_timestamp") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_ipn_message(envelope: Envelope, *, merchant_id: str) -> IpnMessage:
    """Step 6: the inner JSON message of a verified Notification."""
    try:
        inner: Any = json.loads(envelope.message)
    except ValueError as error:
        raise InvalidNotification("message_not_json") from error
    if not isinstance(inner, dict):
        raise InvalidNotification("message_not_json")
    if inner.get("MerchantID") != merchant_id:
        raise InvalidNotification("foreign_merchant")
    if inner.get("NotificationVersion") != SUPPORTED_NOTIFICATION_VERSION:
        raise InvalidNotification("unsupported_notification_version")
    try:
        object_type = IpnObjectType(str(inner.get("ObjectType")))
    except ValueError as error:
        raise InvalidNotification("unknown_object_type") from error
    text_fields = ("ObjectId", "NotificationType", "NotificationId")
    if any(not isinstance(inner.get(name), str) or not inner[name] for name in text_fields):
        raise InvalidNotification("message_malformed")
    permission = inner.get("ChargePermissionId")
    environment = inner.get("ReleaseEnvironment")
    return IpnMessage(
        message_id=envelope.message_id,
        published_at=_parse_published_at(envelope.timestamp),
        merchant_id=merchant_id,
        object_type=object_type,
        object_id=inner["ObjectId"],
        charge_permission_id=permission if isinstance(permission, str) and permission else None,
        notification_type=inner["NotificationType"],
        notification_id=inner["NotificationId"],
        notification_version=inner["NotificationVersion"],
        release_environment=environment if isinstance(environment, str) else None,
    )


class NotificationVerifier:
    """Verifies envelopes (steps 2-6); keeps fetched certificates in a small LRU cache."""

    def __init__(
        self,
        *,
        topic_arns: Collection[str],
        merchant_id: str,
        sns_region: str,
        cert_fetch_base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_seconds: float = 5,
        cache_size: int = 32,
        max_certificate_bytes: int = 65_536,
    ) -> None:
        self.topic_arns = frozenset(topic_arns)
        self.merchant_id = merchant_id
        self.sns_region = sns_region
        self.cert_fetch_base_url = cert_fetch_base_url
        self.cache_size = cache_size
        self.max_certificate_bytes = max_certificate_bytes
        self._certificates: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout_seconds)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> NotificationVerifier:
        return cls(
            topic_arns=[settings.payment_sns_topic_arn],
            merchant_id=settings.payment_merchant_id,
            sns_region=settings.payment_sns_region,
            cert_fetch_base_url=settings.payment_sns_cert_fetch_base_url,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def verify(self, envelope: Envelope, *, now: datetime | None = None) -> IpnMessage | None:
        """Steps 2-6. The IPN message of a Notification; `None` for a verified confirmation."""
        check_certificate_url(envelope.signing_cert_url, region=self.sns_region)
        algorithm = _hash_for(envelope.signature_version)
        if envelope.topic_arn not in self.topic_arns:
            raise InvalidNotification("unknown_topic")
        try:
            signature = base64.b64decode(envelope.signature, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidNotification("signature_invalid") from error
        certificate = await self._certificate(envelope.signing_cert_url)
        moment = now or datetime.now(UTC)
        if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
            raise InvalidNotification("certificate_expired")
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidNotification("certificate_invalid")
        try:
            public_key.verify(signature, envelope.string_to_sign(), padding.PKCS1v15(), algorithm)
        except InvalidSignature as error:
            raise InvalidNotification("signature_invalid") from error
        if envelope.type != NOTIFICATION:
            return None
        return parse_ipn_message(envelope, merchant_id=self.merchant_id)

    def fetch_url(self, signing_cert_url: str) -> str:
        """Where the certificate is actually fetched from (the override, when configured)."""
        if self.cert_fetch_base_url is None:
            return signing_cert_url
        name = PurePosixPath(urlsplit(signing_cert_url).path).name
        return f"{self.cert_fetch_base_url.rstrip('/')}/{name}"

    async def _certificate(self, signing_cert_url: str) -> x509.Certificate:
        cached = self._certificates.get(signing_cert_url)
        if cached is not None:
            self._certificates.move_to_end(signing_cert_url)
            return cached
        try:
            response = await self._http.get(self.fetch_url(signing_cert_url))
        except httpx.HTTPError as error:
            raise CertificateUnavailable("certificate_unavailable") from error
        if response.status_code != 200:
            raise CertificateUnavailable("certificate_unavailable")
        if len(response.content) > self.max_certificate_bytes:
            raise InvalidNotification("certificate_invalid")
        try:
            certificate = x509.load_pem_x509_certificate(response.content)
        except ValueError as error:
            raise InvalidNotification("certificate_invalid") from error
        self._certificates[signing_cert_url] = certificate
        while len(self._certificates) > self.cache_size:
            self._certificates.popitem(last=False)
        return certificate
