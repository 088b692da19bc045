"""R-NTF-2: the outbox is written with the change, and delivered over real SMTP with retries —
an SMTP outage loses no email and sends none twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models.platform import EmailOutbox, EmailStatus
from app.notifications import delivery
from app.notifications.delivery import DeliveryOutcome, deliver_due_emails, deliver_email
from app.notifications.service import DELIVER_TASK, enqueue_email
from app.notifications.templates import render
from tests.notifications.conftest import SmtpServer

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CONTEXT = {
    "name": "山田 太郎",
    "verify_url": "https://app.manabi.example/verify?token=abc",
    "expires_at": "2026年11月25日 10:00",
}


async def _enqueue(
    session: AsyncSession, *, now: datetime = T0, to: str | None = None
) -> EmailOutbox:
    return await enqueue_email(
        session,
        to_address=to or f"member-{uuid.uuid4().hex[:8]}@example.jp",
        template="registration_complete",
        context=CONTEXT,
        now=now,
    )


async def _jobs_for(session: AsyncSession, email_id: uuid.UUID) -> int:
    count = await session.scalar(
        text(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE task_name = :task AND queue_name = 'email' AND args->>'email_id' = :id"
        ),
        {"task": DELIVER_TASK, "id": str(email_id)},
    )
    return int(count or 0)


async def _reload(session: AsyncSession, email_id: uuid.UUID) -> EmailOutbox:
    email = await session.scalar(
        select(EmailOutbox)
        .where(EmailOutbox.id == email_id)
        .execution_options(populate_existing=True)
    )
    assert email is not None
    return email


# --- the outbox is part of the causing transaction ---------------------------------------------


async def test_r_ntf_2_rolled_back_transaction_leaves_no_outbox_row_and_no_job(
    committing_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """R-NTF-2: enqueue then roll back → neither the email nor its job exists."""
    async with committing_sessionmaker() as session:
        email = await _enqueue(session)
        email_id = email.id
        assert await _jobs_for(session, email_id) == 1  # visible inside the transaction
        await session.rollback()

    async with committing_sessionmaker() as session:
        assert await session.get(EmailOutbox, email_id) is None
        assert await _jobs_for(session, email_id) == 0


async def test_r_ntf_2_committed_transaction_leaves_one_outbox_row_and_one_job(
    committing_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """R-NTF-2: enqueue then commit → exactly one email and one deliver job for it."""
    async with committing_sessionmaker() as session:
        email = await _enqueue(session)
        await session.commit()

    async with committing_sessionmaker() as session:
        rows = await session.scalar(
            select(func.count()).select_from(EmailOutbox).where(EmailOutbox.id == email.id)
        )
        assert rows == 1
        assert await _jobs_for(session, email.id) == 1
        status = await session.scalar(
            text("SELECT status FROM procrastinate_jobs WHERE args->>'email_id' = :id"),
            {"id": str(email.id)},
        )
        assert status == "todo"


# --- what goes on the wire -----------------------------------------------------------------------


async def test_r_ntf_1_delivery_puts_the_japanese_subject_and_body_on_the_wire(
    session: AsyncSession, smtp: SmtpServer, mail_settings: Settings
) -> None:
    """R-NTF-1/R-NTF-2: a UTF-8 MIME message whose subject decodes to the Japanese template."""
    email = await _enqueue(session, to="taro@example.jp")
    subject, body = render("registration_complete", "ja", CONTEXT)

    result = await deliver_email(session, email.id, settings=mail_settings, now=T0)

    assert result.outcome is DeliveryOutcome.sent
    assert len(smtp.received) == 1
    received = smtp.received[0]
    assert received.rcpt_tos == ["taro@example.jp"]
    assert received.mail_from == "no-reply@manabi.example"
    # Headers travel as 7-bit ASCII (RFC 2047 encoded words); the decoded text is the template's.
    header_block = received.raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()
    assert b"=?utf-8?" in header_block.lower()
    message = received.message
    assert message["Subject"] == subject == "【学びオンライン】会員登録完了のお知らせ"
    assert message["To"] == "taro@example.jp"
    assert message["Message-ID"] == f"<{email.id}@manabi.example>"
    assert message["Date"].datetime == T0
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == body
    assert "山田 太郎 様" in message.get_content()

    stored = await _reload(session, email.id)
    assert stored.status is EmailStatus.sent
    assert stored.sent_at == T0
    assert stored.attempts == 1
    assert stored.last_error is None


async def test_r_ntf_2_message_id_is_stable_across_attempts(mail_settings: Settings) -> None:
    """R-NTF-2: every attempt of one email carries the same Message-ID (receivers de-duplicate)."""
    email_id = uuid.uuid4()
    email = EmailOutbox(
        id=email_id,
        to_address="a@example.jp",
        subject="件名",
        body_text="本文",
        template="registration_complete",
        locale="ja",
    )
    first = delivery.build_message(email, settings=mail_settings, now=T0)
    later = delivery.build_message(email, settings=mail_settings, now=T0 + timedelta(hours=5))
    assert first["Message-ID"] == later["Message-ID"] == f"<{email_id}@manabi.example>"


# --- failures and retries ------------------------------------------------------------------------


def test_r_ntf_2_backoff_grows_then_caps() -> None:
    """R-NTF-2: 1, 5, 15, 60, 180, 360, 720 minutes, then 720 again."""
    minutes = [delivery.retry_delay(n) / timedelta(minutes=1) for n in range(1, 11)]
    assert minutes == [1, 5, 15, 60, 180, 360, 720, 720, 720, 720]


async def test_r_ntf_2_smtp_outage_keeps_the_email_then_delivers_it_exactly_once(
    session: AsyncSession,
    savepoint_sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    mail_settings: Settings,
) -> None:
    """R-NTF-2: connection refused → pending with backoff; after recovery, sent once only."""
    email = await _enqueue(session)
    smtp.stop()

    first = await deliver_email(session, email.id, settings=mail_settings, now=T0)
    assert first.outcome is DeliveryOutcome.retry_scheduled
    assert first.server_unreachable
    stored = await _reload(session, email.id)
    assert stored.status is EmailStatus.pending
    assert stored.attempts == 1
    assert stored.next_attempt_at == T0 + timedelta(minutes=1)
    assert stored.last_error and "SMTPConnect" in stored.last_error
    assert "山田" not in stored.last_error  # never the body

    second = await deliver_email(
        session, email.id, settings=mail_settings, now=T0 + timedelta(minutes=1)
    )
    assert second.outcome is DeliveryOutcome.retry_scheduled
    assert (await _reload(session, email.id)).next_attempt_at == T0 + timedelta(minutes=6)

    smtp.start()
    # Not due yet: neither the job nor the sweep sends early.
    early = await deliver_email(
        session, email.id, settings=mail_settings, now=T0 + timedelta(minutes=5)
    )
    assert early.outcome is DeliveryOutcome.skipped
    await session.commit()
    assert (
        await deliver_due_emails(
            savepoint_sessionmaker, settings=mail_settings, now=T0 + timedelta(minutes=5)
        )
        == 0
    )
    assert smtp.received == []

    later = T0 + timedelta(minutes=6)
    assert await deliver_due_emails(savepoint_sessionmaker, settings=mail_settings, now=later) == 1
    # The job arriving late, more sweeps, hours later: nothing is sent again.
    again = await deliver_email(session, email.id, settings=mail_settings, now=later)
    assert again.outcome is DeliveryOutcome.skipped
    for minutes in (7, 60, 24 * 60):
        swept = await deliver_due_emails(
            savepoint_sessionmaker, settings=mail_settings, now=T0 + timedelta(minutes=minutes)
        )
        assert swept == 0
    assert len(smtp.received) == 1
    stored = await _reload(session, email.id)
    assert stored.status is EmailStatus.sent
    assert stored.attempts == 3
    assert stored.sent_at == later
    assert stored.last_error is None


async def test_r_ntf_2_temporary_rejection_4xx_is_retried(
    session: AsyncSession, smtp: SmtpServer, mail_settings: Settings
) -> None:
    """R-NTF-2: 451 → pending with backoff, delivered when the server accepts again."""
    email = await _enqueue(session)
    smtp.handler.refuse_rcpt = "451 4.3.0 Try again later"

    result = await deliver_email(session, email.id, settings=mail_settings, now=T0)
    assert result.outcome is DeliveryOutcome.retry_scheduled
    assert not result.server_unreachable
    stored = await _reload(session, email.id)
    assert stored.status is EmailStatus.pending
    assert stored.last_error and "451" in stored.last_error

    smtp.handler.refuse_rcpt = None
    result = await deliver_email(
        session, email.id, settings=mail_settings, now=T0 + timedelta(minutes=1)
    )
    assert result.outcome is DeliveryOutcome.sent
    assert len(smtp.received) == 1


async def test_r_ntf_2_permanent_rejection_5xx_fails_at_once_without_retries(
    session: AsyncSession,
    savepoint_sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    mail_settings: Settings,
) -> None:
    """R-NTF-2: 550 mailbox unavailable → failed after one attempt; never tried again."""
    email = await _enqueue(session)
    smtp.handler.refuse_rcpt = "550 5.1.1 No such user"

    result = await deliver_email(session, email.id, settings=mail_settings, now=T0)

    assert result.outcome is DeliveryOutcome.failed
    stored = await _reload(session, email.id)
    assert stored.status is EmailStatus.failed
    assert stored.attempts == 1
    assert stored.last_error and "550" in stored.last_error
    await session.commit()
    smtp.handler.refuse_rcpt = None
    await deliver_due_emails(
        savepoint_sessionmaker, settings=mail_settings, now=T0 + timedelta(days=2)
    )
    assert smtp.handler.rcpt_attempts == 1
    assert smtp.received == []


async def test_r_ntf_2_gives_up_after_max_attempts(
    session: AsyncSession, smtp: SmtpServer, mail_settings: Settings
) -> None:
    """R-NTF-2: the attempt reaching email_max_attempts marks the email failed."""
    settings = mail_settings.model_copy(update={"email_max_attempts": 3})
    email = await _enqueue(session)
    smtp.stop()

    now = T0
    outcomes = []
    for _ in range(3):
        result = await deliver_email(session, email.id, settings=settings, now=now)
        outcomes.append(result.outcome)
        if result.next_attempt_at:
            now = result.next_attempt_at
    assert outcomes == [
        DeliveryOutcome.retry_scheduled,
        DeliveryOutcome.retry_scheduled,
        DeliveryOutcome.failed,
    ]
    assert now == T0 + timedelta(minutes=1 + 5)
    stored = await _reload(session, email.id)
    assert stored.status is EmailStatus.failed
    assert stored.attempts == 3
    smtp.start()
    late = await deliver_email(session, email.id, settings=settings, now=now + timedelta(days=1))
    assert late.outcome is DeliveryOutcome.skipped
    assert smtp.received == []


async def test_r_ntf_2_unknown_or_missing_email_is_skipped(
    session: AsyncSession, mail_settings: Settings
) -> None:
    result = await deliver_email(session, uuid.uuid4(), settings=mail_settings, now=T0)
    assert result.outcome is DeliveryOutcome.skipped


# --- concurrency ---------------------------------------------------------------------------------


async def test_r_ntf_2_two_workers_delivering_one_email_send_it_once(
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    mail_settings: Settings,
) -> None:
    """R-NTF-2: concurrent deliver_email calls (two connections) → one send; the other skips."""
    async with committing_sessionmaker() as session:
        email = await _enqueue(session)
        await session.commit()
    smtp.handler.data_delay = 0.3  # the first send holds the row lock while the second arrives

    async def attempt() -> DeliveryOutcome:
        async with committing_sessionmaker() as session:
            result = await deliver_email(session, email.id, settings=mail_settings, now=T0)
            await session.commit()
            return result.outcome

    outcomes = await asyncio.gather(attempt(), attempt(), attempt())

    assert sorted(outcomes) == sorted(
        [DeliveryOutcome.sent, DeliveryOutcome.skipped, DeliveryOutcome.skipped]
    )
    assert len(smtp.received) == 1
    async with committing_sessionmaker() as session:
        stored = await _reload(session, email.id)
        assert stored.status is EmailStatus.sent
        assert stored.attempts == 1


async def test_r_ntf_2_concurrent_sweeps_send_each_email_once(
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    mail_settings: Settings,
) -> None:
    """R-NTF-2: two sweeps over the same due emails (two workers) send each one once."""
    async with committing_sessionmaker() as session:
        emails = [await _enqueue(session) for _ in range(4)]
        await session.commit()
    smtp.handler.data_delay = 0.05

    sent = await asyncio.gather(
        deliver_due_emails(committing_sessionmaker, settings=mail_settings, now=T0),
        deliver_due_emails(committing_sessionmaker, settings=mail_settings, now=T0),
    )

    assert sum(sent) == 4
    assert sorted(r for m in smtp.received for r in m.rcpt_tos) == sorted(
        e.to_address for e in emails
    )


# --- the sweep -----------------------------------------------------------------------------------


async def test_r_ntf_2_sweep_sends_due_emails_and_skips_not_yet_due(
    session: AsyncSession,
    savepoint_sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    mail_settings: Settings,
) -> None:
    due = [await _enqueue(session, now=T0 - timedelta(minutes=m)) for m in (0, 1, 30)]
    not_due = await _enqueue(session, now=T0 + timedelta(minutes=10))
    await session.commit()

    sent = await deliver_due_emails(savepoint_sessionmaker, settings=mail_settings, now=T0)

    assert sent == 3
    assert sorted(r for m in smtp.received for r in m.rcpt_tos) == sorted(e.to_address for e in due)
    for email in due:
        assert (await _reload(session, email.id)).status is EmailStatus.sent
    waiting = await _reload(session, not_due.id)
    assert waiting.status is EmailStatus.pending
    assert waiting.attempts == 0

    later = T0 + timedelta(minutes=10)
    assert await deliver_due_emails(savepoint_sessionmaker, settings=mail_settings, now=later) == 1
    assert len(smtp.received) == 4


async def test_r_ntf_2_sweep_respects_its_limit(
    session: AsyncSession,
    savepoint_sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    mail_settings: Settings,
) -> None:
    for _ in range(3):
        await _enqueue(session)
    await session.commit()
    assert (
        await deliver_due_emails(savepoint_sessionmaker, settings=mail_settings, limit=2, now=T0)
        == 2
    )
    assert await deliver_due_emails(savepoint_sessionmaker, settings=mail_settings, now=T0) == 1


async def test_r_ntf_2_sweep_stops_at_an_outage_without_spending_every_email_attempt(
    session: AsyncSession,
    savepoint_sessionmaker: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    mail_settings: Settings,
) -> None:
    """R-NTF-2: server unreachable → the first due email records the attempt; the rest wait."""
    emails = [await _enqueue(session, now=T0 - timedelta(minutes=3 - i)) for i in range(3)]
    await session.commit()
    smtp.stop()

    assert await deliver_due_emails(savepoint_sessionmaker, settings=mail_settings, now=T0) == 0

    attempts = [(await _reload(session, e.id)).attempts for e in emails]
    assert attempts == [1, 0, 0]
    smtp.start()
    assert await deliver_due_emails(
        savepoint_sessionmaker, settings=mail_settings, now=T0 + timedelta(minutes=1)
    ) == len(emails)
    assert len(smtp.received) == 3


async def test_r_ntf_2_last_error_never_holds_the_smtp_password(
    session: AsyncSession, smtp: SmtpServer, mail_settings: Settings
) -> None:
    """The SMTP password never reaches last_error, even when a server echoes it back."""
    password = "s3cret-pa55"
    # No username: the test server offers no AUTH, so the client does not log in.
    settings = mail_settings.model_copy(update={"smtp_password": password})
    email = await _enqueue(session)
    smtp.handler.refuse_rcpt = f"451 4.7.0 rejected for {password}"

    await deliver_email(session, email.id, settings=settings, now=T0)

    stored = await _reload(session, email.id)
    assert stored.last_error and "451" in stored.last_error
    assert password not in stored.last_error
