"""The public contract of webinars and workshops (R-CON-5, R-CON-6).

`join_url` and the recording reference appear in exactly two shapes: `EventDetail` (the event
page, filled only for the caller's own confirmed registration) and `AdminEvent` (staff). No list
item carries them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from app.events import rules
from app.kit.schemas import ResponseSchema, Schema
from app.models.event import (
    Event,
    EventDelivery,
    EventKind,
    EventStatus,
    RegistrationCancelReason,
    RegistrationStatus,
)


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry credentials")
    if any(character.isspace() or ord(character) < 0x20 for character in value):
        raise ValueError("must not contain spaces or control characters")
    return value


JoinUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_https_url),
    Field(
        description="The Zoom (or streaming) link, `https://` only. Shown to members only on "
        "the event page, and only once their registration is confirmed (R-CON-6).",
        examples=["https://us02web.zoom.us/j/81234567890?pwd=abc"],
    ),
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=20000)]
AssetId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Capacity = Annotated[int, Field(ge=1, le=100_000)]
Headcount = Annotated[int, Field(ge=1, le=100_000)]


# --- Staff input -------------------------------------------------------------------------------


class EventCreate(Schema):
    kind: EventKind
    delivery: EventDelivery = Field(
        default=EventDelivery.live,
        description="Webinars: `live` (Q&A by chat while on air) or `recorded` (no Q&A). "
        "Workshops are always `live` (Zoom).",
    )
    title: Title
    description: Description = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    registration_closes_at: AwareDatetime | None = Field(
        default=None,
        description="Registration is open until (not at) this instant; default "
        "`starts_at`. May be later than `starts_at` but not later than `ends_at`.",
    )
    capacity: Capacity | None = Field(
        default=None,
        description="Seats. Required for workshops; optional (unlimited) for webinars.",
    )
    minimum_headcount: Headcount | None = Field(
        default=None,
        description="Workshops (required): below this many registrations group work is skipped.",
    )
    join_url: JoinUrl | None = None
    recording_lesson_id: uuid.UUID | None = Field(
        default=None, description="Recorded webinars: the catalog lesson holding the recording."
    )
    recording_video_asset_id: AssetId | None = Field(
        default=None, description="Recorded webinars: the recording's asset id at the video host."
    )


_NOT_NULLABLE = (
    "delivery",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "registration_closes_at",
)


class EventUpdate(Schema):
    """Only the fields sent change. `null` clears `capacity` (webinars), `join_url` and the
    recording references; the other fields cannot be null. `kind` cannot change."""

    delivery: EventDelivery | None = None
    title: Title | None = None
    description: Description | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    capacity: Capacity | None = None
    minimum_headcount: Headcount | None = None
    join_url: JoinUrl | None = None
    recording_lesson_id: uuid.UUID | None = None
    recording_video_asset_id: AssetId | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_null(self) -> EventUpdate:
        for name in _NOT_NULLABLE:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class EventCancel(Schema):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ChatMessageCreate(Schema):
    body: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=rules.CHAT_MESSAGE_MAX_LENGTH
        ),
    ] = Field(description="The question, 1–1000 characters.")


# --- Output ------------------------------------------------------------------------------------


class EventSummary(ResponseSchema):
    """An event as anyone may see it (the public list). Never carries the join link."""

    id: uuid.UUID
    kind: EventKind
    delivery: EventDelivery
    status: EventStatus
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime
    is_registration_open: bool
    has_chat_qa: bool = Field(description="Live webinars take questions by chat (R-CON-5).")
    capacity: int | None = Field(description="Seats; null means unlimited.")
    registered_count: int
    waitlisted_count: int
    seats_left: int | None
    minimum_headcount: int | None = Field(
        description="Workshops: group work is skipped below this many registrations (R-CON-6)."
    )
    group_work_expected: bool | None = Field(
        description="Workshops: `registered_count >= minimum_headcount` right now; null for "
        "webinars."
    )


def event_summary_fields(event: Event, now: datetime) -> dict[str, object]:
    return {
        "id": event.id,
        "kind": event.kind,
        "delivery": event.delivery,
        "status": event.status,
        "title": event.title,
        "description": event.description,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "registration_closes_at": event.registration_closes_at,
        "is_registration_open": rules.registration_is_open(
            status=event.status, closes_at=event.registration_closes_at, now=now
        ),
        "has_chat_qa": rules.has_chat_qa(event.kind, event.delivery),
        "capacity": event.capacity,
        "registered_count": event.registered_count,
        "waitlisted_count": event.waitlisted_count,
        "seats_left": rules.seats_left(
            capacity=event.capacity, registered_count=event.registered_count
        ),
        "minimum_headcount": event.minimum_headcount,
        "group_work_expected": rules.group_work_expected(
            minimum_headcount=event.minimum_headcount, registered_count=event.registered_count
        ),
    }


def event_summary(event: Event, now: datetime) -> EventSummary:
    return EventSummary.model_validate(event_summary_fields(event, now))


class MyRegistration(ResponseSchema):
    id: uuid.UUID
    status: RegistrationStatus
    waitlist_position: int | None = Field(description="1 = next in line; null unless waitlisted.")


class EventDetail(EventSummary):
    """The event page. The access fields are null unless the caller's registration is confirmed."""

    is_chat_open: bool = Field(description="Questions may be posted now (R-CON-5).")
    join_url: str | None = Field(
        description="Only for the caller's confirmed registration; null for everyone else "
        "(waitlisted, cancelled, other members, anonymous callers)."
    )
    recording_lesson_id: uuid.UUID | None = Field(description="As `join_url`.")
    recording_video_asset_id: str | None = Field(description="As `join_url`.")
    my_registration: MyRegistration | None


class Registration(ResponseSchema):
    """A member's own registration."""

    id: uuid.UUID
    event_id: uuid.UUID
    status: RegistrationStatus
    waitlist_position: int | None = Field(description="1 = next in line; null unless waitlisted.")
    applied_at: datetime
    confirmed_at: datetime | None
    promoted_at: datetime | None = Field(description="Set when the seat came from the wait list.")
    cancelled_at: datetime | None
    cancel_reason: RegistrationCancelReason | None
    event: EventSummary


class ChatMessage(ResponseSchema):
    id: uuid.UUID
    event_id: uuid.UUID
    body: str
    posted_at: datetime
    is_mine: bool
    author_user_id: uuid.UUID | None = Field(description="Staff only; null for members.")
    author_name: str | None = Field(description="Staff only; null for members.")


# --- Staff output ------------------------------------------------------------------------------


class AdminEvent(EventSummary):
    join_url: str | None
    recording_lesson_id: uuid.UUID | None
    recording_video_asset_id: str | None
    published_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    created_by_user_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


def admin_event(event: Event, now: datetime) -> AdminEvent:
    return AdminEvent.model_validate(
        {
            **event_summary_fields(event, now),
            "join_url": event.join_url,
            "recording_lesson_id": event.recording_lesson_id,
            "recording_video_asset_id": event.recording_video_asset_id,
            "published_at": event.published_at,
            "cancelled_at": event.cancelled_at,
            "cancel_reason": event.cancel_reason,
            "created_by_user_id": event.created_by_user_id,
            "created_at": event.created_at,
            "updated_at": event.updated_at,
        }
    )


class AdminRegistration(ResponseSchema):
    id: uuid.UUID
    user_id: uuid.UUID
    user_name: str
    user_email: str
    status: RegistrationStatus
    waitlist_position: int | None
    applied_at: datetime
    confirmed_at: datetime | None
    promoted_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: RegistrationCancelReason | None
