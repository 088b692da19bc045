"""Live events: webinars and workshops, their registrations and the webinar Q&A chat.
R-CON-5, R-CON-6.

- `Event`: a webinar (live, with chat Q&A during the session; or recorded, without Q&A) or a
  Zoom workshop (capacity, minimum head-count for group work). `registered_count`,
  `waitlisted_count` and `queue_seq` are counters kept exact by taking the event row's lock
  (`SELECT … FOR UPDATE`) before any registration of the event changes; the check constraints
  are the last line of defence (a seat count never exceeds the capacity, even after a bug).
- `EventRegistration`: one row per application. `queue_seq` is the order of application inside
  the event (unique, from the event's `queue_seq` counter): promotion takes the waitlisted row
  with the lowest one, and a wait-list position is the rank among waitlisted rows. Cancelled
  rows are kept (history); the partial unique index allows one live (registered or waitlisted)
  row per member and event, so re-registering after a cancellation is a new row at the back.
- `EventChatMessage`: a question posted during a live webinar (R-CON-5).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model
from app.models.user import User, _enum


class EventKind(StrEnum):
    webinar = "webinar"  # ウェビナー: lecture-style online seminar
    workshop = "workshop"  # ワークショップ: interactive, on Zoom, group work


class EventDelivery(StrEnum):
    live = "live"  # ライブ配信
    recorded = "recorded"  # 録画配信 (webinars only; no Q&A)


class EventStatus(StrEnum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"


class RegistrationStatus(StrEnum):
    registered = "registered"  # confirmed seat
    waitlisted = "waitlisted"  # キャンセル待ち
    cancelled = "cancelled"


class RegistrationCancelReason(StrEnum):
    member = "member"  # the member cancelled
    event_cancelled = "event_cancelled"  # staff cancelled the event


class Event(Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("registration_closes_at <= ends_at", name="registration_closes_by_end"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "minimum_headcount IS NULL OR (minimum_headcount > 0 AND capacity IS NOT NULL "
            "AND minimum_headcount <= capacity)",
            name="minimum_headcount_within_capacity",
        ),
        CheckConstraint(
            "kind <> 'workshop' OR (delivery = 'live' AND capacity IS NOT NULL "
            "AND minimum_headcount IS NOT NULL)",
            name="workshop_is_live_with_capacity",
        ),
        CheckConstraint(
            "delivery = 'recorded' OR (recording_lesson_id IS NULL "
            "AND recording_video_asset_id IS NULL)",
            name="recording_only_when_recorded",
        ),
        CheckConstraint("registered_count >= 0", name="registered_count_not_negative"),
        CheckConstraint("waitlisted_count >= 0", name="waitlisted_count_not_negative"),
        CheckConstraint(
            "capacity IS NULL OR registered_count <= capacity", name="registered_within_capacity"
        ),
        # The public list: published events in start order (keyset on starts_at, id).
        Index(
            "ix_event_upcoming",
            "starts_at",
            "id",
            postgresql_where=text("status = 'published'"),
        ),
        Index("ix_event_starts_at", "starts_at", "id"),
    )

    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    delivery: Mapped[EventDelivery] = mapped_column(_enum(EventDelivery, "event_delivery"))
    status: Mapped[EventStatus] = mapped_column(
        _enum(EventStatus, "event_status"), default=EventStatus.draft
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    registration_closes_at: Mapped[datetime]
    capacity: Mapped[int | None] = mapped_column(Integer)
    minimum_headcount: Mapped[int | None] = mapped_column(Integer)
    # The Zoom (or streaming) link: shown to confirmed registrants only (R-CON-6).
    join_url: Mapped[str | None] = mapped_column(String(2000))
    # Recorded webinars: the recording as a lesson of the catalog and/or a video host asset id.
    recording_lesson_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lesson.id", ondelete="SET NULL")
    )
    recording_video_asset_id: Mapped[str | None] = mapped_column(String(200))
    registered_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waitlisted_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    queue_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class EventRegistration(Model):
    __tablename__ = "event_registration"
    __table_args__ = (
        # One live registration per member and event; cancelled rows are history.
        Index(
            "uq_event_registration_live",
            "event_id",
            "user_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("uq_event_registration_queue", "event_id", "queue_seq", unique=True),
        # The member's own list (/me/event-registrations), newest first.
        Index("ix_event_registration_user", "user_id", "applied_at", "id"),
        CheckConstraint("queue_seq > 0", name="queue_seq_positive"),
        CheckConstraint(
            "status <> 'registered' OR confirmed_at IS NOT NULL", name="registered_is_confirmed"
        ),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_iff_time"
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(
        _enum(RegistrationStatus, "event_registration_status")
    )
    queue_seq: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]  # when the seat was given (at once, or on promotion)
    promoted_at: Mapped[datetime | None]  # set when the seat came from the wait list
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[RegistrationCancelReason | None] = mapped_column(
        _enum(RegistrationCancelReason, "event_registration_cancel_reason")
    )

    event: Mapped[Event] = relationship(lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")


class EventChatMessage(Model):
    __tablename__ = "event_chat_message"
    __table_args__ = (
        Index("ix_event_chat_message_event", "event_id", "posted_at", "id"),
        CheckConstraint("char_length(body) BETWEEN 1 AND 1000", name="body_length"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime]  # the app clock's now (the chat window is judged on it)

    user: Mapped[User] = relationship(lazy="raise")
