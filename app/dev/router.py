"""Development-only endpoints: the adjustable clock (like a payment provider's test clock).

Mounted only when the clock is adjustable (never in production). Freezing or advancing the
clock moves every rule evaluated by the API and the job worker: trials, renewals, deadlines.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, Field

from app.config import Settings
from app.db import DbSession
from app.kit.clock import effective_now, read_now, set_clock, system_now
from app.kit.problems import problem_responses
from app.kit.schemas import ResponseSchema, Schema
from app.models.platform import TestClockState

router = APIRouter(prefix="/dev", tags=["dev"])


class ClockState(ResponseSchema):
    now: datetime = Field(description="What the API and workers take as now.")
    frozen: bool
    offset_seconds: int


class ClockUpdate(Schema):
    frozen_at: AwareDatetime | None = Field(
        default=None, description="Freeze the clock at this instant (RFC 3339 with offset)."
    )
    offset_seconds: int = Field(default=0, description="When not frozen: run shifted by this much.")


class ClockAdvance(Schema):
    seconds: int = Field(default=0, ge=0, le=10 * 365 * 86400)
    days: int = Field(default=0, ge=0, le=3650)


def _state(state: TestClockState | None) -> ClockState:
    return ClockState(
        now=effective_now(state, system_now()),
        frozen=bool(state and state.frozen_at is not None),
        offset_seconds=state.offset_seconds if state else 0,
    )


@router.get("/clock", operation_id="dev_get_clock", summary="Read the adjustable clock")
async def get_clock(session: DbSession, request: Request) -> ClockState:
    settings: Settings = request.app.state.settings
    now = await read_now(session, settings)
    state = await session.get(TestClockState, 1)
    result = _state(state)
    result.now = now
    return result


@router.put(
    "/clock",
    operation_id="dev_set_clock",
    summary="Freeze the clock at an instant, or run it with an offset",
    responses=problem_responses(),
)
async def put_clock(body: ClockUpdate, session: DbSession) -> ClockState:
    state = await set_clock(session, frozen_at=body.frozen_at, offset_seconds=body.offset_seconds)
    return _state(state)


@router.post(
    "/clock/advance",
    operation_id="dev_advance_clock",
    summary="Move the clock forward (frozen: the frozen instant; running: the offset)",
    responses=problem_responses(),
)
async def advance_clock(body: ClockAdvance, session: DbSession) -> ClockState:
    delta = timedelta(days=body.days, seconds=body.seconds)
    state = await session.get(TestClockState, 1)
    if state is not None and state.frozen_at is not None:
        state = await set_clock(session, frozen_at=state.frozen_at + delta, offset_seconds=0)
    else:
        offset = (state.offset_seconds if state else 0) + int(delta.total_seconds())
        state = await set_clock(session, frozen_at=None, offset_seconds=offset)
    return _state(state)


@router.delete(
    "/clock", operation_id="dev_reset_clock", summary="Back to real time", status_code=204
)
async def reset_clock(session: DbSession) -> None:
    await set_clock(session, frozen_at=None, offset_seconds=0)
