"""Members register for webinars and workshops; the wait list moves up by itself (R-CON-6).

Exactness under concurrency comes from one lock: every change to an event's registrations
(register, cancel, promote, staff changes of capacity, cancelling the event) first takes the
event row with `SELECT … FOR UPDATE`. While a transaction holds it, `registered_count`,
`waitlisted_count` and `queue_seq` on that row are the truth and nobody else can change them, so
of N concurrent registrations for C seats exactly C are confirmed and the rest are waitlisted in
arrival order with positions 1..N-C. The lock is held for a few short statements (the membership
check runs before it is taken). Check constraints on the table refuse a seat count above the
capacity even if a future code path forgot the lock.

Decisions:

- Registering twice is idempotent: the member's live registration (registered or waitlisted) is
  returned as it is with 200 (201 when created) — a mobile retry never makes a second one.
- Registration is open until (not at) `registration_closes_at`.
- A member may cancel until (not at) `starts_at`; cancelling twice returns the cancelled row.
  A freed seat goes to the first waitlisted member in the same transaction, who is emailed
  (`event_waitlist_promoted`, through the outbox). Registering again after cancelling makes a
  new registration at the back of the queue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements.service import require_membership
from app.events import emails, repository, rules
from app.events.errors import (
    EventAlreadyStarted,
    EventCancelled,
    EventNotFound,
    EventRegistrationClosed,
    EventRegistrationNotFound,
)
from app.kit.pagination import PageParams, paginate
from app.models.event import (
    Event,
    EventRegistration,
    EventStatus,
    RegistrationCancelReason,
    RegistrationStatus,
)
from app.models.user import Role, User


@dataclass(frozen=True)
class RegistrationView:
    registration: EventRegistration
    event: Event
    waitlist_position: int | None


async def register(
    session: AsyncSession,
    *,
    user: User,
    role: Role | None,
    event_id: uuid.UUID,
    now: datetime,
) -> tuple[RegistrationView, bool]:
    """Register `user`; returns the registration and whether it was created (False: it already
    existed and is returned unchanged)."""
    await require_membership(session, user_id=user.id, role=role, now=now)
    event = await repository.lock_event(session, event_id)
    if event is None or event.status is EventStatus.draft:
        raise EventNotFound()
    if event.status is EventStatus.cancelled:
        raise EventCancelled()
    existing = await repository.live_registration(session, event.id, user.id)
    if existing is not None:
        positions = await repository.waitlist_positions(session, [existing])
        return RegistrationView(existing, event, positions.get(existing.id)), False
    if not rules.registration_is_open(
        status=event.status, closes_at=event.registration_closes_at, now=now
    ):
        raise EventRegistrationClosed(closes_at=event.registration_closes_at.isoformat())

    seat = rules.gets_a_seat(capacity=event.capacity, registered_count=event.registered_count)
    event.queue_seq += 1
    registration = EventRegistration(
        id=uuid.uuid4(),
        event_id=event.id,
        user_id=user.id,
        status=RegistrationStatus.registered if seat else RegistrationStatus.waitlisted,
        queue_seq=event.queue_seq,
        applied_at=now,
        confirmed_at=now if seat else None,
    )
    if seat:
        event.registered_count += 1
    else:
        event.waitlisted_count += 1
    session.add(registration)
    await session.flush()
    # The newest application is last in line: its position is the wait list's length.
    position = None if seat else event.waitlisted_count
    return RegistrationView(registration, event, position), True


async def cancel(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    registration_id: uuid.UUID,
    now: datetime,
    frontend_base_url: str,
) -> RegistrationView:
    """The member gives back their seat or wait-list place (another member's: not found)."""
    found = await repository.own_registration(session, registration_id, user_id)
    if found is None:
        raise EventRegistrationNotFound()
    event = await repository.lock_event(session, found.event_id)
    # Re-read under the lock: a concurrent promotion or cancellation may have changed it.
    registration = await repository.own_registration(session, registration_id, user_id)
    if event is None or registration is None:
        raise EventRegistrationNotFound()
    if registration.status is RegistrationStatus.cancelled:
        return RegistrationView(registration, event, None)
    if not rules.member_may_cancel(starts_at=event.starts_at, now=now):
        raise EventAlreadyStarted()

    had_seat = registration.status is RegistrationStatus.registered
    registration.status = RegistrationStatus.cancelled
    registration.cancelled_at = now
    registration.cancel_reason = RegistrationCancelReason.member
    if had_seat:
        event.registered_count -= 1
    else:
        event.waitlisted_count -= 1
    await session.flush()
    if had_seat:
        await fill_seats(session, event, now=now, frontend_base_url=frontend_base_url)
    return RegistrationView(registration, event, None)


async def fill_seats(
    session: AsyncSession, event: Event, *, now: datetime, frontend_base_url: str
) -> list[EventRegistration]:
    """Promote waitlisted members, first come first served, into the free seats (R-CON-6).

    The caller holds the event's lock. Nothing moves once the event is over or not published.
    Each promoted member is emailed through the outbox in this transaction.
    """
    if event.status is not EventStatus.published or now >= event.ends_at:
        return []
    count = rules.seats_to_fill(
        capacity=event.capacity,
        registered_count=event.registered_count,
        waitlisted_count=event.waitlisted_count,
    )
    if count == 0:
        return []
    promoted = await repository.first_waitlisted(session, event.id, count)
    for registration in promoted:
        registration.status = RegistrationStatus.registered
        registration.confirmed_at = now
        registration.promoted_at = now
    event.registered_count += len(promoted)
    event.waitlisted_count -= len(promoted)
    await session.flush()
    for registration in promoted:
        await emails.send_promoted(
            session, registration.user, event, now=now, frontend_base_url=frontend_base_url
        )
    return promoted


# --- Reads -------------------------------------------------------------------------------------


async def own_registration(
    session: AsyncSession, *, user_id: uuid.UUID, registration_id: uuid.UUID
) -> RegistrationView:
    registration = await repository.own_registration(session, registration_id, user_id)
    if registration is None:
        raise EventRegistrationNotFound()
    positions = await repository.waitlist_positions(session, [registration])
    return RegistrationView(registration, registration.event, positions.get(registration.id))


async def own_registrations(
    session: AsyncSession, *, user_id: uuid.UUID, page: PageParams
) -> tuple[list[RegistrationView], str | None]:
    """The member's registrations (every status), newest application first; two statements."""
    rows, next_cursor = await paginate(
        session,
        repository.registrations_of_user(user_id),
        order_by=[EventRegistration.applied_at, EventRegistration.id],
        descending=True,
        params=page,
    )
    positions = await repository.waitlist_positions(session, rows)
    views = [RegistrationView(r, r.event, positions.get(r.id)) for r in rows]
    return views, next_cursor
