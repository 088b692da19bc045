"""Development-only endpoints: the mails caught by the local SMTP sink (`scripts/smtp_sink.py`).

A front-end developer registers a member in dev and needs the verification link: the worker sent
the email to the sink, which saved it as an .eml file; these endpoints list those files and show
a message's decoded text with the links in it. Mount only outside production, like the clock
endpoints. The directory is `$MANABI_DEV_MAIL_DIR` (default `.devmail`, relative to the working
directory, as for the sink). Names are checked against a strict pattern and must be a file
directly in that directory, so no path escapes it.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, cast

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import Field

from app.kit.errors import NotFound
from app.kit.problems import problem_responses
from app.kit.schemas import ResponseSchema

router = APIRouter(prefix="/dev", tags=["dev"])

MAIL_DIR_ENV = "MANABI_DEV_MAIL_DIR"
_NAME = re.compile(r"^[A-Za-z0-9@_+,=-][A-Za-z0-9@._+,=-]{0,200}\.eml$")
_URL = re.compile(r"https?://[^\s<>\"')]+")


class DevMailNotFound(NotFound):
    type = "dev-mail-not-found"
    title = {"ja": "メールが見つかりません", "en": "Mail not found"}


class DevMail(ResponseSchema):
    name: str = Field(
        description="File name under the dev mail directory; use it to open the mail."
    )
    to: str = Field(description="The To header (the envelope recipients when it is missing).")
    subject: str = Field(description="The decoded subject.")
    received_at: datetime


class DevMailList(ResponseSchema):
    items: list[DevMail]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for older mails; null on the last page."
    )


class DevMailDetail(DevMail):
    text: str = Field(description="The decoded plain-text body.")
    links: list[str] = Field(description="Every http(s) URL in the body, in order.")


def mail_directory() -> Path:
    return Path(os.environ.get(MAIL_DIR_ENV, ".devmail"))


def _parse(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def _summary(path: Path, message: EmailMessage) -> DevMail:
    to = str(message.get("To", "") or message.get("X-Envelope-To", ""))
    return DevMail(
        name=path.name,
        to=to,
        subject=str(message.get("Subject", "")),
        received_at=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
    )


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    return str(cast(EmailMessage, part).get_content()).replace("\r\n", "\n")


@router.get(
    "/mails",
    operation_id="dev_list_mails",
    summary="List mails caught by the local SMTP sink, newest first",
    responses=problem_responses(),
)
def list_mails(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> DevMailList:
    directory = mail_directory()
    # The sink names files by arrival time (UTC timestamp first), so name order is arrival order.
    names = (
        sorted((p.name for p in directory.glob("*.eml") if _NAME.match(p.name)), reverse=True)
        if directory.is_dir()
        else []
    )
    if cursor is not None:
        names = [name for name in names if name < cursor]
    page = names[:limit]
    items = []
    for name in page:
        path = directory / name
        try:
            items.append(_summary(path, _parse(path)))
        except OSError:  # deleted while listing
            continue
    next_cursor = page[-1] if len(names) > limit else None
    return DevMailList(items=items, next_cursor=next_cursor)


@router.get(
    "/mails/{name}",
    operation_id="dev_get_mail",
    summary="Read one caught mail: decoded text and its links",
    responses=problem_responses(DevMailNotFound),
)
def get_mail(name: Annotated[str, PathParam(max_length=210)]) -> DevMailDetail:
    if not _NAME.match(name):
        raise DevMailNotFound()
    path = mail_directory() / name
    try:
        message = _parse(path)
        summary = _summary(path, message)
    except OSError as error:
        raise DevMailNotFound() from error
    text = _text(message)
    return DevMailDetail(**summary.model_dump(), text=text, links=_URL.findall(text))
