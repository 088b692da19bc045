"""The membership grant a subscription writes (R-SUB-10, R-SUB-11).

One grant row per stretch of access, `source=subscription`, `source_ref=<subscription id>`.
While the subscription renews, the grant is open-ended (a late renewal job never locks a member
out); a cancellation sets its end to the start of the next renewal day (JST), losing access
(unpaid, canceled) ends it at once, and resuming lifts a future end. Access regained after it
ended (an unpaid subscription paid) is a new row from that moment, so history stays true.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements import service as entitlements
from app.kit.calendar import jst_start_of_day
from app.models.entitlement import EntitlementGrant, GrantScope, GrantSource
from app.models.payment import Subscription


def _ref(subscription: Subscription) -> str:
    return str(subscription.id)


async def open_grant(session: AsyncSession, subscription: Subscription, *, now: datetime) -> None:
    """Make sure the member has membership access from `now` on, with no end."""
    rows = (
        (
            await session.execute(
                select(EntitlementGrant).where(
                    EntitlementGrant.source == GrantSource.subscription,
                    EntitlementGrant.source_ref == _ref(subscription),
                    EntitlementGrant.revoked_at.is_(None),
                )
            )
        )
        .scalars()
        .all()
    )
    live = [row for row in rows if row.valid_until is None or row.valid_until > now]
    if live:
        for row in live:
            row.valid_until = None
        await session.flush()
        return
    await entitlements.grant(
        session,
        user_id=subscription.user_id,
        scope=GrantScope.membership,
        source=GrantSource.subscription,
        source_ref=_ref(subscription),
        valid_from=now,
    )


async def end_grant(
    session: AsyncSession, subscription: Subscription, *, ends_at: datetime
) -> None:
    await entitlements.end_grants(
        session, source=GrantSource.subscription, source_ref=_ref(subscription), ends_at=ends_at
    )


async def end_grant_after(
    session: AsyncSession, subscription: Subscription, *, last_day: date
) -> None:
    """Access through `last_day` (JST) and no further (R-SUB-4/5)."""
    await end_grant(
        session,
        subscription,
        ends_at=jst_start_of_day(last_day.fromordinal(last_day.toordinal() + 1)),
    )
