"""Points use cases (R-REF-10): grant, spend, give back, balance. Points are never cash.

- `grant_points` writes a grant and its `granted` ledger entry; staff grants carry a reason and
  are audited (`points.granted`, R-ID-12); campaign grants carry the campaign's code.
- `spend_points` locks the member's usable grants (earliest expiry first, one fixed order) and
  takes the amount with `rules.points.spend`, writing one `spent` entry per grant touched. Two
  purchases at once are serialized on those rows, so a balance is never overdrawn.
- `give_back_points` is the single way points come back, whether a checkout failed or was
  abandoned (`restored`) or a purchase was refunded (`returned`): it reads the purchase's `spent`
  entries and creates ONE grant per `rules.points.points_to_return` — the original expiry, the
  longest one when several grants paid, and usable through the end of the return day when that
  expiry has passed. (Decision: a failed checkout follows R-REF-10 like a cancelled order does in
  seed 003, rather than topping up the old grants, so the rule has one implementation.)
- A grant is usable through the end of its `expires_on` day (JST); expired points simply stop
  counting, no ledger entry is written for them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.auth.errors import UserNotFound
from app.kit.calendar import jst_date
from app.kit.request_context import ClientInfo
from app.models.commerce import PointEntryKind, PointGrant, PointLedgerEntry, PointSource
from app.models.user import User
from app.payments.points import repository
from app.payments.points.errors import PointGrantInvalid
from app.payments.rules import points as rules

POINTS_GRANTED = "points.granted"


@dataclass(frozen=True)
class Balance:
    usable_points: int
    next_expiry_on: date | None
    next_expiry_points: int
    grants: list[PointGrant]


async def grant_points(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    amount: int,
    expires_on: date,
    source: PointSource,
    reason: str | None,
    now: datetime,
    campaign_code: str | None = None,
    actor_id: uuid.UUID | None = None,
    purchase_id: uuid.UUID | None = None,
    entry_kind: PointEntryKind = PointEntryKind.granted,
) -> PointGrant:
    """Write a grant of `amount` points usable through `expires_on` (JST) and its ledger entry."""
    if amount <= 0:
        raise ValueError("a grant holds at least one point")
    grant = PointGrant(
        id=uuid.uuid4(),
        user_id=user_id,
        source=source,
        amount=amount,
        remaining=amount,
        expires_on=expires_on,
        reason=reason,
        campaign_code=campaign_code,
        granted_by_user_id=actor_id,
        purchase_id=purchase_id,
        granted_at=now,
    )
    session.add(grant)
    session.add(
        PointLedgerEntry(
            id=uuid.uuid4(),
            user_id=user_id,
            kind=entry_kind,
            points=amount,
            grant_id=grant.id,
            expires_on=expires_on,
            purchase_id=purchase_id,
            note=reason,
            occurred_at=now,
        )
    )
    await session.flush()
    return grant


async def grant_by_staff(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    amount: int,
    expires_on: date,
    source: PointSource,
    reason: str,
    campaign_code: str | None,
    actor_id: uuid.UUID | None,
    now: datetime,
    client: ClientInfo | None = None,
) -> PointGrant:
    """Staff grant points by hand or for a campaign, with a reason; audited `points.granted`."""
    problems: dict[str, list[str]] = {}
    if expires_on < jst_date(now):
        problems["body.expires_on"] = ["must_be_today_or_later"]
    if source is PointSource.campaign and not campaign_code:
        problems["body.campaign_code"] = ["required_for_campaign"]
    if source not in (PointSource.staff, PointSource.campaign):
        problems["body.source"] = ["staff_or_campaign_only"]
    if problems:
        raise PointGrantInvalid(errors=problems)
    if await session.get(User, user_id) is None:
        raise UserNotFound()
    grant = await grant_points(
        session,
        user_id=user_id,
        amount=amount,
        expires_on=expires_on,
        source=source,
        reason=reason,
        campaign_code=campaign_code,
        actor_id=actor_id,
        now=now,
    )
    await record_audit_event(
        session,
        action=POINTS_GRANTED,
        now=now,
        actor_user_id=actor_id,
        target_type="point_grant",
        target_id=grant.id,
        client=client,
        data={
            "user_id": str(user_id),
            "amount": amount,
            "expires_on": expires_on.isoformat(),
            "source": source.value,
            "campaign_code": campaign_code,
            "reason": reason,
        },
    )
    return grant


async def spend_points(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    amount: int,
    purchase_id: uuid.UUID,
    now: datetime,
) -> list[rules.PointSpend]:
    """Take `amount` points for a purchase, earliest expiry first (R-REF-10); raises
    `InsufficientPoints` (409, nothing spent) when the usable balance is short."""
    if amount == 0:
        return []
    today = jst_date(now)
    grants = await repository.usable_grants_for_update(session, user_id, today)
    parts = rules.spend(
        [rules.PointGrant(id=g.id, remaining=g.remaining, expires_on=g.expires_on) for g in grants],
        amount,
        today,
    )
    by_id = {grant.id: grant for grant in grants}
    for part in parts:
        grant = by_id[part.grant_id]
        grant.remaining -= part.amount
        session.add(
            PointLedgerEntry(
                id=uuid.uuid4(),
                user_id=user_id,
                kind=PointEntryKind.spent,
                points=-part.amount,
                grant_id=grant.id,
                expires_on=grant.expires_on,
                purchase_id=purchase_id,
                note=None,
                occurred_at=now,
            )
        )
    await session.flush()
    return parts


async def give_back_points(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    purchase_id: uuid.UUID,
    now: datetime,
    amount: int | None = None,
    refund: bool,
    note: str | None = None,
) -> PointGrant | None:
    """R-REF-10: the points a purchase spent come back as one grant (None when none spent or
    `amount` is 0). `refund=True` for a refund (`returned`), False for a failed or abandoned
    checkout (`restored`). `amount` defaults to every point spent."""
    entries = await repository.spent_entries(session, purchase_id)
    parts = [rules.PointSpend(entry.grant_id, -entry.points) for entry in entries]
    if not parts or amount == 0:
        return None
    expiries = {entry.grant_id: entry.expires_on for entry in entries}
    back = rules.points_to_return(parts, expiries, jst_date(now), amount=amount)
    return await grant_points(
        session,
        user_id=user_id,
        amount=back.amount,
        expires_on=back.expires_on,
        source=PointSource.refund if refund else PointSource.restored,
        reason=note,
        now=now,
        purchase_id=purchase_id,
        entry_kind=PointEntryKind.returned if refund else PointEntryKind.restored,
    )


async def balance(session: AsyncSession, *, user_id: uuid.UUID, today: date) -> Balance:
    grants = await repository.usable_grants(session, user_id, today)
    usable = rules.usable_balance(
        [rules.PointGrant(id=g.id, remaining=g.remaining, expires_on=g.expires_on) for g in grants],
        today,
    )
    next_on = grants[0].expires_on if grants else None
    next_points = sum(g.remaining for g in grants if g.expires_on == next_on)
    return Balance(
        usable_points=usable,
        next_expiry_on=next_on,
        next_expiry_points=next_points,
        grants=grants,
    )


async def user_must_exist(session: AsyncSession, user_id: uuid.UUID) -> None:
    if await session.get(User, user_id) is None:
        raise UserNotFound()
