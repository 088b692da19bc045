"""Storage adapters: SigV4 presigning against AWS's published example, the S3 adapter's HTTP
requests (S3 itself is outside the machine: an httpx mock transport stands in for it), the
local-disk adapter, and production settings. R-CON-2, R-CON-3, R-CON-4."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.config import Environment, Settings
from app.media.storage import StoredObjectMissing, build_storage, check_key
from app.media.storage.local import LocalDiskStorage
from app.media.storage.s3 import S3Storage
from app.media.storage.sigv4 import presign

AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CLOCK = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_r_con_3_sigv4_presigned_url_matches_the_aws_documented_example() -> None:
    """S3 API reference, "Authenticating Requests: Using Query Parameters", example GET."""
    url = presign(
        method="GET",
        url="https://examplebucket.s3.amazonaws.com/test.txt",
        region="us-east-1",
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key=AWS_EXAMPLE_SECRET,
        now=datetime(2013, 5, 24, 0, 0, 0, tzinfo=UTC),
        expires_seconds=86400,
    )
    assert url == (
        "https://examplebucket.s3.amazonaws.com/test.txt"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )


def test_r_con_3_sigv4_refuses_lifetimes_beyond_seven_days() -> None:
    with pytest.raises(ValueError):
        presign(
            method="GET",
            url="https://b.s3.amazonaws.com/k",
            region="us-east-1",
            access_key_id="AK",
            secret_access_key="SK",
            now=CLOCK,
            expires_seconds=7 * 24 * 3600 + 1,
        )


class FakeBucket:
    """What an S3 endpoint receives, and a minimal object store answering it."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = parse_qs(urlsplit(str(request.url)).query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-SignedHeaders"] == ["host"]
        assert "X-Amz-Signature" in query
        key = request.url.path.removeprefix("/manabi-media/")
        if request.method == "PUT":
            self.objects[key] = (request.read(), request.headers["content-type"])
            return httpx.Response(200)
        if key not in self.objects:
            return httpx.Response(404)
        data, content_type = self.objects[key]
        if request.method == "HEAD":
            return httpx.Response(200)
        if request.method == "DELETE":
            del self.objects[key]
            return httpx.Response(204)
        ranged = request.headers.get("range")
        if ranged:
            start, _, end = ranged.removeprefix("bytes=").partition("-")
            piece = data[int(start) : int(end) + 1 if end else None]
            return httpx.Response(206, content=piece, headers={"content-type": content_type})
        return httpx.Response(200, content=data, headers={"content-type": content_type})


@pytest.fixture
def bucket() -> FakeBucket:
    return FakeBucket()


def _s3(bucket: FakeBucket) -> S3Storage:
    return S3Storage(
        bucket="manabi-media",
        region="ap-northeast-1",
        access_key_id="AKIDEXAMPLE",
        secret_access_key="secret-for-tests",
        endpoint_url="http://minio.internal:9000",
        transport=httpx.MockTransport(bucket.handler),
        clock=lambda: CLOCK,
    )


async def test_r_con_3_s3_adapter_uploads_reads_ranges_and_deletes(bucket: FakeBucket) -> None:
    storage = _s3(bucket)
    try:
        await storage.put("materials/a", io.BytesIO(b"0123456789"), content_type="application/pdf")
        put = bucket.requests[-1]
        assert put.method == "PUT"
        assert put.url.host == "minio.internal" and put.url.path == "/manabi-media/materials/a"
        assert put.headers["content-length"] == "10"
        assert bucket.objects["materials/a"] == (b"0123456789", "application/pdf")

        assert await storage.exists("materials/a")
        whole = b"".join([chunk async for chunk in await storage.open("materials/a")])
        assert whole == b"0123456789"
        part = b"".join([c async for c in await storage.open("materials/a", start=2, end=4)])
        assert part == b"234"
        assert bucket.requests[-1].headers["range"] == "bytes=2-4"

        await storage.delete("materials/a")
        assert not await storage.exists("materials/a")
        await storage.delete("materials/a")  # idempotent
        with pytest.raises(StoredObjectMissing):
            await storage.open("materials/a")
    finally:
        await storage.aclose()


def test_r_con_3_s3_download_url_is_presigned_with_disposition(bucket: FakeBucket) -> None:
    url = _s3(bucket).presigned_download_url(
        "materials/a",
        filename="レジュメ.pdf",
        content_type="application/pdf",
        expires_seconds=300,
        now=CLOCK,
    )
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Date"] == ["20261123T030000Z"]
    assert query["response-content-type"] == ["application/pdf"]
    assert "filename*=UTF-8''%E3%83%AC" in query["response-content-disposition"][0]


def test_r_con_3_s3_without_endpoint_uses_aws_virtual_hosted_addresses(bucket: FakeBucket) -> None:
    storage = S3Storage(
        bucket="manabi-media", region="ap-northeast-1", access_key_id="A", secret_access_key="S"
    )
    assert storage.object_url("tools/x") == (
        "https://manabi-media.s3.ap-northeast-1.amazonaws.com/tools/x"
    )


async def test_r_con_3_local_storage_round_trip(tmp_path: Path) -> None:
    storage = LocalDiskStorage(tmp_path)
    await storage.put("videos/a", b"0123456789", content_type="video/mp4")
    assert await storage.exists("videos/a")
    assert b"".join([c async for c in await storage.open("videos/a", start=7)]) == b"789"
    assert b"".join([c async for c in await storage.open("videos/a", start=0, end=0)]) == b"0"
    await storage.put("videos/a", io.BytesIO(b"replaced"), content_type="video/mp4")
    assert b"".join([c async for c in await storage.open("videos/a")]) == b"replaced"
    assert sorted(p.name for p in (tmp_path / "videos").iterdir()) == ["a"]  # no temp left
    await storage.delete("videos/a")
    await storage.delete("videos/a")
    assert not await storage.exists("videos/a")
    with pytest.raises(StoredObjectMissing):
        await storage.open("videos/a")


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/abs", "a/../../b", "a//b", ".hidden", "a/.b", "", "a\\b", "a b"]
)
def test_r_con_3_storage_keys_cannot_escape_the_root(key: str) -> None:
    with pytest.raises(ValueError):
        check_key(key)


# --- Configuration --------------------------------------------------------------------------------


def _production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.production,
        "database_url": "postgresql+asyncpg://db.internal/manabi",
        "secret_key": "a" * 16 + "B" * 16 + "c" * 8,
        "signing_key": "x" * 20 + "Y" * 20,
        "test_clock_enabled": False,
        "media_storage": "s3",
        "media_s3_bucket": "manabi-media",
        "media_s3_access_key_id": "AKIAREALKEY",
        "media_s3_secret_access_key": "a-real-secret-from-the-vault",
        "payment_private_key_file": "/run/secrets/amazon-pay.pem",
        "payment_provider_base_url": "https://pay-api.amazon.jp/v2",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_r_con_3_production_s3_with_real_credentials_starts() -> None:
    _production().check_production()


@pytest.mark.parametrize(
    "override",
    [
        {"media_s3_secret_access_key": None},
        {"media_s3_secret_access_key": "minioadmin"},
        {"media_s3_secret_access_key": AWS_EXAMPLE_SECRET},
        {"media_s3_bucket": None},
        {"media_s3_access_key_id": None},
    ],
)
def test_r_con_3_production_refuses_missing_or_dev_s3_credentials(
    override: dict[str, object],
) -> None:
    with pytest.raises(RuntimeError, match="MANABI_MEDIA_S3"):
        _production(**override).check_production()


def test_r_con_3_storage_is_chosen_by_configuration(tmp_path: Path) -> None:
    assert isinstance(build_storage(Settings(media_root=str(tmp_path))), LocalDiskStorage)
    s3 = build_storage(_production())
    assert isinstance(s3, S3Storage) and s3.bucket == "manabi-media"
    with pytest.raises(RuntimeError, match="MANABI_MEDIA_S3_BUCKET"):
        build_storage(Settings(media_storage="s3"))
