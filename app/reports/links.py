"""Short-lived signed download links for certificate PDFs (R-ENR-13, API.md "Downloads").

A token is `<payload>.<mac>` (base64url): the certificate id and the expiry (Unix seconds),
MACed with HMAC-SHA256 under a key derived from `settings.signing_key` for this use only (the
same construction as `app.media.links`, with its own label, so a media link or a pagination
cursor is never a certificate link). Expiry is exclusive. Whoever holds the link may download
for its lifetime: it is handed only to a caller allowed to receive the certificate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from datetime import UTC, datetime

from app.reports.errors import CertificateLinkExpired, CertificateLinkInvalid

LINK_TTL_SECONDS = 300
_KEY_LABEL = b"manabi/certificate-link/v1"
_MAC_BYTES = 16


def _mac(signing_key: str, payload: bytes) -> str:
    key = hmac.new(signing_key.encode(), _KEY_LABEL, hashlib.sha256).digest()
    return _b64(hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def issue(certificate_id: uuid.UUID, *, now: datetime, signing_key: str) -> tuple[str, datetime]:
    expires_at = datetime.fromtimestamp(int(now.timestamp()) + LINK_TTL_SECONDS, tz=UTC)
    payload = f"{certificate_id}|{int(expires_at.timestamp())}".encode()
    return f"{_b64(payload)}.{_mac(signing_key, payload)}", expires_at


def verify(token: str, *, now: datetime, signing_key: str) -> uuid.UUID:
    try:
        payload_part, mac_part = token.split(".")
        payload = base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4))
        if _b64(payload) != payload_part or not hmac.compare_digest(
            mac_part, _mac(signing_key, payload)
        ):
            raise ValueError("bad signature")
        certificate, expires = payload.decode().split("|")
        certificate_id = uuid.UUID(certificate)
        expires_at = datetime.fromtimestamp(int(expires), tz=UTC)
    except (ValueError, binascii.Error, UnicodeError, OverflowError, OSError) as error:
        raise CertificateLinkInvalid() from error
    if now >= expires_at:
        raise CertificateLinkExpired()
    return certificate_id
