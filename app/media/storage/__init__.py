"""Where file bytes live: a small storage protocol with a local-disk and an S3 implementation.

R-CON-2 / R-CON-3 / R-CON-4 never see a storage detail beyond this protocol:

- `put(key, source, content_type=...)`: store bytes (or a seekable binary file), replacing;
- `open(key, start=..., end=...)`: an async byte stream of the object or an inclusive range of
  it; raises `StoredObjectMissing` before streaming starts when there is no such object;
- `delete(key)` (idempotent) and `exists(key)`;
- `presigned_download_url(...)`: a URL the client downloads from directly (S3), or None when
  our own endpoint has to stream the file (local disk).

`MANABI_MEDIA_STORAGE=local` (default) keeps files under `MANABI_MEDIA_ROOT`; it suits one
machine or a volume shared by every instance. `MANABI_MEDIA_STORAGE=s3` uses any S3-compatible
bucket (AWS, MinIO, R2...) with hand-written SigV4 presigned URLs (`sigv4.py`).

Keys are ours (`materials/<uuid>`, `tools/<uuid>`, `videos/<asset id>.<random>`) and validated against a
strict pattern, so no key can climb out of the storage root.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import IO, Protocol

from app.config import Settings

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
MAX_KEY_LENGTH = 300


class StoredObjectMissing(Exception):
    """The object is not in storage."""


def check_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise ValueError(f"not a valid storage key: {key!r}")
    return key


class Storage(Protocol):
    async def put(self, key: str, source: bytes | IO[bytes], *, content_type: str) -> None: ...

    async def open(
        self, key: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def presigned_download_url(
        self,
        key: str,
        *,
        filename: str,
        content_type: str,
        expires_seconds: int,
        now: datetime,
    ) -> str | None: ...


def build_storage(settings: Settings) -> Storage:
    if settings.media_storage == "s3":
        from app.media.storage.s3 import S3Storage

        if not (
            settings.media_s3_bucket
            and settings.media_s3_access_key_id
            and settings.media_s3_secret_access_key
        ):
            raise RuntimeError(
                "MANABI_MEDIA_STORAGE=s3 needs MANABI_MEDIA_S3_BUCKET, "
                "MANABI_MEDIA_S3_ACCESS_KEY_ID and MANABI_MEDIA_S3_SECRET_ACCESS_KEY"
            )
        return S3Storage(
            bucket=settings.media_s3_bucket,
            region=settings.media_s3_region,
            access_key_id=settings.media_s3_access_key_id,
            secret_access_key=settings.media_s3_secret_access_key,
            endpoint_url=settings.media_s3_endpoint_url,
        )
    from app.media.storage.local import LocalDiskStorage

    return LocalDiskStorage(settings.media_root)
