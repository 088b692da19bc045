"""Secrets: password hashing (argon2id only), access tokens (JWT), opaque tokens, API keys.

Passwords use libpass (the maintained passlib) with argon2id, hashed off the event loop.
Opaque tokens (refresh, reset, verification, API keys) are 256-bit random strings stored as
SHA-256 digests: with that much entropy a slow hash adds nothing, and lookup stays one index hit.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt
from passlib.context import CryptContext

_passwords = CryptContext(schemes=["argon2"], deprecated="auto", argon2__type="ID")

JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "mk_"

# A valid hash of a random password: verifying against it when an account does not exist keeps
# login timing the same either way (no account enumeration by timing).
_DUMMY_HASH = _passwords.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_passwords.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    target = password_hash or _DUMMY_HASH
    try:
        ok = await asyncio.to_thread(_passwords.verify, password, target)
    except (ValueError, TypeError):
        return False
    return bool(ok) and password_hash is not None


def new_token() -> str:
    """A 256-bit URL-safe random token."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """Return (full key shown once, visible prefix, digest to store)."""
    visible = secrets.token_hex(4)
    key = f"{API_KEY_PREFIX}{visible}_{secrets.token_urlsafe(32)}"
    return key, f"{API_KEY_PREFIX}{visible}", token_digest(key)


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    role: str
    epoch: int
    expires_at: datetime


def create_access_token(
    *,
    secret: str,
    issuer: str,
    audience: str,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    role: str,
    epoch: int,
    now: datetime,
    ttl: timedelta,
) -> tuple[str, datetime]:
    expires_at = now + ttl
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "ep": epoch,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), expires_at


class InvalidAccessToken(Exception):
    pass


MAX_ACCESS_TOKEN_LENGTH = 2048
"""Ours are ~350 characters; anything longer is refused before it is parsed or cached."""


def decode_access_token(
    token: str, *, secret: str, issuer: str, audience: str, now: datetime
) -> AccessClaims:
    """Verify signature, issuer and audience; expiry is checked against Manabi's clock."""
    if len(token) > MAX_ACCESS_TOKEN_LENGTH:
        raise InvalidAccessToken("too long")
    parsed = _verified_claims(token, secret, issuer, audience)
    if parsed is None:
        raise InvalidAccessToken("invalid")
    if parsed.expires_at <= now:
        raise InvalidAccessToken("expired")
    return parsed


@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str, issuer: str, audience: str) -> AccessClaims | None:
    """Signature, issuer and audience checks depend on nothing but these arguments, so a token
    seen before is not verified again (a member's token is presented on every request for 15
    minutes; verification was a measurable share of a lesson page). Expiry is not cached: the
    caller compares it with "now" every time. Failures cache as None."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
        return AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            session_id=uuid.UUID(str(claims["sid"])),
            role=str(claims["role"]),
            epoch=int(claims["ep"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
        )
    except (JWTError, KeyError, ValueError, TypeError):
        return None
