"""Points: spending grants and returning them on a refund (R-REF-10). Pure, no clock.

Points are bonus money (サイバーマネー), never cash: 1 point pays ¥1 of a purchase, and a refund
gives points back as points, never as cash. A grant is usable through the end of its `expires_on`
day (JST) and not after.

- `usable_balance`: the points usable on `today`.
- `spend`: takes `amount` points from the grants expiring first (ties: the order given), ignoring
  expired and empty grants; refuses with `InsufficientPoints` when the usable balance is short.
- `points_to_return` (R-REF-10): points paid for an order come back as one grant. Paid from one
  grant, they keep its original expiry; paid from several grants with different expiries, they come
  back with the longest of them; when that expiry has already passed on the return day, the points
  are usable through the end of the return day.

Decisions: when a mixed payment is refunded only in part (deductions are taken from the cash first,
R-REF-10), the points that come back (`amount`) are fewer than those spent; they come back as one
grant with the longest expiry of the grants spent (the member's favour), like a full return.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from app.kit.errors import Conflict


@dataclass(frozen=True)
class PointGrant:
    id: uuid.UUID
    remaining: int
    expires_on: date
    """Last day (JST) the points can be used."""


class PointSpend(NamedTuple):
    """A part of a payment in points: how many points came from which grant."""

    grant_id: uuid.UUID
    amount: int


@dataclass(frozen=True)
class ReturnedPoints:
    """R-REF-10: the grant to create for points coming back."""

    amount: int
    expires_on: date


class InsufficientPoints(Conflict):
    type = "points-insufficient"
    title = {"ja": "ポイントが不足しています", "en": "Not enough points"}
    detail = {
        "ja": "利用できるポイントは {available} ポイントです({requested} ポイントを指定)。",
        "en": "{available} points are usable; {requested} were requested.",
    }

    def __init__(self, *, available: int, requested: int) -> None:
        super().__init__(
            available=available,
            requested=requested,
            extensions={"available_points": available, "requested_points": requested},
        )
        self.available = available
        self.requested = requested


def _check_amount(amount: int, name: str = "amount") -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"{name} must be an int")
    if amount < 0:
        raise ValueError(f"{name} must be >= 0")


def is_usable(grant: PointGrant, today: date) -> bool:
    """A grant with points left whose expiry day is today or later."""
    return grant.remaining > 0 and grant.expires_on >= today


def usable_balance(grants: Sequence[PointGrant], today: date) -> int:
    """R-REF-10: the points usable on `today` (expired grants do not count)."""
    return sum(grant.remaining for grant in grants if is_usable(grant, today))


def spend(grants: Sequence[PointGrant], amount: int, today: date) -> list[PointSpend]:
    """R-REF-10 purchases with points: which grants pay `amount`, earliest expiry first.

    Raises `InsufficientPoints` (nothing spent) when the usable balance is below `amount`.
    """
    _check_amount(amount)
    for grant in grants:
        _check_amount(grant.remaining, "remaining")
    available = usable_balance(grants, today)
    if amount > available:
        raise InsufficientPoints(available=available, requested=amount)
    usable = sorted(
        (grant for grant in grants if is_usable(grant, today)),
        key=lambda grant: grant.expires_on,  # sorted() is stable: ties keep the given order
    )
    parts: list[PointSpend] = []
    left = amount
    for grant in usable:
        if left == 0:
            break
        taken = min(left, grant.remaining)
        parts.append(PointSpend(grant.id, taken))
        left -= taken
    return parts


def points_to_return(
    spent_parts: Sequence[PointSpend],
    original_expiries: Mapping[uuid.UUID, date],
    today: date,
    *,
    amount: int | None = None,
) -> ReturnedPoints:
    """R-REF-10: the one grant that gives back points paid for an order, returned on `today`.

    `amount` defaults to every point spent; a mixed payment refunded in part returns fewer.
    Expiry: the longest original expiry among the grants spent; if it is before `today`, `today`
    (usable through the end of the return day).
    """
    parts = [part for part in spent_parts if part.amount > 0]
    if not parts:
        raise ValueError("no points were spent")
    spent = sum(part.amount for part in parts)
    returned = spent if amount is None else amount
    _check_amount(returned)
    if returned > spent:
        raise ValueError("cannot return more points than were spent")
    try:
        longest = max(original_expiries[part.grant_id] for part in parts)
    except KeyError as missing:
        raise ValueError(f"no original expiry for grant {missing}") from None
    return ReturnedPoints(amount=returned, expires_on=max(longest, today))
