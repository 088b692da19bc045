"""Local-disk storage (the default; development, or one machine / a shared volume).

Writes go to a temporary file beside the target and are renamed into place, so a reader never
sees half a file and a failed upload leaves nothing behind. Blocking file calls run in worker
threads. Our own endpoints stream these files (there is no presigned URL).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import IO

import anyio.to_thread

from app.media.storage import StoredObjectMissing, check_key

CHUNK_BYTES = 256 * 1024


class LocalDiskStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):  # belt and braces: check_key already forbids it
            raise ValueError(f"key escapes the storage root: {key!r}")
        return path

    async def put(self, key: str, source: bytes | IO[bytes], *, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
            try:
                with partial.open("wb") as out:
                    if isinstance(source, bytes):
                        out.write(source)
                    else:
                        source.seek(0)
                        shutil.copyfileobj(source, out, CHUNK_BYTES)
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)

        await anyio.to_thread.run_sync(write)

    async def open(
        self, key: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await anyio.to_thread.run_sync(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError) as error:
            raise StoredObjectMissing(key) from error
        return _read(handle, start, end)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    async def exists(self, key: str) -> bool:
        path = self._path(key)
        return await anyio.to_thread.run_sync(path.is_file)

    def presigned_download_url(
        self,
        key: str,
        *,
        filename: str,
        content_type: str,
        expires_seconds: int,
        now: datetime,
    ) -> str | None:
        return None


async def _read(handle: IO[bytes], start: int, end: int | None) -> AsyncIterator[bytes]:
    try:
        await anyio.to_thread.run_sync(handle.seek, start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            size = CHUNK_BYTES if remaining is None else min(CHUNK_BYTES, remaining)
            chunk = await anyio.to_thread.run_sync(handle.read, size)
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
    finally:
        await anyio.to_thread.run_sync(handle.close)
