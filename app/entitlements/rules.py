"""Pure entitlement rules (R-CON-7, R-SUB-10). No I/O; `now` is an argument."""

from __future__ import annotations

from datetime import datetime

from app.models.user import Role

PREVIEW_ROLES = frozenset({Role.staff, Role.admin})
"""Staff and admins open every item, published or not, to prepare and check content."""


def grant_is_live(
    *,
    valid_from: datetime,
    valid_until: datetime | None,
    revoked_at: datetime | None,
    now: datetime,
) -> bool:
    """A grant opens its items on `[valid_from, valid_until)` unless it was revoked."""
    if revoked_at is not None and revoked_at <= now:
        return False
    if now < valid_from:
        return False
    return valid_until is None or now < valid_until


def may_preview(role: Role | None) -> bool:
    return role in PREVIEW_ROLES
