"""Pure identity decisions: password policy, lockouts, login IDs, token and session validity.

No I/O and no clock reads: `now` is always an argument (ARCHITECTURE convention 2). The services
in this package load the facts (failure timestamps, token rows) and ask these functions what
they mean.

- R-ID-4 password policy: `password_violations`.
- R-ID-8 brute force: `blocked_until` (one sliding-window rule serves the per-account lockout,
  the per-address limit and the student-registration throttle), `retry_after_seconds`.
- R-ID-3 / R-ID-13 login IDs: `login_id_kind`, `is_customer_number`, `is_phone_number`.
- R-ID-5 / R-ID-6 / R-ID-7 single-use tokens and sessions: `token_is_usable`,
  `session_is_active`.
- R-ID-10 terms: `needs_terms_acceptance`.
- R-ID-9 / R-SUB-11 rejoining after withdrawal: `rejoin_refusal`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from app.kit.normalize import nfkc

# --- R-ID-4: passwords ----------------------------------------------------------------------------

PASSWORD_MIN_LENGTH = 8
# Long passphrases are welcome; the cap only keeps a request from feeding megabytes to argon2.
PASSWORD_MAX_LENGTH = 128


class PasswordViolation(StrEnum):
    too_short = "too_short"
    too_long = "too_long"
    blank = "blank"
    same_as_login_id = "same_as_login_id"


def password_violations(password: str, *, login_ids: Iterable[str | None] = ()) -> list[str]:
    """What is wrong with `password` as a new password (empty list: acceptable).

    Length counts characters (code points), so a Japanese passphrase of 8 characters passes.
    Spaces are allowed (passphrases) but not a password of nothing but whitespace. A password
    equal to one of the account's login IDs (email, customer number) is refused, compared after
    the same normalization the login IDs get (R-ID-13), so 'ＴＡＲＯ@example.jp' counts too.
    """
    problems: list[str] = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(PasswordViolation.too_short)
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(PasswordViolation.too_long)
    if not password.strip():
        problems.append(PasswordViolation.blank)
    folded = _fold(password)
    if any(login_id and folded == _fold(login_id) for login_id in login_ids):
        problems.append(PasswordViolation.same_as_login_id)
    return problems


def _fold(value: str) -> str:
    return nfkc(value).strip().lower()


# --- R-ID-8: sliding-window blocks ----------------------------------------------------------------


def blocked_until(
    failures: Sequence[datetime],
    *,
    now: datetime,
    limit: int,
    window: timedelta,
    block: timedelta,
) -> datetime | None:
    """When a block caused by `failures` ends, or None when nothing blocks at `now`.

    A block starts at the failure that makes `limit` failures within `window` (a failure exactly
    `window` older than another is no longer "within" it) and lasts `block` from that failure.
    With limit 5, window 15 min and block 15 min (R-ID-8): the 5th failure inside 15 minutes
    locks until 15 minutes after that 5th failure. Attempts refused during a block are not
    failures (callers do not record them), so hammering a locked account does not extend it.

    Failures stamped after `now` count too: a concurrent request that read the clock later may
    have recorded its failure before this check ran (the check waits for the account's lock).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    times = sorted(failures)
    until: datetime | None = None
    for last in range(limit - 1, len(times)):
        first = last - limit + 1
        if times[last] - times[first] < window:
            candidate = times[last] + block
            if candidate > now and (until is None or candidate > until):
                until = candidate
    return until


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds until `until` (rounded up, at least 1): the `Retry-After` value."""
    return max(1, math.ceil((until - now).total_seconds()))


# --- R-ID-3, R-ID-13: login IDs -------------------------------------------------------------------

_CUSTOMER_NUMBER = re.compile(r"[0-9]{11}")
_PHONE_NUMBER = re.compile(r"[0-9]{6,15}")


class LoginIdKind(StrEnum):
    email = "email"
    customer_number = "customer_number"
    unknown = "unknown"  # cannot name an account; still answered like a wrong password


def is_customer_number(value: str) -> bool:
    """お客様番号: exactly 11 ASCII digits (after NFKC; other scripts' digits do not count)."""
    return _CUSTOMER_NUMBER.fullmatch(value) is not None


def is_phone_number(value: str) -> bool:
    """A normalized phone number: 6 to 15 ASCII digits (hyphens and spaces already removed)."""
    return _PHONE_NUMBER.fullmatch(value) is not None


def login_id_kind(normalized: str) -> LoginIdKind:
    """Which kind of login ID a normalized login ID is (R-ID-3: email or customer number)."""
    if "@" in normalized:
        return LoginIdKind.email
    if is_customer_number(normalized):
        return LoginIdKind.customer_number
    return LoginIdKind.unknown


# --- R-ID-5, R-ID-6, R-ID-7: single-use tokens and sessions --------------------------------------


def token_is_usable(*, expires_at: datetime, used_at: datetime | None, now: datetime) -> bool:
    """A single-use token works until (not at) its expiry, and only once."""
    return used_at is None and now < expires_at


def session_is_active(*, expires_at: datetime, revoked_at: datetime | None, now: datetime) -> bool:
    return revoked_at is None and now < expires_at


# --- R-ID-10: terms -----------------------------------------------------------------------------


def needs_terms_acceptance(
    current_document_ids: Iterable[object], accepted_document_ids: Iterable[object]
) -> bool:
    """True when some current document (terms or privacy policy) has not been accepted."""
    accepted = set(accepted_document_ids)
    return any(document_id not in accepted for document_id in current_document_ids)


def versions_match(current: Mapping[str, str], presented: Mapping[str, str]) -> bool:
    """The client accepted exactly the current version of every kind (R-ID-1)."""
    return bool(current) and all(
        presented.get(kind) == version for kind, version in current.items()
    )


# --- R-ID-9, R-SUB-11: rejoining after withdrawal ------------------------------------------------


class RejoinRefusal(StrEnum):
    """Why an account cannot be reopened through the public rejoin flow."""

    not_withdrawn = "not_withdrawn"  # active or suspended: nothing to rejoin (R-ID-9)
    managed_account = "managed_account"  # staff-side or organization accounts: an admin decides
    withdrawn_while_suspended = "withdrawn_while_suspended"  # 総則第9条第1項's exception


def rejoin_refusal(
    *, status: str, role: str, has_organization: bool, withdrawn_from: str | None
) -> RejoinRefusal | None:
    """None when the account may rejoin online, else why not (seed 002 総則第9条第1項).

    Only a withdrawn individual member comes back by agreeing to the terms again. Accounts of an
    organization or of staff were closed by an administrator and are reopened by one: an emailed
    link must never hand a staff role back. An account withdrawn while it was suspended (a rule
    violation, 総則第6条) is the seed's exception: the office decides, not a link.
    `withdrawn_from` is the status the account had when it was withdrawn (None: unknown, as for
    withdrawals recorded before it was kept; members withdraw themselves only while active).
    """
    if status != "withdrawn":
        return RejoinRefusal.not_withdrawn
    if role != "member" or has_organization:
        return RejoinRefusal.managed_account
    if withdrawn_from == "suspended":
        return RejoinRefusal.withdrawn_while_suspended
    return None


# --- Emails ----------------------------------------------------------------------------------------


def frontend_link(base_url: str, path: str, token: str) -> str:
    """The one-time link in an email: the front end's page with the token as its parameter."""
    return f"{base_url.rstrip('/')}{path}?{urlencode({'token': token})}"
