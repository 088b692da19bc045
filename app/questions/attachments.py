"""Question and answer attachments (R-QST-1, R-QST-8): checked by content, stored, linked.

- `check_files`: at most 3 files, each non-empty, ≤ 10 MB and PDF/PNG/JPEG by its first bytes
  (`rules.attachment_refusal`); the name and the declared content type play no part (a PDF
  named `photo.png` is a PDF; an executable named `scan.pdf` is refused). Pure checks on files
  the request already spooled, before anything is written.
- `store_files`: puts the bytes under `questions/<question id>/<uuid>` and adds the rows. The
  caller has already passed every check. The files are tied to the request's transaction
  (`app.media.uncommitted`): if it does not commit — a failed put, a later step that raises, a
  failed commit — they are deleted from storage again, so no file is left without its row.
- `AttachmentUploadRoute`: the routers' route class; a request body over the route's
  `max_body_size` (`rules.MAX_UPLOAD_BODY_BYTES`) answers 413 `attachment-too-large` whether it
  declared its length or streamed past the cap, before anything is read or stored.
- Signed links: a download link is `<payload>.<mac>` (HMAC-SHA256, key derived from
  `settings.signing_key` for this use only) naming the attachment, the person it was issued to
  and its expiry. It is issued only after the reader passed the readability checks (own
  question, R-QST-10, or staff), and lives `settings.media_download_link_ttl_seconds`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.body_cap import capped_body_route
from app.media.errors import LinkExpired, LinkInvalid
from app.media.storage import Storage
from app.media.uncommitted import put_with_transaction
from app.models.question import AttachmentPart, QuestionAttachment, QuestionFileKind
from app.questions import rules
from app.questions.errors import (
    AttachmentEmpty,
    AttachmentTooLarge,
    AttachmentTypeNotAllowed,
    TooManyAttachments,
    UploadBodyTooLarge,
)

_HASH_CHUNK = 1024 * 1024
_KEY_LABEL = b"manabi/question-attachment-link/v1"
_MAC_BYTES = 16
MAX_TOKEN_LENGTH = 400
MAX_FILENAME_CHARS = 255


def _upload_body_too_large() -> UploadBodyTooLarge:
    return UploadBodyTooLarge(
        limit=rules.MAX_ATTACHMENTS, max_megabytes=rules.MAX_ATTACHMENT_BYTES // (1024 * 1024)
    )


AttachmentUploadRoute = capped_body_route(_upload_body_too_large)
"""Route class of the question and answer routers: a body over a route's `max_body_size`
(`rules.MAX_UPLOAD_BODY_BYTES`) answers 413 `attachment-too-large`, whether its
`Content-Length` declared it or it streamed past the cap (`app.kit.body_cap`)."""


@dataclass(frozen=True)
class IncomingFile:
    """A received file: its spooled bytes, the client's file name (kept for display only)."""

    file: IO[bytes]
    filename: str


@dataclass(frozen=True)
class CheckedFile:
    file: IO[bytes]
    filename: str
    kind: rules.AttachmentKind
    size_bytes: int
    sha256: str


def _measure(file: IO[bytes]) -> tuple[bytes, int, str]:
    file.seek(0)
    head = file.read(rules.SNIFF_BYTES)
    digest = hashlib.sha256(head)
    size = len(head)
    while size <= rules.MAX_ATTACHMENT_BYTES and (chunk := file.read(_HASH_CHUNK)):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return head, size, digest.hexdigest()


def _display_name(filename: str, kind: rules.AttachmentKind) -> str:
    name = filename.replace("/", "_").replace("\\", "_").strip() or f"attachment.{kind.value}"
    return name[:MAX_FILENAME_CHARS]


def check_files(files: Sequence[IncomingFile]) -> list[CheckedFile]:
    """R-QST-1: every file acceptable, or the first refusal raised. Reads each file once."""
    if rules.attachment_count_refusal(len(files)) is not None:
        raise TooManyAttachments(limit=rules.MAX_ATTACHMENTS)
    checked: list[CheckedFile] = []
    for incoming in files:
        head, size, sha256 = _measure(incoming.file)
        refusal = rules.attachment_refusal(head, size)
        name = incoming.filename or "?"
        if refusal is rules.AttachmentRefusal.attachment_empty:
            raise AttachmentEmpty(filename=name)
        if refusal is rules.AttachmentRefusal.attachment_too_large:
            raise AttachmentTooLarge(
                filename=name, max_megabytes=rules.MAX_ATTACHMENT_BYTES // (1024 * 1024)
            )
        kind = rules.sniff_attachment(head)
        if refusal is not None or kind is None:
            raise AttachmentTypeNotAllowed(filename=name)
        checked.append(CheckedFile(incoming.file, _display_name(name, kind), kind, size, sha256))
    return checked


async def store_files(
    session: AsyncSession,
    storage: Storage,
    *,
    question_id: uuid.UUID,
    part: AttachmentPart,
    files: Sequence[CheckedFile],
) -> list[QuestionAttachment]:
    """Store checked files and add their rows (flushed). The files are tied to the session's
    transaction: if it does not commit (a failed put, a later step, the commit), they are
    deleted again (`app.media.uncommitted`)."""
    rows: list[QuestionAttachment] = []
    for position, checked in enumerate(files):
        key = f"questions/{question_id}/{uuid.uuid4().hex}"
        await put_with_transaction(
            session, storage, key, checked.file, content_type=checked.kind.media_type
        )
        rows.append(
            QuestionAttachment(
                id=uuid.uuid4(),
                question_id=question_id,
                part=part,
                position=position,
                filename=checked.filename,
                file_kind=QuestionFileKind(checked.kind.value),
                content_type=checked.kind.media_type,
                size_bytes=checked.size_bytes,
                sha256=checked.sha256,
                storage_key=key,
            )
        )
    session.add_all(rows)
    await session.flush()
    return rows


# --- Signed download links ----------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentLinkClaims:
    attachment_id: uuid.UUID
    reader_id: uuid.UUID
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(signing_key: str, payload: bytes) -> bytes:
    key = hmac.new(signing_key.encode(), _KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def link_expiry(now: datetime, ttl_seconds: int) -> datetime:
    return datetime.fromtimestamp(int(now.timestamp()) + ttl_seconds, tz=UTC)


def issue_link_token(
    *, attachment_id: uuid.UUID, reader_id: uuid.UUID, expires_at: datetime, signing_key: str
) -> str:
    payload = f"{attachment_id}|{reader_id}|{int(expires_at.timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(_mac(signing_key, payload))}"


def verify_link_token(token: str, *, now: datetime, signing_key: str) -> AttachmentLinkClaims:
    """The claims of a link we issued; `LinkInvalid` (403) for anything else, `LinkExpired`
    (410) from its expiry on (exclusive)."""
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError("too long")
        payload_part, mac_part = token.split(".")
        payload = _unb64(payload_part)
        if _b64(payload) != payload_part or not hmac.compare_digest(
            mac_part, _b64(_mac(signing_key, payload))
        ):
            raise ValueError("bad signature")
        attachment, reader, expires = payload.decode().split("|")
        claims = AttachmentLinkClaims(
            attachment_id=uuid.UUID(attachment),
            reader_id=uuid.UUID(reader),
            expires_at=datetime.fromtimestamp(int(expires), tz=UTC),
        )
    except (ValueError, binascii.Error, UnicodeError, OverflowError, OSError) as error:
        raise LinkInvalid() from error
    if now >= claims.expires_at:
        raise LinkExpired()
    return claims
