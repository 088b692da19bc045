"""SQL of the live-events domain (R-CON-5, R-CON-6). Takes the session; never commits.

Scope reads live here: `member_visible_clause` (what members and anonymous callers may see of
events), `own_registration` (a member's registration by id — another member's is "not found"),
`registrations_of_user`. Every write to an event's registrations happens after `lock_event`:
the event row's lock serializes them, which keeps the seat counters exact (see service).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from app.models.content import Lesson
from app.models.event import (
    Event,
    EventChatMessage,
    EventKind,
    EventRegistration,
    EventStatus,
    RegistrationStatus,
)

LIVE_STATUSES = (RegistrationStatus.registered, RegistrationStatus.waitlisted)


def member_visible_clause() -> ColumnElement[bool]:
    """Members see published events and cancelled ones (so registrants learn of the
    cancellation); drafts are staff-only."""
    return Event.status.in_([EventStatus.published, EventStatus.cancelled])


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> Event | None:
    return await session.get(Event, event_id)


async def lock_event(session: AsyncSession, event_id: uuid.UUID) -> Event | None:
    """The event row under `FOR UPDATE`, re-read (another transaction may just have changed it)."""
    return await session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def lesson_exists(session: AsyncSession, lesson_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(select(select(Lesson.id).where(Lesson.id == lesson_id).exists()))
    )


def upcoming_events(now: datetime, kind: EventKind | None) -> Select[Event]:
    """Published events not yet over (the public list; `ix_event_upcoming`)."""
    statement = select(Event).where(Event.status == EventStatus.published, Event.ends_at > now)
    if kind is not None:
        statement = statement.where(Event.kind == kind)
    return statement


def staff_events(kind: EventKind | None, status: EventStatus | None) -> Select[Event]:
    statement = select(Event)
    if kind is not None:
        statement = statement.where(Event.kind == kind)
    if status is not None:
        statement = statement.where(Event.status == status)
    return statement


# --- Wait-list positions ---------------------------------------------------------------------


def waitlist_position_of(registration: Any) -> ColumnElement[int]:
    """Correlated: 1 + the number of waitlisted rows of the same event ahead of `registration`
    (an `EventRegistration` entity or alias of the outer query). Meaningful for waitlisted rows."""
    other = aliased(EventRegistration)
    return (
        select(func.count())
        .select_from(other)
        .where(
            other.event_id == registration.event_id,
            other.status == RegistrationStatus.waitlisted,
            other.queue_seq <= registration.queue_seq,
        )
        .correlate(registration)
        .scalar_subquery()
    )


async def waitlist_positions(
    session: AsyncSession, registrations: Sequence[EventRegistration]
) -> dict[uuid.UUID, int]:
    """Positions (1-based) of the waitlisted ones among `registrations`, in one statement."""
    ids = [r.id for r in registrations if r.status is RegistrationStatus.waitlisted]
    if not ids:
        return {}
    rows = await session.execute(
        select(EventRegistration.id, waitlist_position_of(EventRegistration)).where(
            EventRegistration.id.in_(ids)
        )
    )
    return {registration_id: int(position) for registration_id, position in rows.all()}


# --- A member's view ---------------------------------------------------------------------------


async def event_with_own_registration(
    session: AsyncSession, event_id: uuid.UUID, user_id: uuid.UUID | None
) -> tuple[Event, EventRegistration | None, int | None] | None:
    """The event (if members may see it), the caller's live registration and its wait-list
    position — one statement, the hot read of the event page."""
    if user_id is None:
        event = await session.scalar(
            select(Event).where(Event.id == event_id, member_visible_clause())
        )
        return None if event is None else (event, None, None)
    mine = aliased(EventRegistration)
    row = (
        await session.execute(
            select(Event, mine, waitlist_position_of(mine))
            .outerjoin(
                mine,
                and_(
                    mine.event_id == Event.id,
                    mine.user_id == user_id,
                    mine.status.in_(LIVE_STATUSES),
                ),
            )
            .where(Event.id == event_id, member_visible_clause())
        )
    ).one_or_none()
    if row is None:
        return None
    event, registration, position = row
    waitlisted = registration is not None and registration.status is RegistrationStatus.waitlisted
    return event, registration, int(position) if waitlisted else None


async def live_registration(
    session: AsyncSession, event_id: uuid.UUID, user_id: uuid.UUID
) -> EventRegistration | None:
    return await session.scalar(
        select(EventRegistration)
        .where(
            EventRegistration.event_id == event_id,
            EventRegistration.user_id == user_id,
            EventRegistration.status.in_(LIVE_STATUSES),
        )
        .execution_options(populate_existing=True)
    )


async def own_registration(
    session: AsyncSession, registration_id: uuid.UUID, user_id: uuid.UUID
) -> EventRegistration | None:
    """The caller's registration with its event loaded; None for another member's."""
    return await session.scalar(
        select(EventRegistration)
        .options(joinedload(EventRegistration.event))
        .where(EventRegistration.id == registration_id, EventRegistration.user_id == user_id)
        .execution_options(populate_existing=True)
    )


def registrations_of_user(user_id: uuid.UUID) -> Select[EventRegistration]:
    return (
        select(EventRegistration)
        .options(joinedload(EventRegistration.event))
        .where(EventRegistration.user_id == user_id)
    )


# --- Staff and seat management -----------------------------------------------------------------


def registrations_of_event(
    event_id: uuid.UUID, status: RegistrationStatus | None
) -> Select[EventRegistration]:
    statement = (
        select(EventRegistration)
        .options(joinedload(EventRegistration.user))
        .where(EventRegistration.event_id == event_id)
    )
    if status is not None:
        statement = statement.where(EventRegistration.status == status)
    return statement


async def first_waitlisted(
    session: AsyncSession, event_id: uuid.UUID, limit: int
) -> list[EventRegistration]:
    """The `limit` waitlisted registrations first in line, with their members."""
    rows = await session.scalars(
        select(EventRegistration)
        .options(joinedload(EventRegistration.user))
        .where(
            EventRegistration.event_id == event_id,
            EventRegistration.status == RegistrationStatus.waitlisted,
        )
        .order_by(EventRegistration.queue_seq)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def live_registrations_with_users(
    session: AsyncSession, event_id: uuid.UUID
) -> list[EventRegistration]:
    rows = await session.scalars(
        select(EventRegistration)
        .options(joinedload(EventRegistration.user))
        .where(
            EventRegistration.event_id == event_id,
            EventRegistration.status.in_(LIVE_STATUSES),
        )
        .order_by(EventRegistration.queue_seq)
        .execution_options(populate_existing=True)
    )
    return list(rows)


# --- Chat --------------------------------------------------------------------------------------


def chat_messages(
    event_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None
) -> Select[EventChatMessage]:
    """The event's messages; with `after` (a message's `(posted_at, id)`), only later ones."""
    statement = (
        select(EventChatMessage)
        .options(joinedload(EventChatMessage.user))
        .where(EventChatMessage.event_id == event_id)
    )
    if after is not None:
        statement = statement.where(
            tuple_(EventChatMessage.posted_at, EventChatMessage.id) > tuple_(*after)
        )
    return statement


async def chat_position(
    session: AsyncSession, event_id: uuid.UUID, message_id: uuid.UUID
) -> tuple[datetime, uuid.UUID] | None:
    row = (
        await session.execute(
            select(EventChatMessage.posted_at, EventChatMessage.id).where(
                EventChatMessage.id == message_id, EventChatMessage.event_id == event_id
            )
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


async def is_confirmed_registrant(
    session: AsyncSession, event_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    return bool(
        await session.scalar(
            select(
                select(EventRegistration.id)
                .where(
                    EventRegistration.event_id == event_id,
                    EventRegistration.user_id == user_id,
                    EventRegistration.status == RegistrationStatus.registered,
                )
                .exists()
            )
        )
    )
