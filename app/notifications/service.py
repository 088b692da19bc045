"""The email outbox (R-NTF-2): write an email in the same transaction as the change causing it.

`enqueue_email` renders the template now (so a later template edit never changes an email
already promised) and inserts an `email_outbox` row plus a procrastinate job in the caller's
transaction. If the transaction rolls back, neither exists; if it commits, the worker delivers.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.jobs import defer_in_transaction
from app.models.platform import EmailOutbox, EmailStatus
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
