"""Video playback: short-lived URLs for entitled members, streamed inline with HTTP Range, never a
download; staff upload assets for the local video host. R-CON-2 (and R-CON-7)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.media.storage.local import LocalDiskStorage
from app.models import GrantScope, LessonKind, VideoAsset
from tests.factories import bearer_for, make_grant, make_user
from tests.media.factories import (
    course_with_lesson,
    make_lesson,
    mp4_bytes,
    path_of,
    pdf_bytes,
    staff_headers,
    webm_bytes,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
VIDEO = mp4_bytes(4096)


async def _put_asset(
    client: httpx.AsyncClient, headers: dict[str, str], asset_id: str, data: bytes
) -> httpx.Response:
    return await client.put(
        f"/api/v1/admin/video-assets/{asset_id}",
        content=data,
        headers={**headers, "Content-Type": "video/mp4"},
    )


async def _playable(client, session, settings, freeze_time):  # type: ignore[no-untyped-def]
    """A published exercise lesson whose asset is uploaded, and an entitled member's link."""
    await freeze_time(NOW)
    course, lesson = await course_with_lesson(session)
    _, staff = await staff_headers(session, settings, NOW)
    assert (await _put_asset(client, staff, "asset-intro", VIDEO)).status_code == 201
    member = await make_user(session)
    await make_grant(session, member, scope=GrantScope.course, course_id=course.id)
    headers = await bearer_for(session, member, settings, now=NOW)
    response = await client.post(f"/api/v1/lessons/{lesson.id}/playback", headers=headers)
    assert response.status_code == 200, response.text
    return lesson, member, headers, response.json()


async def test_r_con_2_playback_url_streams_inline_never_as_attachment(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, _, _, link = await _playable(client, session, settings, freeze_time)
    assert datetime.fromisoformat(link["expires_at"]) == NOW + timedelta(minutes=10)
    assert "/api/v1/media/stream/" in link["url"]

    whole = await client.get(path_of(link["url"]))
    assert whole.status_code == 200
    assert whole.content == VIDEO
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["content-disposition"] == "inline"
    assert "attachment" not in whole.headers["content-disposition"]
    assert whole.headers["cache-control"] == "no-store"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(len(VIDEO))


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),  # the first bytes
        ("bytes=-100", len(VIDEO) - 100, len(VIDEO) - 1),  # suffix
        ("bytes=4000-", 4000, len(VIDEO) - 1),  # open-ended
        ("bytes=4090-999999", 4090, len(VIDEO) - 1),  # clipped
    ],
)
async def test_r_con_2_range_requests_answer_206(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
    range_header: str,
    start: int,
    end: int,
) -> None:
    _, _, _, link = await _playable(client, session, settings, freeze_time)
    response = await client.get(path_of(link["url"]), headers={"Range": range_header})
    assert response.status_code == 206
    assert response.content == VIDEO[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(VIDEO)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["content-disposition"] == "inline"


async def test_r_con_2_unsatisfiable_range_is_416(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, _, _, link = await _playable(client, session, settings, freeze_time)
    response = await client.get(path_of(link["url"]), headers={"Range": f"bytes={len(VIDEO)}-"})
    assert response.status_code == 416
    assert response.json()["type"] == "range-not-satisfiable"
    assert response.headers["content-range"] == f"bytes */{len(VIDEO)}"


async def test_r_con_2_playback_link_expiry_tampering_and_binding(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, _, owner, link = await _playable(client, session, settings, freeze_time)
    url = path_of(link["url"])
    expires_at = datetime.fromisoformat(link["expires_at"])

    other = await make_user(session)
    other_headers = await bearer_for(session, other, settings, now=NOW)
    stolen = await client.get(url, headers={**other_headers, "Range": "bytes=0-9"})
    assert stolen.status_code == 403 and stolen.json()["type"] == "link-not-yours"
    assert (await client.get(url, headers={**owner, "Range": "bytes=0-9"})).status_code == 206

    token = url.rsplit("/", 1)[1]
    payload, mac = token.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    other_asset = base64.urlsafe_b64encode(raw.replace("asset-intro", "asset-other").encode())
    forged = f"/api/v1/media/stream/{other_asset.rstrip(b'=').decode()}.{mac}"
    assert (await client.get(forged)).json()["type"] == "link-invalid"

    await freeze_time(expires_at - timedelta(seconds=1))
    assert (await client.get(url, headers={"Range": "bytes=0-0"})).status_code == 206
    await freeze_time(expires_at)
    expired = await client.get(url, headers={"Range": "bytes=0-0"})
    assert expired.status_code == 410 and expired.json()["type"] == "link-expired"


async def test_r_con_2_download_links_and_playback_links_do_not_cross(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, _, _, link = await _playable(client, session, settings, freeze_time)
    token = path_of(link["url"]).rsplit("/", 1)[1]
    response = await client.get(f"/api/v1/files/{token}")
    assert response.status_code == 403 and response.json()["type"] == "link-invalid"


async def test_r_con_2_playback_needs_entitlement_and_a_video(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    await freeze_time(NOW)
    course, lesson = await course_with_lesson(session, kind=LessonKind.video)
    test_lesson = await make_lesson(session, course, kind=LessonKind.test, position=1)
    outsider = await make_user(session)
    outsider_headers = await bearer_for(session, outsider, settings, now=NOW)
    refused = await client.post(f"/api/v1/lessons/{lesson.id}/playback", headers=outsider_headers)
    assert refused.status_code == 403 and refused.json()["type"] == "not-entitled"

    member = await make_user(session)
    await make_grant(session, member, scope=GrantScope.membership)
    headers = await bearer_for(session, member, settings, now=NOW)
    assert (
        await client.post(f"/api/v1/lessons/{lesson.id}/playback", headers=headers)
    ).status_code == 200
    no_video = await client.post(f"/api/v1/lessons/{test_lesson.id}/playback", headers=headers)
    assert no_video.status_code == 409 and no_video.json()["type"] == "lesson-has-no-video"

    _, hidden = await course_with_lesson(session, is_published=False)
    unpublished = await client.post(f"/api/v1/lessons/{hidden.id}/playback", headers=headers)
    assert unpublished.status_code == 404 and unpublished.json()["type"] == "lesson-not-found"


async def test_r_con_2_stream_of_an_asset_never_uploaded_is_404(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    await freeze_time(NOW)
    course, lesson = await course_with_lesson(session)
    member = await make_user(session)
    await make_grant(session, member, scope=GrantScope.course, course_id=course.id)
    headers = await bearer_for(session, member, settings, now=NOW)
    link = (await client.post(f"/api/v1/lessons/{lesson.id}/playback", headers=headers)).json()
    response = await client.get(path_of(link["url"]))
    assert response.status_code == 404 and response.json()["type"] == "video-asset-not-found"


async def test_r_con_2_staff_upload_video_assets_checked_by_content(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await freeze_time(NOW)
    _, staff = await staff_headers(session, settings, NOW)
    created = await _put_asset(client, staff, "intro_01", VIDEO)
    assert created.status_code == 201
    assert created.json()["content_type"] == "video/mp4"
    replaced = await client.put(
        "/api/v1/admin/video-assets/intro_01",
        content=webm_bytes(),
        headers={**staff, "Content-Type": "video/webm"},
    )
    assert replaced.status_code == 200
    assert replaced.json()["content_type"] == "video/webm"
    assert replaced.json()["size_bytes"] == len(webm_bytes())
    # The row names a fresh file; the replaced one is gone once the change committed.
    asset = await session.scalar(
        select(VideoAsset)
        .where(VideoAsset.asset_id == "intro_01")
        .execution_options(populate_existing=True)
    )
    assert asset is not None and asset.storage_key.startswith("videos/intro_01.")
    assert [path.name for path in (storage.root / "videos").iterdir()] == [
        asset.storage_key.removeprefix("videos/")
    ]
    assert (storage.root / asset.storage_key).read_bytes() == webm_bytes()

    wrong = await _put_asset(client, staff, "intro_02", pdf_bytes())
    assert wrong.status_code == 415 and wrong.json()["type"] == "unsupported-file-type"
    bad_id = await _put_asset(client, staff, "../escape", VIDEO)
    assert bad_id.status_code in (404, 422)
    monkeypatch.setattr(settings, "media_max_video_bytes", 1000)
    too_big = await _put_asset(client, staff, "intro_03", VIDEO)
    assert too_big.status_code == 413 and too_big.json()["type"] == "file-too-large"
    assert await session.scalar(select(func.count()).select_from(VideoAsset)) == 1

    member = await make_user(session)
    member_headers = await bearer_for(session, member, settings, now=NOW)
    refused = await _put_asset(client, member_headers, "intro_04", VIDEO)
    assert refused.status_code == 403 and refused.json()["type"] == "role-not-allowed"
