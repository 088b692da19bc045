"""AWS Signature Version 4 presigned URLs ("query string authentication"), by hand.

Written from the S3 API reference ("Authenticating Requests: Using Query Parameters"); checked
against its published example (examplebucket/test.txt, 2013-05-24) in
`tests/media/test_storage.py`. Only what presigned URLs need: the signed headers are `host`
alone and the payload is `UNSIGNED-PAYLOAD`, so a URL can be handed to a browser (GET) or used
with any body (PUT). Pure: the instant is an argument.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_EXPIRES_SECONDS = 7 * 24 * 3600  # SigV4's limit


def _uri_encode(value: str, *, keep_slash: bool = False) -> str:
    # RFC 3986 unreserved characters stay; everything else is %XX (upper-case hex).
    return quote(value, safe="-_.~/" if keep_slash else "-_.~")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    k_date = _hmac(f"AWS4{secret_access_key}".encode(), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, "aws4_request")


def _canonical_host(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default_port:
        host = f"{host}:{parts.port}"
    return host, parts.path or "/"


def presign(
    *,
    method: str,
    url: str,
    region: str,
    access_key_id: str,
    secret_access_key: str,
    now: datetime,
    expires_seconds: int,
    service: str = "s3",
    extra_query: Mapping[str, str] | None = None,
) -> str:
    """`url` (scheme, host, already-unencoded path, no query) presigned for `method`."""
    if not 1 <= expires_seconds <= MAX_EXPIRES_SECONDS:
        raise ValueError("expires_seconds must be between 1 second and 7 days")
    instant = now.astimezone(UTC)
    amz_date = instant.strftime("%Y%m%dT%H%M%SZ")
    date = instant.strftime("%Y%m%d")
    scope = f"{date}/{region}/{service}/aws4_request"
    host, path = _canonical_host(url)
    query = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{access_key_id}/{scope}",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(expires_seconds),
        "X-Amz-SignedHeaders": "host",
        **(extra_query or {}),
    }
    canonical_query = "&".join(
        f"{_uri_encode(key)}={_uri_encode(value)}" for key, value in sorted(query.items())
    )
    canonical_path = _uri_encode(path, keep_slash=True)
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_path,
            canonical_query,
            f"host:{host}\n",
            "host",
            UNSIGNED_PAYLOAD,
        ]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    signature = hmac.new(
        signing_key(secret_access_key, date, region, service),
        string_to_sign.encode(),
        hashlib.sha256,
    ).hexdigest()
    parts = urlsplit(url)
    return (
        f"{parts.scheme}://{parts.netloc}{canonical_path}"
        f"?{canonical_query}&X-Amz-Signature={signature}"
    )
