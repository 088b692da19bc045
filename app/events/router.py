"""Webinars and workshops for members (R-CON-5, R-CON-6). HTTP only; decisions live in
`app.events.registrations` and `app.events.chat`.

What a client needs to know:

- `GET /events` (public, like the catalog) lists upcoming published events in start order with
  their seat counts; a workshop shows `minimum_headcount` and `group_work_expected` (group work
  is skipped while fewer are registered). No list ever carries the join link.
- `GET /events/{id}` (public; send the bearer token when signed in) adds the caller's own
  registration and, only when it is confirmed (`registered`), the Zoom/streaming `join_url`
  (and the recording reference of a recorded webinar). Waitlisted, cancelled, other members and
  anonymous callers get null.
- `POST /events/{id}/registrations` needs the membership (`membership-required`, 403). It answers
  201 with `status: registered`, or `waitlisted` with `waitlist_position` (1 = next in line) when
  the event is full. Registering again while registered or waitlisted is harmless: 200 with the
  existing registration. Registration closes at `registration_closes_at` (that instant included:
  `event-registration-closed`).
- `POST /me/event-registrations/{id}/cancel` gives the seat back until the event starts
  (`event-already-started` from then on). The first waitlisted member gets the seat at once and
  is emailed. Registering again after cancelling puts you at the back of the wait list.
- Live webinars take questions by chat: `POST /events/{id}/chat-messages` (confirmed registrants,
  from `starts_at` until just before `ends_at`; otherwise `event-chat-closed`, always for
  recorded webinars and workshops), at most 5 per minute (`event-chat-rate-limited`, 429 with
  `Retry-After`); accepts `Idempotency-Key`. `GET` reads them oldest first (registrants, staff);
  poll with `?after=<last message id>`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.entitlements.errors import MembershipRequired
from app.entitlements.rules import may_preview
from app.events import chat, registrations, repository, rules
from app.events.auth import AppSettings, CurrentUser, OptionalUser
from app.events.errors import (
    EventAlreadyStarted,
    EventCancelled,
    EventChatClosed,
    EventChatRateLimited,
    EventNotFound,
    EventRegistrationClosed,
    EventRegistrationNotFound,
    EventRegistrationRequired,
)
from app.events.schemas import (
    ChatMessage,
    ChatMessageCreate,
    EventDetail,
    EventSummary,
    MyRegistration,
    Registration,
    event_summary,
    event_summary_fields,
)
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.pagination import Page, PageQuery, paginate
from app.kit.problems import problem_responses
from app.models.event import Event, EventChatMessage, EventKind, RegistrationStatus
from app.models.user import User

router = APIRouter(tags=["events"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def registration_out(view: registrations.RegistrationView, now: datetime) -> Registration:
    r = view.registration
    return Registration(
        id=r.id,
        event_id=r.event_id,
        status=r.status,
        waitlist_position=view.waitlist_position,
        applied_at=r.applied_at,
        confirmed_at=r.confirmed_at,
        promoted_at=r.promoted_at,
        cancelled_at=r.cancelled_at,
        cancel_reason=r.cancel_reason,
        event=event_summary(view.event, now),
    )


def chat_message_out(message: EventChatMessage, *, viewer: User, is_staff: bool) -> ChatMessage:
    return ChatMessage(
        id=message.id,
        event_id=message.event_id,
        body=message.body,
        posted_at=message.posted_at,
        is_mine=message.user_id == viewer.id,
        author_user_id=message.user_id if is_staff else None,
        author_name=message.user.name if is_staff else None,
    )


# --- Events ------------------------------------------------------------------------------------


@router.get(
    "/events",
    operation_id="events_list_events",
    summary="List upcoming webinars and workshops",
    description="Public. Published events that have not ended, in start order, with seat counts "
    "and (workshops) the minimum head-count for group work (R-CON-5, R-CON-6). Never carries "
    "join links.",
    responses=problem_responses(InvalidCursor),
)
async def list_events(
    session: DbSession, now: Now, page: PageQuery, kind: EventKind | None = None
) -> Page[EventSummary]:
    events, next_cursor = await paginate(
        session,
        repository.upcoming_events(now, kind),
        order_by=[Event.starts_at, Event.id],
        descending=False,
        params=page,
    )
    return Page[EventSummary](
        items=[event_summary(event, now) for event in events], next_cursor=next_cursor
    )


@router.get(
    "/events/{event_id}",
    operation_id="events_get_event",
    summary="Read an event (with the join link for a confirmed registrant)",
    description="Public; signed-in callers also get their own registration. `join_url` and the "
    "recording reference are filled only for the caller's confirmed registration (R-CON-6).",
    responses=problems(EventNotFound),
)
async def get_event(
    event_id: uuid.UUID, subject: OptionalUser, session: DbSession, now: Now
) -> EventDetail:
    found = await repository.event_with_own_registration(
        session, event_id, subject.user_id if subject else None
    )
    if found is None:
        raise EventNotFound()
    event, mine, position = found
    confirmed = mine is not None and mine.status is RegistrationStatus.registered
    return EventDetail.model_validate(
        {
            **event_summary_fields(event, now),
            "is_chat_open": rules.chat_is_open(
                kind=event.kind,
                delivery=event.delivery,
                status=event.status,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                now=now,
            ),
            "join_url": event.join_url if confirmed else None,
            "recording_lesson_id": event.recording_lesson_id if confirmed else None,
            "recording_video_asset_id": event.recording_video_asset_id if confirmed else None,
            "my_registration": (
                None
                if mine is None
                else MyRegistration(id=mine.id, status=mine.status, waitlist_position=position)
            ),
        }
    )


# --- Registrations -----------------------------------------------------------------------------


@router.post(
    "/events/{event_id}/registrations",
    operation_id="events_create_registration",
    summary="Register for an event (or join its wait list)",
    description="Members (membership required, R-SUB-10). 201 `registered`, or `waitlisted` "
    "with `waitlist_position` when full (R-CON-6). Registering again while registered or "
    "waitlisted returns that registration unchanged with 200. Closed at "
    "`registration_closes_at` (inclusive).",
    status_code=201,
    responses={
        200: {
            "model": Registration,
            "description": "Already registered or waitlisted: the existing registration",
        },
        201: {
            "description": "Created",
            "headers": {
                "Location": {"description": "The registration", "schema": {"type": "string"}}
            },
        },
        **problems(MembershipRequired, EventNotFound, EventCancelled, EventRegistrationClosed),
    },
)
async def create_registration(
    event_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    request: Request,
    response: Response,
) -> Registration:
    view, created = await registrations.register(
        session, user=subject.require_user(), role=subject.role, event_id=event_id, now=now
    )
    response.headers["Location"] = request.url_for(
        "events_get_my_registration", registration_id=str(view.registration.id)
    ).path
    if not created:
        response.status_code = 200
    return registration_out(view, now)


@router.get(
    "/me/event-registrations",
    operation_id="events_list_my_registrations",
    summary="My webinar and workshop registrations",
    description="Your own registrations in every status, newest first; waitlisted ones carry "
    "their current position (R-CON-6). Join links are on the event page only.",
    responses=problems(InvalidCursor),
)
async def list_my_registrations(
    subject: CurrentUser, session: DbSession, now: Now, page: PageQuery
) -> Page[Registration]:
    views, next_cursor = await registrations.own_registrations(
        session, user_id=subject.require_user().id, page=page
    )
    return Page[Registration](
        items=[registration_out(view, now) for view in views], next_cursor=next_cursor
    )


@router.get(
    "/me/event-registrations/{registration_id}",
    operation_id="events_get_my_registration",
    name="events_get_my_registration",
    summary="One of my registrations",
    description="Another member's registration is `event-registration-not-found`.",
    responses=problems(EventRegistrationNotFound),
)
async def get_my_registration(
    registration_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> Registration:
    view = await registrations.own_registration(
        session, user_id=subject.require_user().id, registration_id=registration_id
    )
    return registration_out(view, now)


@router.post(
    "/me/event-registrations/{registration_id}/cancel",
    operation_id="events_cancel_my_registration",
    summary="Cancel my registration (the wait list moves up)",
    description="Until the event starts (`event-already-started` from `starts_at` on). A freed "
    "seat goes at once to the first waitlisted member, who is emailed (R-CON-6). Cancelling "
    "again returns the cancelled registration.",
    responses=problems(EventRegistrationNotFound, EventAlreadyStarted),
)
async def cancel_my_registration(
    registration_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> Registration:
    view = await registrations.cancel(
        session,
        user_id=subject.require_user().id,
        registration_id=registration_id,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    return registration_out(view, now)


# --- Chat Q&A ----------------------------------------------------------------------------------


@router.post(
    "/events/{event_id}/chat-messages",
    operation_id="events_create_chat_message",
    summary="Ask a question in a live webinar's chat",
    description="Confirmed registrants of a live webinar, while it is on air: from `starts_at` "
    "until just before `ends_at` (R-CON-5). Recorded webinars and workshops: "
    "`event-chat-closed`. At most 5 messages per minute per member.",
    status_code=201,
    responses=problems(
        *IDEMPOTENCY_ERRORS,
        EventNotFound,
        EventRegistrationRequired,
        EventChatClosed,
        EventChatRateLimited,
    ),
)
@idempotent(status_code=201)
async def create_chat_message(
    event_id: uuid.UUID,
    body: ChatMessageCreate,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
) -> ChatMessage:
    user = subject.require_user()
    message = await chat.post_message(
        session, user=user, event_id=event_id, body=body.body, now=now
    )
    return chat_message_out(message, viewer=user, is_staff=False)


@router.get(
    "/events/{event_id}/chat-messages",
    operation_id="events_list_chat_messages",
    summary="Read a webinar's chat questions",
    description="Confirmed registrants and staff, oldest first. Members see questions without "
    "their authors (`is_mine` marks their own); staff see who asked (R-CON-5). Poll for new "
    "questions with `?after=<id of the last message you have>`.",
    responses=problems(EventNotFound, EventRegistrationRequired, InvalidCursor),
)
async def list_chat_messages(
    event_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    page: PageQuery,
    after: Annotated[
        uuid.UUID | None,
        Query(description="Only messages after this one (the last message you have): polling."),
    ] = None,
) -> Page[ChatMessage]:
    user = subject.require_user()
    messages, next_cursor = await chat.list_messages(
        session, user=user, role=subject.role, event_id=event_id, page=page, after=after
    )
    is_staff = may_preview(subject.role)
    return Page[ChatMessage](
        items=[chat_message_out(m, viewer=user, is_staff=is_staff) for m in messages],
        next_cursor=next_cursor,
    )
