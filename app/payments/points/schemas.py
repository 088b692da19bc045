"""The contract of the points ledger (R-REF-10). Points are bonus money: 1 point pays ¥1 of a
purchase and is never paid out as cash."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.kit.schemas import ResponseSchema, Schema
from app.models.commerce import PointEntryKind, PointSource

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
CampaignCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
    ),
]


class PointGrantCreate(Schema):
    amount: int = Field(ge=1, le=1_000_000, strict=True, description="Points to grant.")
    expires_on: date = Field(description="Usable through the end of this day (JST).")
    source: PointSource = Field(
        default=PointSource.staff, description="`staff` (by hand) or `campaign`."
    )
    campaign_code: CampaignCode | None = Field(default=None, description="Required for campaign.")
    reason: Reason = Field(description="Why the points are granted (kept and audited).")


class PointGrantOut(ResponseSchema):
    id: uuid.UUID
    user_id: uuid.UUID
    source: PointSource
    amount: int
    remaining: int
    expires_on: date = Field(description="Usable through the end of this day (JST).")
    reason: str | None
    campaign_code: str | None
    purchase_id: uuid.UUID | None = Field(description="For returned points: the purchase.")
    granted_at: datetime


class LiveGrantOut(ResponseSchema):
    id: uuid.UUID
    source: PointSource
    remaining: int
    expires_on: date


class PointBalanceOut(ResponseSchema):
    usable_points: int = Field(description="Points usable today (expired ones do not count).")
    next_expiry_on: date | None = Field(description="The earliest expiry among usable points.")
    next_expiry_points: int = Field(description="How many points expire on that day.")
    grants: list[LiveGrantOut] = Field(description="Usable grants, earliest expiry first.")


class PointLedgerEntryOut(ResponseSchema):
    id: uuid.UUID
    kind: PointEntryKind = Field(
        description="`granted`, `spent` (a purchase), `restored` (a checkout failed or was "
        "abandoned), `returned` (a refund, R-REF-10)."
    )
    points: int = Field(description="Signed: negative when spent.")
    grant_id: uuid.UUID
    expires_on: date = Field(description="Expiry of the grant the points belong to.")
    purchase_id: uuid.UUID | None
    note: str | None
    occurred_at: datetime
