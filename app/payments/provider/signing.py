"""Request signing for the provider API: AMZN-PAY-RSASSA-PSS-V2 (R-PAY-1).

Pure functions, shared by the adapter (`sign_request`) and the simulator (`verify_request`):

1. canonical request = method, path, canonical query, one `name:value` line per signed header
   (lower-case names, sorted), an empty line, the signed header names joined by `;`, and the
   hex SHA-256 of the body (of the empty string when there is none);
2. string to sign = `AMZN-PAY-RSASSA-PSS-V2\\n` + hex SHA-256 of the canonical request;
3. signature = RSASSA-PSS over it with SHA-256, MGF1-SHA-256, salt length 32, base64;
4. header `authorization: AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=…, SignedHeaders=…, Signature=…`.

Only the headers in `SIGNABLE_HEADERS` that are present are signed. The verifier insists on
`x-amz-pay-date`, `x-amz-pay-host` and `x-amz-pay-region`, and on the idempotency key when the
request carries one, so none of them can be swapped without breaking the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "AMZN-PAY-RSASSA-PSS-V2"
SALT_LENGTH = 32
SIGNABLE_HEADERS = (
    "accept",
    "content-type",
    "x-amz-pay-date",
    "x-amz-pay-host",
    "x-amz-pay-idempotency-key",
    "x-amz-pay-region",
)
REQUIRED_SIGNED_HEADERS = frozenset({"x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region"})
PAY_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class RequestSignatureError(Exception):
    """A request whose signature cannot be accepted; `reason` is a short machine word."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class AuthorizationHeader:
    public_key_id: str
    signed_headers: tuple[str, ...]
    signature: bytes


def format_pay_date(moment: datetime) -> str:
    """`x-amz-pay-date` value: ISO 8601 UTC without fractions (`2026-11-23T03:04:05Z`)."""
    return moment.astimezone(UTC).strftime(PAY_DATE_FORMAT)


def parse_pay_date(value: str) -> datetime:
    return datetime.strptime(value, PAY_DATE_FORMAT).replace(tzinfo=UTC)


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_query(query: str | Sequence[tuple[str, str]]) -> str:
    """Pairs sorted by name then value, each side percent-encoded (RFC 3986), joined by `&`."""
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in sorted(pairs))


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value.strip() for name, value in headers.items()}


def signable_header_names(headers: Mapping[str, str]) -> tuple[str, ...]:
    present = _lower_headers(headers)
    return tuple(name for name in sorted(SIGNABLE_HEADERS) if name in present)


def canonical_request(
    *,
    method: str,
    path: str,
    query: str | Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
) -> str:
    lowered = _lower_headers(headers)
    names = sorted(name.lower() for name in signed_headers)
    header_lines = "".join(f"{name}:{lowered.get(name, '')}\n" for name in names)
    return "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(query),
            header_lines,
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )


def string_to_sign(canonical: str) -> str:
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=SALT_LENGTH)


def load_private_key(private_key_pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the provider signing key must be an RSA private key")
    return key


def load_public_key(public_key_pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the provider public key must be an RSA public key")
    return key


def public_key_pem_of(private_key_pem: str) -> str:
    """The PEM public key (SubjectPublicKeyInfo) matching a PEM private key."""
    public = load_private_key(private_key_pem).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def sign_request(
    *,
    method: str,
    path: str,
    query: str | Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    public_key_id: str,
    private_key: rsa.RSAPrivateKey | str,
) -> dict[str, str]:
    """The headers to add to a request: `{"authorization": "AMZN-PAY-RSASSA-PSS-V2 …"}`.

    `headers` must already hold every header to sign (`x-amz-pay-date` and friends).
    """
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    names = signable_header_names(headers)
    canonical = canonical_request(
        method=method, path=path, query=query, headers=headers, signed_headers=names, body=body
    )
    signature = key.sign(string_to_sign(canonical).encode("utf-8"), _pss(), hashes.SHA256())
    value = (
        f"{ALGORITHM} PublicKeyId={public_key_id}, SignedHeaders={';'.join(names)}, "
        f"Signature={base64.b64encode(signature).decode('ascii')}"
    )
    return {"authorization": value}


def parse_authorization(value: str) -> AuthorizationHeader:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise RequestSignatureError("unsupported_algorithm")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, separator, field_value = part.strip().partition("=")
        if not separator:
            raise RequestSignatureError("malformed_authorization")
        fields[name] = field_value
    try:
        public_key_id = fields["PublicKeyId"]
        signed_headers = tuple(fields["SignedHeaders"].split(";"))
        signature = base64.b64decode(fields["Signature"], validate=True)
    except (KeyError, binascii.Error) as error:
        raise RequestSignatureError("malformed_authorization") from error
    if not public_key_id or not signature:
        raise RequestSignatureError("malformed_authorization")
    return AuthorizationHeader(public_key_id, signed_headers, signature)


def verify_request(
    *,
    method: str,
    path: str,
    query: str | Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    public_keys: Mapping[str, str | rsa.RSAPublicKey],
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> str:
    """Check a signed request; return its PublicKeyId or raise `RequestSignatureError`.

    `now` (real time by default) bounds `x-amz-pay-date` to ±`max_skew`, so an old signed
    request cannot be replayed much later.
    """
    lowered = _lower_headers(headers)
    if "authorization" not in lowered:
        raise RequestSignatureError("missing_authorization")
    authorization = parse_authorization(lowered["authorization"])
    signed = set(authorization.signed_headers)
    required = set(REQUIRED_SIGNED_HEADERS)
    if "x-amz-pay-idempotency-key" in lowered:
        required.add("x-amz-pay-idempotency-key")
    if not required <= signed or not signed <= set(SIGNABLE_HEADERS):
        raise RequestSignatureError("signed_headers")
    if any(name not in lowered for name in signed):
        raise RequestSignatureError("signed_header_missing")
    try:
        sent_at = parse_pay_date(lowered["x-amz-pay-date"])
    except ValueError as error:
        raise RequestSignatureError("malformed_date") from error
    if abs((now or datetime.now(UTC)) - sent_at) > max_skew:
        raise RequestSignatureError("stale_date")
    key = public_keys.get(authorization.public_key_id)
    if key is None:
        raise RequestSignatureError("unknown_public_key")
    public_key = load_public_key(key) if isinstance(key, str) else key
    canonical = canonical_request(
        method=method,
        path=path,
        query=query,
        headers=lowered,
        signed_headers=authorization.signed_headers,
        body=body,
    )
    try:
        public_key.verify(
            authorization.signature,
            string_to_sign(canonical).encode("utf-8"),
            _pss(),
            hashes.SHA256(),
        )
    except InvalidSignature as error:
        raise RequestSignatureError("signature_mismatch") from error
    return authorization.public_key_id


def generate_key_pair(key_size: int = 2048) -> tuple[str, str]:
    """A fresh RSA key pair for development and tests: (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return private_pem, public_pem
