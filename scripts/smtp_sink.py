"""A local SMTP sink for development (`make run`): every message is kept, none is delivered.

    python scripts/smtp_sink.py [--host 127.0.0.1] [--port 8025] [--dir .devmail]

Each message is saved as an .eml file (timestamp first, then the recipient, so names sort by
arrival) and summarised on one line with its decoded subject. The API's dev endpoints
(`GET /api/v1/dev/mails`, `app/dev/mail_router.py`) read the same directory, so a front-end
developer can open the verification link of a member they just registered. The directory
defaults to `$MANABI_DEV_MAIL_DIR`, else `.devmail`. The worker's default settings
(`MANABI_SMTP_HOST=127.0.0.1`, `MANABI_SMTP_PORT=8025`) point here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_DIR = os.environ.get("MANABI_DEV_MAIL_DIR", ".devmail")
_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]+")


def _safe(text: str, limit: int = 80) -> str:
    return _UNSAFE.sub("_", text)[:limit] or "unknown"


def file_name(received_at: datetime, recipients: list[str]) -> str:
    """`20261123T100001.123456Z_taro@example.jp.eml` (`_and-2-more` when there are several)."""
    stamp = received_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    first = _safe(recipients[0]) if recipients else "unknown"
    more = f"_and-{len(recipients) - 1}-more" if len(recipients) > 1 else ""
    return f"{stamp}_{first}{more}.eml"


class SaveToDirectory:
    """aiosmtpd handler: write each message to `directory` and print a summary line."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        received_at = datetime.now(UTC)
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        recipients = list(envelope.rcpt_tos)
        # Envelope addresses first (like Return-Path / Delivered-To), then the message as received.
        trace = (
            f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(recipients)}\r\n"
        ).encode()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / file_name(received_at, recipients)
        path.write_bytes(trace + content)

        message = message_from_bytes(content, policy=policy.default)
        subject = str(message.get("Subject", "")) or "(no subject)"
        local = received_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        print(f"{local}  to={', '.join(recipients)}  subject={subject}  -> {path}", flush=True)
        return "250 Message accepted for delivery"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Local SMTP sink: saves every mail as .eml.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument(
        "--dir", default=DEFAULT_DIR, help="where .eml files go (default %(default)s)"
    )
    return parser.parse_args(argv)


async def serve(host: str, port: int, directory: Path) -> None:
    # UTF-8 addresses (SMTPUTF8) are accepted; 8BITMIME is advertised by aiosmtpd by default.
    controller = Controller(
        SaveToDirectory(directory), hostname=host, port=port, enable_SMTPUTF8=True
    )
    controller.start()
    print(f"SMTP sink on {host}:{port}, saving to {directory}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> int:
    arguments = _parse(argv)
    try:
        asyncio.run(serve(arguments.host, arguments.port, Path(arguments.dir).resolve()))
    except OSError as error:
        print(f"cannot listen on {arguments.host}:{arguments.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
