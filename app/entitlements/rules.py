"""Pure entitlement rules (R-CON-7, R-SUB-10). No I/O; `now` is an argument."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.models.entitlement import GrantScope
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


def grant_target_problems(
    *, scope: GrantScope, course_id: uuid.UUID | None, content_set_id: uuid.UUID | None
) -> dict[str, list[str]]:
    """Field → codes when a grant's target does not fit its scope (the table's checks, said
    early and per field)."""
    problems: dict[str, list[str]] = {}
    wants_course = scope is GrantScope.course
    wants_set = scope is GrantScope.content_set
    if wants_course and course_id is None:
        problems["body.course_id"] = ["required_for_scope"]
    if not wants_course and course_id is not None:
        problems["body.course_id"] = ["not_allowed_for_scope"]
    if wants_set and content_set_id is None:
        problems["body.content_set_id"] = ["required_for_scope"]
    if not wants_set and content_set_id is not None:
        problems["body.content_set_id"] = ["not_allowed_for_scope"]
    return problems


def grant_window_is_valid(
    *, valid_from: datetime, valid_until: datetime | None, now: datetime
) -> bool:
    """A hand-made grant must be able to open something: it ends after it starts and after
    now (granting a window already over is a typing mistake, not a record)."""
    return valid_until is None or (valid_until > valid_from and valid_until > now)
