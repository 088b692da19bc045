"""Q&A by chat during a live webinar (R-CON-5).

- Posting: a confirmed registrant (not waitlisted, not cancelled), on `[starts_at, ends_at)` of
  a published live webinar; recorded webinars and workshops never take chat questions
  (`event-chat-closed`). At most `CHAT_MESSAGES_PER_WINDOW` messages per member per
  `CHAT_WINDOW_SECONDS` (`event-chat-rate-limited`, 429 with `Retry-After`).
- Reading: confirmed registrants and staff, also after the session. Members see the questions
  without their authors (`is_mine` marks their own); staff see who asked.

The rate-limit hit is counted in the request's own transaction (not `independent_session`): the
bucket is per member, so its row lock only ever queues one member's own concurrent posts, and a
post refused later in the request takes its hit back, which is what a refused post deserves.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements.rules import may_preview
from app.events import repository, rules
from app.events.errors import (
    EventChatClosed,
    EventChatRateLimited,
    EventNotFound,
    EventRegistrationRequired,
)
from app.kit.pagination import PageParams, paginate
from app.kit.ratelimit import count_hit
from app.models.event import Event, EventChatMessage, EventStatus
from app.models.user import Role, User


def rate_limit_bucket(user_id: uuid.UUID) -> str:
    return f"event_chat:{user_id}"


async def _visible_event(session: AsyncSession, event_id: uuid.UUID) -> Event:
    event = await repository.get_event(session, event_id)
    if event is None or event.status is EventStatus.draft:
        raise EventNotFound()
    return event


async def post_message(
    session: AsyncSession, *, user: User, event_id: uuid.UUID, body: str, now: datetime
) -> EventChatMessage:
    event = await _visible_event(session, event_id)
    if not rules.has_chat_qa(event.kind, event.delivery):
        raise EventChatClosed()
    if not await repository.is_confirmed_registrant(session, event.id, user.id):
        raise EventRegistrationRequired()
    if not rules.chat_is_open(
        kind=event.kind,
        delivery=event.delivery,
        status=event.status,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        now=now,
    ):
        raise EventChatClosed()
    hit = await count_hit(
        session,
        rate_limit_bucket(user.id),
        now=now,
        limit=rules.CHAT_MESSAGES_PER_WINDOW,
        window_seconds=rules.CHAT_WINDOW_SECONDS,
    )
    if not hit.allowed:
        raise EventChatRateLimited(retry_after_seconds=hit.retry_after_seconds(now))
    message = EventChatMessage(
        id=uuid.uuid4(), event_id=event.id, user_id=user.id, body=body, posted_at=now
    )
    message.user = user
    session.add(message)
    await session.flush()
    return message


async def list_messages(
    session: AsyncSession,
    *,
    user: User,
    role: Role | None,
    event_id: uuid.UUID,
    page: PageParams,
    after: uuid.UUID | None = None,
) -> tuple[list[EventChatMessage], str | None]:
    """Oldest first (the order of a chat); staff may read any event's chat. `after` (a message
    id of this event) returns only later messages, for polling; an unknown id filters nothing."""
    if may_preview(role):
        if await repository.get_event(session, event_id) is None:
            raise EventNotFound()
    else:
        event = await _visible_event(session, event_id)
        if not await repository.is_confirmed_registrant(session, event.id, user.id):
            raise EventRegistrationRequired()
    position = None if after is None else await repository.chat_position(session, event_id, after)
    return await paginate(
        session,
        repository.chat_messages(event_id, position),
        order_by=[EventChatMessage.posted_at, EventChatMessage.id],
        descending=False,
        params=page,
    )
