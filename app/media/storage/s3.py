"""S3-compatible storage (AWS S3, MinIO, Cloudflare R2, ...) over plain HTTPS with httpx.

Every request, our own included, goes to a SigV4 presigned URL (`sigv4.presign`): uploads are a
PUT to a presigned URL, reads a ranged GET, deletes a DELETE. No SDK. Members download materials
and tools straight from the bucket through a short-lived presigned GET that also tells S3 which
`Content-Type` and `Content-Disposition` (RFC 5987 file name) to answer with.

URLs are signed with the real clock, never the adjustable test clock: S3 checks them against
its own time. Without `endpoint_url` the AWS virtual-hosted address
(`https://<bucket>.s3.<region>.amazonaws.com/<key>`) is used; with it, path style
(`<endpoint>/<bucket>/<key>`), which MinIO and most compatible services expect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import IO

import anyio.to_thread
import httpx

from app.kit.clock import system_now
from app.media.errors import StorageUnavailable
from app.media.rules import content_disposition
from app.media.storage import StoredObjectMissing, check_key
from app.media.storage.sigv4 import presign

CHUNK_BYTES = 1024 * 1024
OPERATION_URL_SECONDS = 900  # our own requests: long enough for a 50 MB upload on a slow link


class S3Storage:
    def __init__(
        self,
        *,
        bucket: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        endpoint_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = system_now,
    ) -> None:
        self.bucket = bucket
        self.region = region
        self._access_key_id = access_key_id
        self._secret_access_key = secret_access_key
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self._transport = transport
        self._clock = clock
        self._client: httpx.AsyncClient | None = None

    def object_url(self, key: str) -> str:
        check_key(key)
        if self.endpoint_url:
            return f"{self.endpoint_url}/{self.bucket}/{key}"
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{key}"

    def presigned_url(
        self,
        method: str,
        key: str,
        *,
        expires_seconds: int = OPERATION_URL_SECONDS,
        extra_query: dict[str, str] | None = None,
    ) -> str:
        return presign(
            method=method,
            url=self.object_url(key),
            region=self.region,
            access_key_id=self._access_key_id,
            secret_access_key=self._secret_access_key,
            now=self._clock(),
            expires_seconds=expires_seconds,
            extra_query=extra_query,
        )

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport, timeout=httpx.Timeout(30.0, connect=5.0)
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return await self.client.send(request, stream=stream)
        except httpx.HTTPError as error:
            raise StorageUnavailable() from error

    async def put(self, key: str, source: bytes | IO[bytes], *, content_type: str) -> None:
        if isinstance(source, bytes):
            body: bytes | AsyncIterator[bytes] = source
            size = len(source)
        else:
            size = await anyio.to_thread.run_sync(lambda: source.seek(0, 2))
            body = _chunks(source)
        request = self.client.build_request(
            "PUT",
            self.presigned_url("PUT", key),
            content=body,
            headers={"Content-Type": content_type, "Content-Length": str(size)},
        )
        response = await self._send(request)
        if response.status_code not in (200, 201, 204):
            raise StorageUnavailable()

    async def open(
        self, key: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        headers = {}
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        request = self.client.build_request("GET", self.presigned_url("GET", key), headers=headers)
        response = await self._send(request, stream=True)
        if response.status_code == 404:
            await response.aclose()
            raise StoredObjectMissing(key)
        if response.status_code not in (200, 206):
            await response.aclose()
            raise StorageUnavailable()
        return _body(response)

    async def delete(self, key: str) -> None:
        request = self.client.build_request("DELETE", self.presigned_url("DELETE", key))
        response = await self._send(request)
        if response.status_code not in (200, 204, 404):
            raise StorageUnavailable()

    async def exists(self, key: str) -> bool:
        request = self.client.build_request("HEAD", self.presigned_url("HEAD", key))
        response = await self._send(request)
        if response.status_code == 404:
            return False
        if response.status_code != 200:
            raise StorageUnavailable()
        return True

    def presigned_download_url(
        self,
        key: str,
        *,
        filename: str,
        content_type: str,
        expires_seconds: int,
        now: datetime,
    ) -> str | None:
        return self.presigned_url(
            "GET",
            key,
            expires_seconds=expires_seconds,
            extra_query={
                "response-content-disposition": content_disposition("attachment", filename),
                "response-content-type": content_type,
                "response-cache-control": "no-store",
            },
        )


async def _chunks(source: IO[bytes]) -> AsyncIterator[bytes]:
    await anyio.to_thread.run_sync(source.seek, 0)
    while chunk := await anyio.to_thread.run_sync(source.read, CHUNK_BYTES):
        yield chunk


async def _body(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes(CHUNK_BYTES):
            yield chunk
    finally:
        await response.aclose()
