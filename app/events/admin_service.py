"""Staff use cases: create, change, publish and cancel webinars and workshops (R-CON-5, R-CON-6).

Every change of an existing event takes the event row's lock first (`repository.lock_event`),
like registrations do, so a change of capacity and a concurrent registration never both act
on a stale seat count. Raising the capacity (or removing it from a webinar) fills the new seats
from the wait list at once, in the same transaction (R-CON-6). Cancelling an event cancels
every live registration and emails the members (outbox, same transaction). Each action is
audited (`event.*`).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.events import emails, repository, rules
from app.events.errors import (
    EventCancelled,
    EventCapacityBelowRegistered,
    EventInvalid,
    EventNotFound,
)
from app.events.registrations import fill_seats
from app.kit.request_context import ClientInfo
from app.models.event import (
    Event,
    EventDelivery,
    EventKind,
    EventStatus,
    RegistrationCancelReason,
    RegistrationStatus,
)
from app.models.user import User


@dataclass(frozen=True, kw_only=True)
class StaffContext:
    actor: User
    now: datetime
    client: ClientInfo
    frontend_base_url: str


def _settings_of(event: Event) -> rules.EventSettings:
    return rules.EventSettings(
        kind=event.kind,
        delivery=event.delivery,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        registration_closes_at=event.registration_closes_at,
        capacity=event.capacity,
        minimum_headcount=event.minimum_headcount,
        recording_lesson_id=event.recording_lesson_id,
        recording_video_asset_id=event.recording_video_asset_id,
    )


async def _check(session: AsyncSession, settings: rules.EventSettings) -> None:
    """Raise `EventInvalid` naming every contradiction (nothing has been written yet)."""
    violations = rules.event_violations(settings)
    if settings.recording_lesson_id is not None and not await repository.lesson_exists(
        session, settings.recording_lesson_id
    ):
        violations.setdefault("body.recording_lesson_id", []).append("lesson_not_found")
    if violations:
        raise EventInvalid(errors=violations)


async def create_event(
    session: AsyncSession, fields: dict[str, Any], *, context: StaffContext
) -> Event:
    """A draft event. `registration_closes_at` defaults to `starts_at`."""
    values = dict(fields)
    if values.get("registration_closes_at") is None:
        values["registration_closes_at"] = values["starts_at"]
    values.setdefault("delivery", EventDelivery.live)
    settings = rules.EventSettings(
        kind=EventKind(values["kind"]),
        delivery=EventDelivery(values["delivery"]),
        starts_at=values["starts_at"],
        ends_at=values["ends_at"],
        registration_closes_at=values["registration_closes_at"],
        capacity=values.get("capacity"),
        minimum_headcount=values.get("minimum_headcount"),
        recording_lesson_id=values.get("recording_lesson_id"),
        recording_video_asset_id=values.get("recording_video_asset_id"),
    )
    await _check(session, settings)
    event = Event(
        id=uuid.uuid4(),
        status=EventStatus.draft,
        registered_count=0,
        waitlisted_count=0,
        queue_seq=0,
        created_by_user_id=context.actor.id,
        **values,
    )
    session.add(event)
    await session.flush()
    await session.refresh(event)
    await _audit(session, AuditAction.event_created, event, context, {"kind": event.kind.value})
    return event


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> Event:
    event = await repository.get_event(session, event_id)
    if event is None:
        raise EventNotFound()
    return event


async def _locked(session: AsyncSession, event_id: uuid.UUID) -> Event:
    event = await repository.lock_event(session, event_id)
    if event is None:
        raise EventNotFound()
    return event


async def update_event(
    session: AsyncSession, event_id: uuid.UUID, changes: dict[str, Any], *, context: StaffContext
) -> Event:
    event = await _locked(session, event_id)
    if event.status is EventStatus.cancelled:
        raise EventCancelled()
    current = {name: getattr(event, name) for name in changes}
    checked = {field.name for field in dataclasses.fields(rules.EventSettings)}
    merged = dataclasses.replace(
        _settings_of(event), **{k: v for k, v in changes.items() if k in checked}
    )
    await _check(session, merged)
    capacity = merged.capacity
    if capacity is not None and capacity < event.registered_count:
        raise EventCapacityBelowRegistered(registered=event.registered_count)
    for name, value in changes.items():
        setattr(event, name, value)
    await session.flush()
    await fill_seats(session, event, now=context.now, frontend_base_url=context.frontend_base_url)
    await session.flush()
    await session.refresh(event)
    changed = sorted(name for name, value in changes.items() if current[name] != value)
    await _audit(session, AuditAction.event_updated, event, context, {"fields": changed})
    return event


async def publish_event(
    session: AsyncSession, event_id: uuid.UUID, *, context: StaffContext
) -> Event:
    """Draft → published (members see it and may register). Publishing twice is harmless."""
    event = await _locked(session, event_id)
    if event.status is EventStatus.cancelled:
        raise EventCancelled()
    if event.status is EventStatus.draft:
        event.status = EventStatus.published
        event.published_at = context.now
        await session.flush()
        await session.refresh(event)
        await _audit(session, AuditAction.event_published, event, context, {})
    return event


async def cancel_event(
    session: AsyncSession, event_id: uuid.UUID, *, reason: str | None, context: StaffContext
) -> Event:
    """Cancel the event and every live registration; email each of those members (R-NTF-2).
    Cancelling twice is harmless (no second email)."""
    event = await _locked(session, event_id)
    if event.status is EventStatus.cancelled:
        return event
    registrations = await repository.live_registrations_with_users(session, event.id)
    for registration in registrations:
        registration.status = RegistrationStatus.cancelled
        registration.cancelled_at = context.now
        registration.cancel_reason = RegistrationCancelReason.event_cancelled
    event.status = EventStatus.cancelled
    event.cancelled_at = context.now
    event.cancel_reason = reason or None
    event.registered_count = 0
    event.waitlisted_count = 0
    await session.flush()
    if event.published_at is not None:
        for registration in registrations:
            await emails.send_event_cancelled(
                session,
                registration.user,
                event,
                now=context.now,
                frontend_base_url=context.frontend_base_url,
            )
    await session.refresh(event)
    await _audit(
        session,
        AuditAction.event_cancelled,
        event,
        context,
        {"registrations_cancelled": len(registrations), "reason": event.cancel_reason},
    )
    return event


async def _audit(
    session: AsyncSession,
    action: AuditAction,
    event: Event,
    context: StaffContext,
    data: dict[str, Any],
) -> None:
    await record_audit_event(
        session,
        action=action,
        now=context.now,
        actor_user_id=context.actor.id,
        target_type="event",
        target_id=event.id,
        client=context.client,
        data=data,
    )
