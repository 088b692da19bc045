"""A real SMTP server for delivery tests (aiosmtpd on 127.0.0.1, a free port).

`smtp_server` (session-scoped) records every message in memory. Per test, `smtp` resets it and
offers the failure modes delivery must survive: `refuse_rcpt = "451 …"` / `"550 …"` answers every
RCPT with that reply; `stop()` takes the server down (connection refused) and `start()` brings it
back on the same port; `data_delay` slows DATA so concurrent deliveries overlap.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.config import Settings

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return cast(EmailMessage, message_from_bytes(self.raw, policy=policy.default))


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    rcpt_attempts: int = 0
    refuse_rcpt: str | None = None  # e.g. "451 4.3.0 Try again later", "550 5.1.1 No such user"
    data_delay: float = 0.0

    def reset(self) -> None:
        self.received.clear()
        self.rcpt_attempts = 0
        self.refuse_rcpt = None
        self.data_delay = 0.0

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        self.rcpt_attempts += 1
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(self.handler, hostname=HOST, port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        """An outage: connections to the port are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    smtp_server.start()
    smtp_server.handler.reset()
    yield smtp_server
    smtp_server.start()
    smtp_server.handler.reset()


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={"smtp_port": smtp.port, "smtp_timeout_seconds": 5.0, "email_max_attempts": 8}
    )


@pytest.fixture
async def savepoint_sessionmaker(
    connection: AsyncConnection, session: AsyncSession
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Further sessions inside the test's rolled-back transaction (for the sweep), after `session`."""
    yield async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
