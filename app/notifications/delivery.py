"""Delivering the email outbox over SMTP (R-NTF-2: an SMTP outage loses no email, sends none twice).

`enqueue_email` wrote the email (rendered) in the transaction that caused it. Here a worker sends
it. Two paths reach `deliver_email`: the procrastinate job deferred with the row (sends within
seconds of the commit) and the periodic sweep `deliver_due_emails` (retries after failures, and
catches any email whose job was lost). Both are safe together:

- **Claim.** `deliver_email` locks the row with `SELECT … FOR UPDATE SKIP LOCKED` where
  `status = 'pending' AND next_attempt_at <= now`, sends, and records the outcome in the same
  transaction (the caller commits). A second worker asking for the same email while the first
  holds the lock skips it; once the first commits, the row is no longer pending and the second
  finds nothing. So two workers never send the same email.
- **Failure.** A connection failure, timeout or 4xx answer records `attempts + 1`, `last_error`
  (exception class and the server's reply, never the body or credentials) and the next attempt
  after an exponential backoff (`RETRY_DELAYS_MINUTES`, capped); the attempt that reaches
  `settings.email_max_attempts` marks the email `failed`. A 5xx rejection of the recipient or the
  message (e.g. 550 mailbox unavailable) is permanent: `failed` at once. A 5xx answer to our own
  login or sender address is a configuration problem shared by every email, so it is retried like
  an outage (an operator can fix it inside the backoff window) instead of failing everything.
- **Outage.** The sweep stops at the first "server unreachable" result: the rest of the batch
  would fail the same way, and leaving them untouched keeps their attempts for when it returns.

The residual window: the SMTP server has accepted the message (250 after DATA) but the worker
dies, or the database is lost, before our transaction commits — or the 250 itself never reaches
us (the connection drops or times out right after the server queued the message). The row is
still `pending`, so the email is sent again later. Nothing in SMTP can close this window (the acceptance and our commit
are two systems); it is kept as small as possible — the commit follows the 250 immediately, with
no other work in between — and every attempt carries the same `Message-ID`
(`<outbox-id@mail-from-domain>`), so a receiving system that de-duplicates on Message-ID (most
large providers and mail clients do) shows the email once. At-least-once with a stable id is the
honest guarantee; "exactly once" holds whenever the worker survives the send.

"now" is an argument (the tasks read it with `app.kit.clock.read_now`), so the adjustable dev
clock moves retries as it moves everything else.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import read_now
from app.models.platform import EmailOutbox, EmailStatus

logger = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, … failed attempt; the last value repeats (the cap). With the
# default 8 attempts an email is retried for about 22 hours before it is marked failed.
RETRY_DELAYS_MINUTES: Sequence[int] = (1, 5, 15, 60, 180, 360, 720)
MAX_ERROR_LENGTH = 500


class DeliveryOutcome(enum.StrEnum):
    sent = "sent"
    retry_scheduled = "retry_scheduled"  # a transient failure; pending until next_attempt_at
    failed = "failed"  # permanent rejection, or the last allowed attempt failed
    skipped = "skipped"  # not pending, not due, missing, or being sent by another worker


@dataclass(frozen=True)
class DeliveryResult:
    email_id: uuid.UUID
    outcome: DeliveryOutcome
    attempts: int = 0
    next_attempt_at: datetime | None = None
    error: str | None = None
    # True when the server could not be reached at all (refused, timeout, disconnect).
    server_unreachable: bool = False


class _SendError(Exception):
    def __init__(self, summary: str, *, permanent: bool, unreachable: bool) -> None:
        super().__init__(summary)
        self.summary = summary
        self.permanent = permanent
        self.unreachable = unreachable


def retry_delay(failed_attempts: int) -> timedelta:
    """The wait after the `failed_attempts`-th failure (1-based): exponential, then capped."""
    index = min(max(failed_attempts, 1), len(RETRY_DELAYS_MINUTES)) - 1
    return timedelta(minutes=RETRY_DELAYS_MINUTES[index])


def message_id(email_id: uuid.UUID, mail_from: str) -> str:
    """The same `Message-ID` on every attempt, so receivers can drop a duplicate."""
    _, address = parseaddr(mail_from)
    domain = address.rpartition("@")[2] or "manabi.invalid"
    return f"<{email_id}@{domain}>"


def build_message(email: EmailOutbox, *, settings: Settings, now: datetime) -> EmailMessage:
    """A UTF-8 plain-text MIME message; non-ASCII headers are RFC 2047 encoded by the policy."""
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.mail_from
    message["To"] = Address(addr_spec=email.to_address)
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(email.id, settings.mail_from)
    # RFC 3834: machine-sent; auto-responders should not answer a send-only address.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body_text, subtype="plain", charset="utf-8", cte="base64")
    return message


def _describe(error: BaseException, settings: Settings) -> str:
    """The error for `last_error`: class, SMTP code and reply; never credentials or the body."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
    elif isinstance(error, aiosmtplib.SMTPResponseException):
        text = f"{error.code} {error.message}"
    else:
        text = str(error) or repr(error)
    summary = f"{type(error).__name__}: {text}"
    for secret in (settings.smtp_password, settings.smtp_username):
        if secret:
            summary = summary.replace(secret, "[redacted]")
    return " ".join(summary.split())[:MAX_ERROR_LENGTH]


def _classify(error: BaseException, settings: Settings) -> _SendError:
    summary = _describe(error, settings)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return _SendError(summary, permanent=permanent, unreachable=False)
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        # The server judged this recipient or this message: a 5xx will not change on retry.
        return _SendError(summary, permanent=500 <= error.code < 600, unreachable=False)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        # Greeting, EHLO, AUTH, MAIL FROM: the server or our configuration, not this email.
        return _SendError(summary, permanent=False, unreachable=False)
    if isinstance(error, aiosmtplib.SMTPException | OSError | TimeoutError):
        # Refused, reset, DNS, TLS, timeouts, unexpected disconnects.
        return _SendError(summary, permanent=False, unreachable=True)
    # Anything else is unexpected: retry with backoff (bounded by email_max_attempts) rather
    # than lose the email at once or leave it stuck pending, failing every sweep.
    return _SendError(summary, permanent=False, unreachable=False)


async def _send(message: EmailMessage, *, to_address: str, settings: Settings) -> None:
    try:
        await aiosmtplib.send(
            message,
            sender=parseaddr(settings.mail_from)[1] or settings.mail_from,
            recipients=[to_address],
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_use_tls,
            start_tls=settings.smtp_starttls and not settings.smtp_use_tls,
            timeout=settings.smtp_timeout_seconds,
        )
    except Exception as error:
        if not isinstance(error, aiosmtplib.SMTPException | OSError | TimeoutError):
            logger.exception("unexpected error while sending an email")
        raise _classify(error, settings) from error


async def deliver_email(
    session: AsyncSession, email_id: uuid.UUID, *, settings: Settings, now: datetime
) -> DeliveryResult:
    """Send one outbox email if it is pending and due; record the outcome (R-NTF-2).

    Runs in the caller's transaction and flushes; the caller commits right after (the row lock
    taken here is held until then, so no other worker can send the same email).
    """
    email = await session.scalar(
        select(EmailOutbox)
        .where(
            EmailOutbox.id == email_id,
            EmailOutbox.status == EmailStatus.pending,
            EmailOutbox.next_attempt_at <= now,
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if email is None:
        return DeliveryResult(email_id=email_id, outcome=DeliveryOutcome.skipped)

    attempts = email.attempts + 1
    email.attempts = attempts
    try:
        try:
            message = build_message(email, settings=settings, now=now)
        except (ValueError, TypeError, MessageError) as error:
            # An address or header that cannot be written will not improve on retry.
            raise _SendError(
                f"unsendable message: {type(error).__name__}", permanent=True, unreachable=False
            ) from error
        await _send(message, to_address=email.to_address, settings=settings)
    except _SendError as error:
        email.last_error = error.summary
        if error.permanent or attempts >= settings.email_max_attempts:
            email.status = EmailStatus.failed
            await session.flush()
            logger.warning(
                "email delivery failed",
                extra={"email_id": str(email_id), "attempts": attempts, "error": error.summary},
            )
            return DeliveryResult(
                email_id=email_id,
                outcome=DeliveryOutcome.failed,
                attempts=attempts,
                error=error.summary,
                server_unreachable=error.unreachable,
            )
        email.next_attempt_at = now + retry_delay(attempts)
        await session.flush()
        logger.info(
            "email delivery postponed",
            extra={
                "email_id": str(email_id),
                "attempts": attempts,
                "next_attempt_at": email.next_attempt_at.isoformat(),
                "error": error.summary,
            },
        )
        return DeliveryResult(
            email_id=email_id,
            outcome=DeliveryOutcome.retry_scheduled,
            attempts=attempts,
            next_attempt_at=email.next_attempt_at,
            error=error.summary,
            server_unreachable=error.unreachable,
        )

    email.status = EmailStatus.sent
    email.sent_at = now
    email.last_error = None
    await session.flush()
    logger.info(
        "email sent",
        extra={"email_id": str(email_id), "template": email.template, "attempts": attempts},
    )
    return DeliveryResult(email_id=email_id, outcome=DeliveryOutcome.sent, attempts=attempts)


async def due_email_ids(session: AsyncSession, *, now: datetime, limit: int) -> list[uuid.UUID]:
    """Pending emails whose next attempt is due, oldest first (uses `ix_email_outbox_due`)."""
    rows = await session.scalars(
        select(EmailOutbox.id)
        .where(EmailOutbox.status == EmailStatus.pending, EmailOutbox.next_attempt_at <= now)
        .order_by(EmailOutbox.next_attempt_at)
        .limit(limit)
    )
    return list(rows)


async def deliver_due_emails(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    limit: int = 100,
    now: datetime | None = None,
) -> int:
    """The periodic sweep: try every due email (up to `limit`), each in its own transaction.

    Returns how many were sent. `now` defaults to `read_now` (the adjustable clock). One
    transaction per email keeps each row lock short and makes every send durable on its own.
    Stops early when the SMTP server is unreachable (see the module docstring).
    """
    if now is None:
        async with sessionmaker() as session:
            now = await read_now(session, settings)
    async with sessionmaker() as session:
        email_ids = await due_email_ids(session, now=now, limit=limit)

    sent = 0
    for position, email_id in enumerate(email_ids):
        async with sessionmaker() as session:
            result = await deliver_email(session, email_id, settings=settings, now=now)
            await session.commit()
        if result.outcome is DeliveryOutcome.sent:
            sent += 1
        elif result.server_unreachable:
            logger.warning(
                "SMTP server unreachable; sweep stopped",
                extra={"error": result.error, "left_for_later": len(email_ids) - position - 1},
            )
            break
    return sent
