"""Pure rules of webinars and workshops (R-CON-5, R-CON-6). No I/O; `now` is an argument.

Every window is half-open: registration is open on `[.., registration_closes_at)`, the Q&A chat
on `[starts_at, ends_at)`, a member may cancel on `[.., starts_at)`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.models.event import EventDelivery, EventKind, EventStatus

CHAT_MESSAGE_MAX_LENGTH = 1000
CHAT_MESSAGES_PER_WINDOW = 5
"""Chat messages one member may post per `CHAT_WINDOW_SECONDS` (across events)."""
CHAT_WINDOW_SECONDS = 60


@dataclass(frozen=True, kw_only=True)
class EventSettings:
    """The staff-set values of an event that must agree with each other."""

    kind: EventKind
    delivery: EventDelivery
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime
    capacity: int | None
    minimum_headcount: int | None
    recording_lesson_id: uuid.UUID | None
    recording_video_asset_id: str | None


def event_violations(event: EventSettings) -> dict[str, list[str]]:
    """Field (request path) → stable violation codes; empty when the settings are coherent."""
    found: dict[str, list[str]] = {}

    def add(field: str, code: str) -> None:
        found.setdefault(f"body.{field}", []).append(code)

    if event.ends_at <= event.starts_at:
        add("ends_at", "must_be_after_starts_at")
    if event.registration_closes_at > event.ends_at:
        add("registration_closes_at", "must_not_be_after_ends_at")
    if event.kind is EventKind.workshop:
        # R-CON-6: a workshop is an interactive Zoom session with a capacity and a minimum
        # head-count for group work.
        if event.delivery is not EventDelivery.live:
            add("delivery", "workshops_are_live")
        if event.capacity is None:
            add("capacity", "required_for_workshops")
        if event.minimum_headcount is None:
            add("minimum_headcount", "required_for_workshops")
    elif event.minimum_headcount is not None:
        add("minimum_headcount", "only_for_workshops")
    if (
        event.capacity is not None
        and event.minimum_headcount is not None
        and event.minimum_headcount > event.capacity
    ):
        add("minimum_headcount", "must_not_exceed_capacity")
    if event.delivery is not EventDelivery.recorded:
        if event.recording_lesson_id is not None:
            add("recording_lesson_id", "only_for_recorded_webinars")
        if event.recording_video_asset_id is not None:
            add("recording_video_asset_id", "only_for_recorded_webinars")
    return found


def registration_is_open(*, status: EventStatus, closes_at: datetime, now: datetime) -> bool:
    """Published and before the closing instant (closed at the instant itself)."""
    return status is EventStatus.published and now < closes_at


def member_may_cancel(*, starts_at: datetime, now: datetime) -> bool:
    """A member gives back a seat (or a wait-list place) until the event starts."""
    return now < starts_at


def has_chat_qa(kind: EventKind, delivery: EventDelivery) -> bool:
    """R-CON-5: Q&A by chat belongs to live webinars; recorded webinars take no questions, and a
    workshop's questions are asked face to face on Zoom."""
    return kind is EventKind.webinar and delivery is EventDelivery.live


def chat_is_open(
    *,
    kind: EventKind,
    delivery: EventDelivery,
    status: EventStatus,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> bool:
    """R-CON-5: open on `[starts_at, ends_at)` of a published live webinar."""
    return (
        has_chat_qa(kind, delivery)
        and status is EventStatus.published
        and starts_at <= now < ends_at
    )


def gets_a_seat(*, capacity: int | None, registered_count: int) -> bool:
    """A new registration is confirmed at once while seats are left (no capacity: always)."""
    return capacity is None or registered_count < capacity


def seats_to_fill(*, capacity: int | None, registered_count: int, waitlisted_count: int) -> int:
    """How many waitlisted members a freed or added seat promotes now (R-CON-6)."""
    if capacity is None:
        return waitlisted_count
    return max(0, min(capacity - registered_count, waitlisted_count))


def seats_left(*, capacity: int | None, registered_count: int) -> int | None:
    return None if capacity is None else max(0, capacity - registered_count)


def group_work_expected(*, minimum_headcount: int | None, registered_count: int) -> bool | None:
    """R-CON-6: group work runs when at least the minimum head-count is registered (None when
    the event has no minimum, i.e. webinars)."""
    if minimum_headcount is None:
        return None
    return registered_count >= minimum_headcount
