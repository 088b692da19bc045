"""Emails of the live-events domain, written to the outbox in the caller's transaction (R-NTF-2).

- `event_waitlist_promoted`: a seat freed and the member moved up from the wait list (R-CON-6);
- `event_cancelled`: staff cancelled an event the member was registered or waitlisted for.

Templates live with the others in `app.notifications.templates`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.event import Event
from app.models.user import User
from app.notifications.formatting import format_email_datetime
from app.notifications.service import enqueue_email


def event_page_url(frontend_base_url: str, event: Event) -> str:
    return f"{frontend_base_url.rstrip('/')}/events/{event.id}"


async def _send(
    session: AsyncSession,
    user: User,
    event: Event,
    *,
    template: str,
    now: datetime,
    frontend_base_url: str,
) -> None:
    await enqueue_email(
        session,
        to_address=user.email,
        template=template,
        context={
            "name": user.name,
            "event_title": event.title,
            "starts_at": format_email_datetime(event.starts_at, user.locale),
            "event_url": event_page_url(frontend_base_url, event),
        },
        now=now,
        locale=user.locale,
        user_id=user.id,
    )


async def send_promoted(
    session: AsyncSession, user: User, event: Event, *, now: datetime, frontend_base_url: str
) -> None:
    await _send(
        session,
        user,
        event,
        template="event_waitlist_promoted",
        now=now,
        frontend_base_url=frontend_base_url,
    )


async def send_event_cancelled(
    session: AsyncSession, user: User, event: Event, *, now: datetime, frontend_base_url: str
) -> None:
    await _send(
        session,
        user,
        event,
        template="event_cancelled",
        now=now,
        frontend_base_url=frontend_base_url,
    )
