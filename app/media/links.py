"""Short-lived signed links for downloads and video playback (R-CON-2, R-CON-3, R-CON-4).

A token is `<payload>.<mac>`, both base64url. The payload names the purpose (material, tool,
video), the file (material/tool id or video asset id), the member it was issued to and its
expiry (Unix seconds); the MAC is HMAC-SHA256 over the payload with a key derived from
`settings.signing_key` for this use only (a pagination cursor's MAC is never a valid link), cut
to 128 bits. Verification compares in constant time before the payload is parsed, so a token
altered in any byte (another file, another member, a later expiry, another purpose) is refused.

Expiry is exclusive: a link issued at T with a 300 s lifetime works at T+299 and is refused at
T+300 (`rules.link_is_live`). The member inside the token is who the download is recorded for
and whose access is checked; see `app.media.router` for how a link is bound to its member.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from app.media.errors import LinkExpired, LinkInvalid
from app.media.rules import link_is_live

_KEY_LABEL = b"manabi/media-link/v1"
_MAC_BYTES = 16
MAX_TOKEN_LENGTH = 512


class LinkPurpose(StrEnum):
    material = "m"
    tool = "t"
    video = "v"


@dataclass(frozen=True)
class LinkClaims:
    purpose: LinkPurpose
    subject: str  # material/tool id, or video asset id
    member_id: uuid.UUID
    expires_at: datetime


def _key(signing_key: str) -> bytes:
    return hmac.new(signing_key.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _mac(signing_key: str, payload: bytes) -> bytes:
    return hmac.new(_key(signing_key), payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def expiry(now: datetime, ttl_seconds: int) -> datetime:
    """Whole seconds (what the token can carry): `now` rounded down, plus the lifetime."""
    return datetime.fromtimestamp(int(now.timestamp()) + ttl_seconds, tz=UTC)


def issue(
    *,
    purpose: LinkPurpose,
    subject: str,
    member_id: uuid.UUID,
    expires_at: datetime,
    signing_key: str,
) -> str:
    if "|" in subject:
        raise ValueError("a link subject may not contain '|'")
    payload = f"{purpose.value}|{subject}|{member_id}|{int(expires_at.timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(_mac(signing_key, payload))}"


def verify(
    token: str, *, purposes: Collection[LinkPurpose], now: datetime, signing_key: str
) -> LinkClaims:
    """The claims of a token we issued for one of `purposes`; `LinkInvalid` (403) for anything
    else, `LinkExpired` (410) once `now` reaches its expiry."""
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError("too long")
        payload_part, mac_part = token.split(".")
        payload = _unb64(payload_part)
        # Compare the canonical encodings, not decoded bytes: base64's last character carries
        # padding bits, so several spellings decode alike — each must not be a valid link.
        if _b64(payload) != payload_part or not hmac.compare_digest(
            mac_part, _b64(_mac(signing_key, payload))
        ):
            raise ValueError("bad signature")
        purpose_code, subject, member, expires = payload.decode().split("|")
        claims = LinkClaims(
            purpose=LinkPurpose(purpose_code),
            subject=subject,
            member_id=uuid.UUID(member),
            expires_at=datetime.fromtimestamp(int(expires), tz=UTC),
        )
    except (ValueError, binascii.Error, UnicodeError, OverflowError, OSError) as error:
        raise LinkInvalid() from error
    if claims.purpose not in purposes:
        raise LinkInvalid()
    if not link_is_live(claims.expires_at, now):
        raise LinkExpired()
    return claims
