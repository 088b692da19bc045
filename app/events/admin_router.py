"""Staff operations on webinars and workshops (R-CON-5, R-CON-6). HTTP only; decisions live in
`app.events.admin_service`.

What a client needs to know: events are created as drafts (`POST /admin/events`), changed with
`PATCH` (only the fields sent; `kind` is fixed), shown to members by `POST …/publish`, and
called off by `POST …/cancel`, which cancels every registration and emails those members.
Workshops need `capacity` and `minimum_headcount`; webinars may have a capacity (null =
unlimited); `join_url` must be `https://`. Contradictory values are `event-invalid` (400) with a
code per field in `errors`. Raising the capacity promotes waitlisted members at once; lowering
it below the registered count is `event-capacity-below-registered`. `GET …/registrations` lists
registrants and the wait list (`?status=waitlisted`, in line order with positions).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from app.auth.authenticator import Subject
from app.auth.errors import PERSON_AUTH_ERRORS
from app.config import Settings
from app.db import DbSession
from app.events import admin_service, repository
from app.events.admin_service import StaffContext
from app.events.auth import AppSettings, CurrentStaff
from app.events.errors import (
    EventCancelled,
    EventCapacityBelowRegistered,
    EventInvalid,
    EventNotFound,
)
from app.events.schemas import (
    AdminEvent,
    AdminRegistration,
    EventCancel,
    EventCreate,
    EventUpdate,
    admin_event,
)
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery, paginate
from app.kit.problems import problem_responses
from app.kit.request_context import Client, ClientInfo
from app.models.event import Event, EventKind, EventRegistration, EventStatus, RegistrationStatus

router = APIRouter(prefix="/admin/events", tags=["admin"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def _context(
    subject: Subject, now: datetime, client: ClientInfo, settings: Settings
) -> StaffContext:
    return StaffContext(
        actor=subject.require_user(),
        now=now,
        client=client,
        frontend_base_url=settings.frontend_base_url,
    )


@router.get(
    "",
    operation_id="admin_list_events",
    summary="List events (every status)",
    description="Staff. Newest start first; filter by `kind` and `status`.",
    responses=problems(InvalidCursor),
)
async def list_events(
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    page: PageQuery,
    kind: EventKind | None = None,
    status: EventStatus | None = None,
) -> Page[AdminEvent]:
    events, next_cursor = await paginate(
        session,
        repository.staff_events(kind, status),
        order_by=[Event.starts_at, Event.id],
        descending=True,
        params=page,
    )
    return Page[AdminEvent](items=[admin_event(e, now) for e in events], next_cursor=next_cursor)


@router.post(
    "",
    operation_id="admin_create_event",
    summary="Create a webinar or workshop (draft)",
    description="Staff. Workshops: live (Zoom), `capacity` and `minimum_headcount` required "
    "(R-CON-6). Webinars: `live` (chat Q&A) or `recorded` (no Q&A; may reference the recording) "
    "(R-CON-5). `registration_closes_at` defaults to `starts_at`. Audited.",
    status_code=201,
    responses={
        201: {
            "description": "Created",
            "headers": {"Location": {"description": "The event", "schema": {"type": "string"}}},
        },
        **problems(EventInvalid),
    },
)
async def create_event(
    body: EventCreate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
    request: Request,
    response: Response,
) -> AdminEvent:
    event = await admin_service.create_event(
        session, body.model_dump(), context=_context(subject, now, client, settings)
    )
    response.headers["Location"] = request.url_for("admin_get_event", event_id=str(event.id)).path
    return admin_event(event, now)


@router.get(
    "/{event_id}",
    operation_id="admin_get_event",
    name="admin_get_event",
    summary="Read an event",
    description="Staff; every status, with the join link.",
    responses=problems(EventNotFound),
)
async def get_event(
    event_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now
) -> AdminEvent:
    return admin_event(await admin_service.get_event(session, event_id), now)


@router.patch(
    "/{event_id}",
    operation_id="admin_update_event",
    summary="Change an event",
    description="Staff. Only the fields sent change; the result must still be coherent "
    "(`event-invalid`). More seats promote waitlisted members at once (R-CON-6); fewer than "
    "registered is refused. Cancelled events cannot change. Audited.",
    responses=problems(EventNotFound, EventInvalid, EventCancelled, EventCapacityBelowRegistered),
)
async def update_event(
    event_id: uuid.UUID,
    body: EventUpdate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> AdminEvent:
    event = await admin_service.update_event(
        session,
        event_id,
        body.model_dump(exclude_unset=True),
        context=_context(subject, now, client, settings),
    )
    return admin_event(event, now)


@router.post(
    "/{event_id}/publish",
    operation_id="admin_publish_event",
    summary="Publish an event",
    description="Staff. Members see it and may register. Publishing again changes nothing.",
    responses=problems(EventNotFound, EventCancelled),
)
async def publish_event(
    event_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> AdminEvent:
    event = await admin_service.publish_event(
        session, event_id, context=_context(subject, now, client, settings)
    )
    return admin_event(event, now)


@router.post(
    "/{event_id}/cancel",
    operation_id="admin_cancel_event",
    summary="Cancel an event",
    description="Staff. Cancels every registration and wait-list place and emails those members "
    "(outbox, same transaction). Cancelling again changes nothing and sends nothing. Audited.",
    responses=problems(EventNotFound),
)
async def cancel_event(
    event_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
    body: EventCancel | None = None,
) -> AdminEvent:
    event = await admin_service.cancel_event(
        session,
        event_id,
        reason=body.reason if body else None,
        context=_context(subject, now, client, settings),
    )
    return admin_event(event, now)


@router.get(
    "/{event_id}/registrations",
    operation_id="admin_list_event_registrations",
    summary="List an event's registrants and wait list",
    description="Staff. In application order; `?status=waitlisted` is the wait list in line "
    "order with positions, `?status=registered` the confirmed registrants (R-CON-6).",
    responses=problems(EventNotFound, InvalidCursor),
)
async def list_registrations(
    event_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    page: PageQuery,
    status: RegistrationStatus | None = None,
) -> Page[AdminRegistration]:
    await admin_service.get_event(session, event_id)
    rows, next_cursor = await paginate(
        session,
        repository.registrations_of_event(event_id, status),
        order_by=[EventRegistration.queue_seq, EventRegistration.id],
        descending=False,
        params=page,
    )
    positions = await repository.waitlist_positions(session, rows)
    items = [
        AdminRegistration(
            id=r.id,
            user_id=r.user_id,
            user_name=r.user.name,
            user_email=r.user.email,
            status=r.status,
            waitlist_position=positions.get(r.id),
            applied_at=r.applied_at,
            confirmed_at=r.confirmed_at,
            promoted_at=r.promoted_at,
            cancelled_at=r.cancelled_at,
            cancel_reason=r.cancel_reason,
        )
        for r in rows
    ]
    return Page[AdminRegistration](items=items, next_cursor=next_cursor)
