"""Test data for webinars and workshops (R-CON-5, R-CON-6): real rows, no mocks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import set_clock
from app.models import (
    AuditEvent,
    EmailOutbox,
    Event,
    EventChatMessage,
    EventDelivery,
    EventKind,
    EventRegistration,
    EventStatus,
    Role,
    User,
)
from tests.factories import bearer_for, make_grant, make_user

API = "/api/v1"
# 2026-12-01 10:00 JST: the tests' "now"; events start a week later unless told otherwise.
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=7)
ENDS = STARTS + timedelta(hours=2)
ZOOM = "https://us02web.zoom.us/j/81234567890?pwd=secret"


async def make_event(
    session: AsyncSession,
    *,
    kind: EventKind = EventKind.workshop,
    delivery: EventDelivery = EventDelivery.live,
    status: EventStatus = EventStatus.published,
    title: str = "チームで進める業務改善ワークショップ",
    starts_at: datetime = STARTS,
    ends_at: datetime | None = None,
    registration_closes_at: datetime | None = None,
    capacity: int | None = 5,
    minimum_headcount: int | None = None,
    join_url: str | None = ZOOM,
) -> Event:
    """A published workshop (5 seats, group work from 3) a week ahead, unless told otherwise."""
    if kind is EventKind.workshop and minimum_headcount is None:
        minimum_headcount = min(3, capacity or 3)
    event = Event(
        id=uuid.uuid4(),
        kind=kind,
        delivery=delivery,
        status=status,
        title=title,
        description="",
        starts_at=starts_at,
        ends_at=ends_at or starts_at + timedelta(hours=2),
        registration_closes_at=registration_closes_at or starts_at,
        capacity=capacity,
        minimum_headcount=minimum_headcount,
        join_url=join_url,
        registered_count=0,
        waitlisted_count=0,
        queue_seq=0,
        published_at=NOW if status is not EventStatus.draft else None,
    )
    session.add(event)
    await session.flush()
    return event


async def member(
    session: AsyncSession,
    settings: Settings,
    *,
    at: datetime = NOW,
    membership: bool = True,
    name: str = "山田 太郎",
) -> tuple[User, dict[str, str]]:
    """A member (with a live membership grant unless told otherwise) and a token valid at `at`."""
    user = await make_user(session, name=name)
    if membership:
        await make_grant(session, user)
    return user, await bearer_for(session, user, settings, now=at)


async def staff(
    session: AsyncSession, settings: Settings, *, at: datetime = NOW
) -> tuple[User, dict[str, str]]:
    user = await make_user(session, role=Role.staff, name="事務局 花子")
    return user, await bearer_for(session, user, settings, now=at)


async def set_now(session: AsyncSession, at: datetime) -> None:
    """Freeze the app's clock and commit (a savepoint in the rolled-back tests)."""
    await set_clock(session, frozen_at=at, offset_seconds=0)
    await session.commit()


async def counts(session: AsyncSession) -> dict[str, int]:
    """Row counts of every table an events request may write."""
    result = {}
    for model in (Event, EventRegistration, EventChatMessage, EmailOutbox, AuditEvent):
        result[model.__tablename__] = int(
            await session.scalar(select(func.count()).select_from(model)) or 0
        )
    return result


async def emails_to(session: AsyncSession, user: User, template: str) -> list[EmailOutbox]:
    return list(
        await session.scalars(
            select(EmailOutbox).where(
                EmailOutbox.user_id == user.id, EmailOutbox.template == template
            )
        )
    )


async def reload_event(session: AsyncSession, event_id: uuid.UUID) -> Event:
    event = await session.scalar(
        select(Event).where(Event.id == event_id).execution_options(populate_existing=True)
    )
    assert event is not None
    return event
