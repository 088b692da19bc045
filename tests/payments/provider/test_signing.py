"""R-PAY-1: AMZN-PAY-RSASSA-PSS-V2 request signing, canonical form and verification."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from app.payments.provider.signing import (
    RequestSignatureError,
    canonical_query,
    canonical_request,
    format_pay_date,
    generate_key_pair,
    load_public_key,
    parse_authorization,
    public_key_pem_of,
    sign_request,
    string_to_sign,
    verify_request,
)

NOW = datetime(2026, 11, 23, 3, 4, 5, tzinfo=UTC)
HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/json",
    "X-Amz-Pay-Date": "2026-11-23T03:04:05Z",
    "X-Amz-Pay-Host": "pay-api.amazon.jp",
    "X-Amz-Pay-Idempotency-Key": "ren-abc-1",
    "X-Amz-Pay-Region": "jp",
    "User-Agent": "not signed",
}
BODY = b'{"a":1}'

# Written out by hand from the rules in PAYMENTS.md: method, path, query, one line per signed
# header (lower-case, sorted), an empty line, the names, the body's SHA-256.
EXPECTED_CANONICAL = (
    "POST\n"
    "/v2/charges\n"
    "a=1&b=x%20y\n"
    "accept:application/json\n"
    "content-type:application/json\n"
    "x-amz-pay-date:2026-11-23T03:04:05Z\n"
    "x-amz-pay-host:pay-api.amazon.jp\n"
    "x-amz-pay-idempotency-key:ren-abc-1\n"
    "x-amz-pay-region:jp\n"
    "\n"
    "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region\n"
    "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
)
SIGNED = (
    "accept",
    "content-type",
    "x-amz-pay-date",
    "x-amz-pay-host",
    "x-amz-pay-idempotency-key",
    "x-amz-pay-region",
)


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, str]:
    return generate_key_pair()


def test_r_pay_1_canonical_request_matches_hand_computed_example() -> None:
    canonical = canonical_request(
        method="post",
        path="/v2/charges",
        query="b=x y&a=1",
        headers=HEADERS,
        signed_headers=SIGNED,
        body=BODY,
    )
    assert canonical == EXPECTED_CANONICAL
    expected_digest = hashlib.sha256(EXPECTED_CANONICAL.encode()).hexdigest()
    assert string_to_sign(canonical) == f"AMZN-PAY-RSASSA-PSS-V2\n{expected_digest}"


def test_r_pay_1_canonical_request_without_body_hashes_the_empty_string() -> None:
    canonical = canonical_request(
        method="GET",
        path="/v2/charges/S03-1",
        query="",
        headers={"x-amz-pay-date": "2026-11-23T03:04:05Z"},
        signed_headers=["x-amz-pay-date"],
        body=b"",
    )
    assert canonical == (
        "GET\n/v2/charges/S03-1\n\nx-amz-pay-date:2026-11-23T03:04:05Z\n\nx-amz-pay-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1", "a=1&a=2"),
        ("q=%E5%AD%A6%E3%81%B3&x=a+b", "q=%E5%AD%A6%E3%81%B3&x=a%20b"),
        ("empty=", "empty="),
        ("t=a~b_c-d.e", "t=a~b_c-d.e"),
        ("s=a/b", "s=a%2Fb"),
    ],
)
def test_r_pay_1_canonical_query_sorts_and_encodes(query: str, expected: str) -> None:
    assert canonical_query(query) == expected


def test_r_pay_1_pay_date_is_iso_utc_without_fractions() -> None:
    moment = datetime(2026, 11, 23, 12, 4, 5, 999_000, tzinfo=UTC) + timedelta(hours=0)
    assert format_pay_date(moment) == "2026-11-23T12:04:05Z"


def test_r_pay_1_signature_is_rsassa_pss_sha256_salt_32(key_pair: tuple[str, str]) -> None:
    private_pem, public_pem = key_pair
    added = sign_request(
        method="POST",
        path="/v2/charges",
        query="b=x y&a=1",
        headers=HEADERS,
        body=BODY,
        public_key_id="SANDBOX-K1",
        private_key=private_pem,
    )
    value = added["authorization"]
    assert value.startswith("AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-K1, SignedHeaders=")
    header = parse_authorization(value)
    assert header.signed_headers == SIGNED
    # Verified independently of verify_request: PSS, MGF1-SHA256, salt length exactly 32.
    load_public_key(public_pem).verify(
        header.signature,
        string_to_sign(EXPECTED_CANONICAL).encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    assert len(base64.b64encode(header.signature)) == 344  # 2048-bit key


def _signed(private_pem: str, **changes: object) -> dict[str, object]:
    request: dict[str, object] = {
        "method": "POST",
        "path": "/v2/charges",
        "query": "",
        "headers": {name.lower(): value for name, value in HEADERS.items()},
        "body": BODY,
    }
    headers = dict(request["headers"])  # type: ignore[call-overload]
    headers.update(
        sign_request(
            method="POST",
            path="/v2/charges",
            query="",
            headers=headers,
            body=BODY,
            public_key_id="SANDBOX-K1",
            private_key=private_pem,
        )
    )
    request["headers"] = headers
    request.update(changes)
    return request


def test_r_pay_1_verify_accepts_what_sign_produced(key_pair: tuple[str, str]) -> None:
    private_pem, public_pem = key_pair
    request = _signed(private_pem)
    key_id = verify_request(
        **request,  # type: ignore[arg-type]
        public_keys={"SANDBOX-K1": public_pem},
        now=NOW,
    )
    assert key_id == "SANDBOX-K1"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": b'{"a":2}'}, "signature_mismatch"),
        ({"path": "/v2/refunds"}, "signature_mismatch"),
        ({"method": "PUT"}, "signature_mismatch"),
        ({"query": "x=1"}, "signature_mismatch"),
        ({"x-amz-pay-idempotency-key": "another-key"}, "signature_mismatch"),
        ({"x-amz-pay-region": "us"}, "signature_mismatch"),
        ({"x-amz-pay-date": "2026-11-23T04:04:05Z"}, "stale_date"),
        ({"x-amz-pay-date": "yesterday"}, "malformed_date"),
        ({"authorization": None}, "missing_authorization"),
        ({"authorization": "AWS4-HMAC-SHA256 Credential=x"}, "unsupported_algorithm"),
        ({"authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=X"}, "malformed_authorization"),
    ],
)
def test_r_pay_1_tampered_requests_are_refused(
    key_pair: tuple[str, str], change: dict[str, object], reason: str
) -> None:
    private_pem, public_pem = key_pair
    request = _signed(private_pem)
    headers: dict[str, str] = dict(request["headers"])  # type: ignore[call-overload]
    for name, value in change.items():
        if name in ("body", "path", "method", "query"):
            request[name] = value
        elif value is None:
            headers.pop(name)
        else:
            headers[name] = str(value)
    request["headers"] = headers
    with pytest.raises(RequestSignatureError) as refused:
        verify_request(
            **request,  # type: ignore[arg-type]
            public_keys={"SANDBOX-K1": public_pem},
            now=NOW,
        )
    assert refused.value.reason == reason


def test_r_pay_1_unknown_or_other_key_is_refused(key_pair: tuple[str, str]) -> None:
    private_pem, _public_pem = key_pair
    _other_private, other_public = generate_key_pair()
    request = _signed(private_pem)
    with pytest.raises(RequestSignatureError) as unknown:
        verify_request(**request, public_keys={}, now=NOW)  # type: ignore[arg-type]
    assert unknown.value.reason == "unknown_public_key"
    with pytest.raises(RequestSignatureError) as mismatch:
        verify_request(
            **request,  # type: ignore[arg-type]
            public_keys={"SANDBOX-K1": other_public},
            now=NOW,
        )
    assert mismatch.value.reason == "signature_mismatch"


def test_r_pay_1_dropping_a_required_header_from_the_signature_is_refused(
    key_pair: tuple[str, str],
) -> None:
    """Signing only `accept` would let the date, host and idempotency key be swapped."""
    private_pem, public_pem = key_pair
    headers = {name.lower(): value for name, value in HEADERS.items()}
    only_accept = {"accept": headers["accept"]}
    authorization = sign_request(
        method="POST",
        path="/v2/charges",
        query="",
        headers=only_accept,
        body=BODY,
        public_key_id="SANDBOX-K1",
        private_key=private_pem,
    )
    with pytest.raises(RequestSignatureError) as refused:
        verify_request(
            method="POST",
            path="/v2/charges",
            query="",
            headers={**headers, **authorization},
            body=BODY,
            public_keys={"SANDBOX-K1": public_pem},
            now=NOW,
        )
    assert refused.value.reason == "signed_headers"


def test_r_pay_1_public_key_derived_from_private_key(key_pair: tuple[str, str]) -> None:
    private_pem, public_pem = key_pair
    assert public_key_pem_of(private_pem) == public_pem
