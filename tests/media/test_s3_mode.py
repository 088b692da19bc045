"""With S3 storage (configured by settings), uploads PUT to a presigned URL and members download
straight from the bucket through a short-lived presigned GET; the download is recorded when the
link is issued (the bucket never tells us). R-CON-3, R-CON-4. S3 is outside the machine: an
httpx mock transport plays the bucket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.media.storage.s3 import S3Storage
from app.models import GrantScope, MaterialDownload
from tests.factories import bearer_for, make_grant, make_user
from tests.media.factories import course_with_lesson, pdf_bytes, staff_headers, upload_material
from tests.media.test_storage import FakeBucket

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.fixture
def bucket(app: FastAPI) -> Iterator[FakeBucket]:
    fake = FakeBucket()
    previous = getattr(app.state, "media_storage", None)
    app.state.media_storage = S3Storage(
        bucket="manabi-media",
        region="ap-northeast-1",
        access_key_id="AKIDEXAMPLE",
        secret_access_key="secret-for-tests",
        endpoint_url="https://s3.example.test",
        transport=httpx.MockTransport(fake.handler),
        clock=lambda: NOW,
    )
    yield fake
    app.state.media_storage = previous


async def test_r_con_3_s3_upload_and_presigned_download_recorded_at_issue(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    bucket: FakeBucket,
) -> None:
    await freeze_time(NOW)
    course, lesson = await course_with_lesson(session)
    _, staff = await staff_headers(session, settings, NOW)
    uploaded = await upload_material(client, staff, lesson.id, pdf_bytes())
    assert uploaded.status_code == 201, uploaded.text
    material = uploaded.json()
    assert bucket.objects[f"materials/{material['id']}"] == (pdf_bytes(), "application/pdf")

    member = await make_user(session)
    await make_grant(session, member, scope=GrantScope.membership)
    headers = await bearer_for(session, member, settings, now=NOW)
    link = await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=headers)
    assert link.status_code == 200
    url = urlsplit(link.json()["url"])
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "s3.example.test",
        f"/manabi-media/materials/{material['id']}",
    )
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == [str(settings.media_download_link_ttl_seconds)]
    assert "filename*=UTF-8''" in query["response-content-disposition"][0]

    rows = list((await session.scalars(select(MaterialDownload))).all())
    assert [(r.user_id, r.lesson_id, r.course_id) for r in rows] == [
        (member.id, lesson.id, course.id)
    ]


async def test_r_con_3_s3_refused_link_records_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    bucket: FakeBucket,
) -> None:
    await freeze_time(NOW)
    _, lesson = await course_with_lesson(session)
    _, staff = await staff_headers(session, settings, NOW)
    material = (await upload_material(client, staff, lesson.id, pdf_bytes())).json()
    outsider = await make_user(session)
    headers = await bearer_for(session, outsider, settings, now=NOW)
    link = await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=headers)
    assert link.status_code == 403
    assert list((await session.scalars(select(MaterialDownload))).all()) == []
