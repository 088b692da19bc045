"""The email outbox (R-NTF-2): write an email in the same transaction as the change causing it.

`enqueue_email` renders the template now (so a later template edit never changes an email
already promised) and inserts an `email_outbox` row plus a procrastinate job in the caller's
transaction. If the transaction rolls back, neither exists; if it commits, the worker delivers.

`notify_user` is the usual entry point for an email to an account holder: their address, their
language and the outbox's `user_id` come from the account, and `{name}` is filled in.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.jobs import defer_in_transaction
from app.models.platform import EmailOutbox, EmailStatus
from app.models.user import User
from app.notifications.templates import render

DELIVER_TASK = "app.notifications.tasks.deliver_email"


async def enqueue_email(
    session: AsyncSession,
    *,
    to_address: str,
    template: str,
    context: dict[str, object],
    now: datetime,
    locale: str = "ja",
    user_id: uuid.UUID | None = None,
) -> EmailOutbox:
    subject, body = render(template, locale, context)
    email = EmailOutbox(
        id=uuid.uuid4(),
        user_id=user_id,
        to_address=to_address,
        template=template,
        locale=locale,
        subject=subject,
        body_text=body,
        status=EmailStatus.pending,
        attempts=0,
        next_attempt_at=now,
        context_summary={"template": template, "user_id": str(user_id) if user_id else None},
    )
    session.add(email)
    await session.flush()
    await defer_in_transaction(
        session, DELIVER_TASK, args={"email_id": str(email.id)}, queue="email"
    )
    return email


async def notify_user(
    session: AsyncSession,
    user: User,
    *,
    template: str,
    now: datetime,
    context: Mapping[str, object] | None = None,
    to_address: str | None = None,
) -> EmailOutbox:
    """Email `user` in their language. `to_address` overrides their current address (a new
    address being confirmed, an old one being told); `context` may override `name`."""
    return await enqueue_email(
        session,
        to_address=to_address or user.email,
        template=template,
        context={"name": user.name, **(context or {})},
        now=now,
        locale=user.locale,
        user_id=user.id,
    )
