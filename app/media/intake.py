"""Accepting a staff upload: decide the type from the content, name it safely, store it.
R-CON-3 (materials: PDF only), R-CON-4 (tools: PDF, XLSX, DOCX, CSV).

The file is stored under a fresh key and tied to the session's transaction
(`app.media.uncommitted`): if the row naming it is never committed, the file is deleted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app.media import sniff
from app.media.errors import UnsupportedFileType
from app.media.rules import sanitize_filename
from app.media.storage import Storage
from app.media.uncommitted import put_with_transaction
from app.media.uploads import ReceivedFile
from app.models.media import FileKind

KIND_NAMES = {
    FileKind.pdf: "PDF",
    FileKind.xlsx: "Excel (.xlsx)",
    FileKind.docx: "Word (.docx)",
    FileKind.csv: "CSV (UTF-8)",
}


@dataclass(frozen=True)
class StoredUpload:
    key: str
    kind: FileKind
    content_type: str
    filename: str
    size_bytes: int
    sha256: str


def allowed_names(allowed: Collection[FileKind]) -> str:
    return " / ".join(KIND_NAMES[kind] for kind in FileKind if kind in allowed)


async def store_upload(
    session: AsyncSession,
    storage: Storage,
    upload: ReceivedFile,
    *,
    key: str,
    allowed: Collection[FileKind],
) -> StoredUpload:
    """Check the content against `allowed` (415 `unsupported-file-type` otherwise) and put it
    under `key`. The client's file name only supplies the name shown to downloaders."""
    kind = await anyio.to_thread.run_sync(sniff.detect_kind, upload.file)
    if kind is None or kind not in allowed:
        raise UnsupportedFileType(allowed=allowed_names(allowed))
    content_type = sniff.CONTENT_TYPES[kind]
    await put_with_transaction(session, storage, key, upload.file, content_type=content_type)
    return StoredUpload(
        key=key,
        kind=kind,
        content_type=content_type,
        filename=sanitize_filename(upload.filename, extension=kind.value),
        size_bytes=upload.size,
        sha256=upload.sha256,
    )
