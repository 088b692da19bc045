"""Receiving uploads with a hard size cap (R-CON-3, R-CON-4, R-CON-2 asset uploads).

FastAPI's `UploadFile` parameters read (and spool to disk) the whole body before any code of
ours runs, so a cap checked afterwards still lets a client fill the disk. These helpers read the
body themselves: a declared `Content-Length` over the cap is refused at once (413
`file-too-large`), and the byte count is enforced while the body streams in, whatever the
client declared. Files are spooled (memory up to 1 MB, then a temporary file) and hashed
(SHA-256) on the way. Routes using them declare their request body in `openapi_extra`.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

import anyio.to_thread
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.types import Message

from app.media.errors import FileEmpty, FileTooLarge

FORM_OVERHEAD_BYTES = 64 * 1024  # multipart boundaries, part headers and the small text fields
MAX_TEXT_FIELD_BYTES = 16 * 1024
SPOOL_IN_MEMORY_BYTES = 1024 * 1024
FormT = TypeVar("FormT", bound=BaseModel)
_HASH_CHUNK = 1024 * 1024


@dataclass
class ReceivedFile:
    file: IO[bytes]
    filename: str | None
    size: int
    sha256: str
    head: bytes = field(repr=False)  # the first 64 bytes, for content checks


def _too_large(max_bytes: int) -> FileTooLarge:
    return FileTooLarge(max_megabytes=max(1, max_bytes // (1024 * 1024)))


def _check_declared_length(request: Request, limit: int, max_bytes: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(max_bytes)


def _digest(file: IO[bytes]) -> tuple[int, str, bytes]:
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    head = b""
    while chunk := file.read(_HASH_CHUNK):
        if not head:
            head = chunk[:64]
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return size, digest.hexdigest(), head


def validation_error(field_name: str, error_type: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": error_type, "loc": ("body", field_name), "msg": message, "input": None}]
    )


def parse_fields(model: type[FormT], fields: dict[str, str]) -> FormT:
    """The form's text fields as `model`; a 422 `validation-error` problem like any body."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        errors: list[dict[str, Any]] = []
        for item in error.errors():
            errors.append({**item, "loc": ("body", *item["loc"])})
        raise RequestValidationError(errors) from error


@asynccontextmanager
async def receive_multipart(
    request: Request, *, max_file_bytes: int, file_field: str = "file"
) -> AsyncIterator[tuple[ReceivedFile, dict[str, str]]]:
    """The one file of a `multipart/form-data` body and its text fields, size-capped."""
    limit = max_file_bytes + FORM_OVERHEAD_BYTES
    _check_declared_length(request, limit, max_file_bytes)
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large(max_file_bytes)
        return message

    limited = Request(request.scope, limited_receive)
    form = await limited.form(max_files=1, max_fields=20, max_part_size=MAX_TEXT_FIELD_BYTES)
    try:
        upload = form.get(file_field)
        if not isinstance(upload, UploadFile):
            raise validation_error(file_field, "missing", "Field required")
        size, sha256, head = await anyio.to_thread.run_sync(_digest, upload.file)
        if size > max_file_bytes:
            raise _too_large(max_file_bytes)
        if size == 0:
            raise FileEmpty()
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        yield ReceivedFile(upload.file, upload.filename, size, sha256, head), fields
    finally:
        await form.close()


@asynccontextmanager
async def receive_body(request: Request, *, max_bytes: int) -> AsyncIterator[ReceivedFile]:
    """A raw request body (PUT of a file), spooled and size-capped."""
    _check_declared_length(request, max_bytes, max_bytes)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        digest = hashlib.sha256()
        size = 0
        head = b""
        async for chunk in request.stream():
            if not chunk:
                continue
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            if len(head) < 64:
                head = (head + chunk)[:64]
            digest.update(chunk)
            await anyio.to_thread.run_sync(spool.write, chunk)
        if size == 0:
            raise FileEmpty()
        spool.seek(0)
        yield ReceivedFile(spool, None, size, digest.hexdigest(), head)
