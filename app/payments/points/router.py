"""Points HTTP API (R-REF-10). HTTP only; decisions live in `service`.

- Member: `GET /api/v1/me/points` (usable balance, the next expiry, usable grants) and
  `GET /api/v1/me/points/ledger` (every movement, newest first, paged).
- Staff: `POST /api/v1/admin/users/{user_id}/point-grants` grants points by hand or for a
  campaign with a reason (audited `points.granted`, Idempotency-Key honoured), and the same
  balance and ledger views of any member.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.auth.auth import CurrentStaff, CurrentUser
from app.auth.errors import UserNotFound
from app.db import DbSession
from app.kit.calendar import jst_date
from app.kit.clock import Now
from app.kit.errors import InvalidCursor
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.pagination import Page, PageQuery, paginate_as
from app.kit.request_context import Client
from app.models.commerce import PointLedgerEntry
from app.payments.points import repository, service
from app.payments.points.errors import PointGrantInvalid
from app.payments.points.schemas import (
    LiveGrantOut,
    PointBalanceOut,
    PointGrantCreate,
    PointGrantOut,
    PointLedgerEntryOut,
)
from app.payments.purchases.openapi import TAG, created, problems

router = APIRouter(tags=[TAG])

LEDGER_ORDER = [PointLedgerEntry.occurred_at, PointLedgerEntry.id]


async def _balance(session: DbSession, user_id: uuid.UUID, now: Now) -> PointBalanceOut:
    result = await service.balance(session, user_id=user_id, today=jst_date(now))
    return PointBalanceOut(
        usable_points=result.usable_points,
        next_expiry_on=result.next_expiry_on,
        next_expiry_points=result.next_expiry_points,
        grants=[LiveGrantOut.model_validate(grant) for grant in result.grants],
    )


@router.get(
    "/me/points",
    operation_id="payments_get_my_points",
    summary="My points balance",
    description="Points usable today, the next expiry and the usable grants. Points are bonus "
    "money, never cash; each grant is usable through the end of its expiry day (JST) (R-REF-10).",
    responses=problems(),
)
async def get_my_points(subject: CurrentUser, session: DbSession, now: Now) -> PointBalanceOut:
    return await _balance(session, subject.require_user().id, now)


@router.get(
    "/me/points/ledger",
    operation_id="payments_list_my_point_entries",
    summary="My points history",
    description="Every grant, spend, restoration and return, newest first (R-REF-10).",
    responses=problems(InvalidCursor),
)
async def list_my_point_entries(
    subject: CurrentUser, session: DbSession, page: PageQuery
) -> Page[PointLedgerEntryOut]:
    return await paginate_as(
        PointLedgerEntryOut,
        session,
        repository.ledger_of(subject.require_user().id),
        order_by=LEDGER_ORDER,
        descending=True,
        params=page,
    )


@router.post(
    "/admin/users/{user_id}/point-grants",
    operation_id="payments_grant_points",
    summary="Grant points to a member",
    description="Staff. By hand (`staff`) or for a campaign (`campaign`, with its code); a "
    "reason is required; audited as `points.granted` (R-ID-12). The expiry is today or later.",
    status_code=201,
    responses=created(*IDEMPOTENCY_ERRORS, PointGrantInvalid, UserNotFound),
)
@idempotent(status_code=201)
async def grant_points(
    user_id: uuid.UUID,
    body: PointGrantCreate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    response: Response,
) -> PointGrantOut:
    grant = await service.grant_by_staff(
        session,
        user_id=user_id,
        amount=body.amount,
        expires_on=body.expires_on,
        source=body.source,
        reason=body.reason,
        campaign_code=body.campaign_code,
        actor_id=subject.user_id,
        now=now,
        client=client,
    )
    response.headers["Location"] = f"/api/v1/admin/users/{user_id}/points"
    return PointGrantOut.model_validate(grant)


@router.get(
    "/admin/users/{user_id}/points",
    operation_id="payments_get_member_points",
    summary="A member's points balance",
    description="Staff. Usable points, the next expiry and the usable grants (R-REF-10).",
    responses=problems(UserNotFound),
)
async def get_member_points(
    user_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now
) -> PointBalanceOut:
    await service.user_must_exist(session, user_id)
    return await _balance(session, user_id, now)


@router.get(
    "/admin/users/{user_id}/point-ledger",
    operation_id="payments_list_member_point_entries",
    summary="A member's points history",
    description="Staff. Every movement, newest first.",
    responses=problems(UserNotFound, InvalidCursor),
)
async def list_member_point_entries(
    user_id: uuid.UUID, subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[PointLedgerEntryOut]:
    await service.user_must_exist(session, user_id)
    return await paginate_as(
        PointLedgerEntryOut,
        session,
        repository.ledger_of(user_id),
        order_by=LEDGER_ORDER,
        descending=True,
        params=page,
    )
