"""Lesson materials end to end: staff upload, member list, signed download links, the download
ledger. R-CON-3 (and R-CON-7 entitlements; R-REF reads the ledger)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.media import service
from app.media.storage.local import LocalDiskStorage
from app.models import GrantScope, MaterialDownload
from app.models.media import Material
from tests.factories import bearer_for, make_grant, make_user
from tests.media.factories import (
    course_with_lesson,
    path_of,
    pdf_bytes,
    staff_headers,
    upload_material,
    xlsx_bytes,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


async def _member(
    session: AsyncSession, settings: Settings, *, entitled: bool = True
) -> tuple[uuid.UUID, dict[str, str]]:
    member = await make_user(session)
    if entitled:
        await make_grant(session, member, scope=GrantScope.membership)
    return member.id, await bearer_for(session, member, settings, now=NOW)


async def _setup(session: AsyncSession, settings: Settings, freeze_time, client):  # type: ignore[no-untyped-def]
    await freeze_time(NOW)
    course, lesson = await course_with_lesson(session)
    _, staff = await staff_headers(session, settings, NOW)
    response = await upload_material(client, staff, lesson.id, pdf_bytes())
    assert response.status_code == 201, response.text
    return course, lesson, staff, response.json()


async def _downloads(session: AsyncSession) -> list[MaterialDownload]:
    return list((await session.scalars(select(MaterialDownload))).all())


async def test_r_con_3_upload_list_download_round_trip(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    course, lesson, _, material = await _setup(session, settings, freeze_time, client)
    data = pdf_bytes()
    assert material["file_kind"] == "pdf"
    assert material["content_type"] == "application/pdf"
    assert material["size_bytes"] == len(data)
    assert material["sha256"] == hashlib.sha256(data).hexdigest()
    assert material["filename"] == "レジュメ第1回.pdf"
    assert material["position"] == 0
    assert (storage.root / "materials" / material["id"]).read_bytes() == data

    member_id, member = await _member(session, settings)
    listed = await client.get(f"/api/v1/lessons/{lesson.id}/materials", headers=member)
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [material["id"]]
    assert "sha256" not in listed.json()["items"][0]

    link = await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=member)
    assert link.status_code == 200, link.text
    assert datetime.fromisoformat(link.json()["expires_at"]) == NOW + timedelta(minutes=5)
    assert await _downloads(session) == []  # not recorded until served

    served = await client.get(path_of(link.json()["url"]))
    assert served.status_code == 200, served.text
    assert served.content == data
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["cache-control"] == "no-store"
    assert served.headers["content-disposition"] == (
        'attachment; filename="download.pdf"; '
        "filename*=UTF-8''%E3%83%AC%E3%82%B8%E3%83%A5%E3%83%A1%E7%AC%AC1%E5%9B%9E.pdf"
    )

    rows = await _downloads(session)
    assert len(rows) == 1  # one served download, one record
    row = rows[0]
    assert (row.user_id, row.material_id, row.lesson_id, row.course_id) == (
        member_id,
        uuid.UUID(material["id"]),
        lesson.id,
        course.id,
    )
    assert row.downloaded_at == NOW
    assert await service.downloaded_lesson_ids(session, member_id, course.id) == {lesson.id}
    assert await service.downloaded_lesson_ids(session, member_id, course.id, before=NOW) == set()

    again = await client.get(path_of(link.json()["url"]))
    assert again.status_code == 200
    assert len(await _downloads(session)) == 2  # every served download is recorded


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"this is not a PDF at all", "fake.pdf"),
        (xlsx_bytes(), "sheet.pdf"),
        (b"MZ\x90\x00binary", "レジュメ.pdf"),
    ],
)
async def test_r_con_3_wrong_content_with_pdf_name_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
    data: bytes,
    filename: str,
) -> None:
    await freeze_time(NOW)
    _, lesson = await course_with_lesson(session)
    _, staff = await staff_headers(session, settings, NOW)
    response = await upload_material(client, staff, lesson.id, data, filename=filename)
    assert response.status_code == 415, response.text
    assert response.json()["type"] == "unsupported-file-type"
    assert await session.scalar(select(func.count()).select_from(Material)) == 0
    assert not (storage.root / "materials").exists() or not any(
        (storage.root / "materials").iterdir()
    )


async def test_r_con_3_oversized_upload_is_refused_with_413(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await freeze_time(NOW)
    _, lesson = await course_with_lesson(session)
    _, staff = await staff_headers(session, settings, NOW)
    monkeypatch.setattr(settings, "media_max_upload_bytes", 1024 * 1024)
    exactly = pdf_bytes() + b"%" * (1024 * 1024 - len(pdf_bytes()))
    assert (await upload_material(client, staff, lesson.id, exactly)).status_code == 201

    over = exactly + b"%"
    response = await upload_material(client, staff, lesson.id, over)
    assert response.status_code == 413
    problem = response.json()
    assert problem["type"] == "file-too-large"
    assert "1 MB" in problem["detail"]
    huge = exactly * 3  # declared Content-Length far past the cap: refused before reading
    assert (await upload_material(client, staff, lesson.id, huge)).status_code == 413

    # No Content-Length (chunked): cut off while the body streams in.
    boundary = "manabi-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + huge
        + f"\r\n--{boundary}--\r\n".encode()
    )
    sent = 0

    async def chunks():  # type: ignore[no-untyped-def]
        nonlocal sent
        for start in range(0, len(body), 65536):
            sent += 1
            yield body[start : start + 65536]

    streamed = await client.post(
        f"/api/v1/admin/lessons/{lesson.id}/materials",
        headers={**staff, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=chunks(),
    )
    assert streamed.status_code == 413 and streamed.json()["type"] == "file-too-large"
    assert await session.scalar(select(func.count()).select_from(Material)) == 1


async def test_r_con_3_upload_validation(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    await freeze_time(NOW)
    _, lesson = await course_with_lesson(session)
    _, staff = await staff_headers(session, settings, NOW)
    empty = await upload_material(client, staff, lesson.id, b"")
    assert empty.status_code == 400 and empty.json()["type"] == "file-empty"

    no_title = await upload_material(client, staff, lesson.id, pdf_bytes(), title="  ")
    assert no_title.status_code == 422
    assert "body.title" in no_title.json()["errors"]

    no_file = await client.post(
        f"/api/v1/admin/lessons/{lesson.id}/materials",
        headers=staff,
        data={"title": "x"},
        files={"other": ("a.pdf", pdf_bytes(), "application/pdf")},
    )
    assert no_file.status_code == 422
    assert "body.file" in no_file.json()["errors"]

    unknown = await upload_material(client, staff, uuid.uuid4(), pdf_bytes())
    assert unknown.status_code == 404 and unknown.json()["type"] == "lesson-not-found"
    assert await session.scalar(select(func.count()).select_from(Material)) == 0


async def test_r_con_3_member_without_entitlement_gets_403_problem(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, lesson, _, material = await _setup(session, settings, freeze_time, client)
    _, outsider = await _member(session, settings, entitled=False)
    listed = await client.get(f"/api/v1/lessons/{lesson.id}/materials", headers=outsider)
    assert listed.status_code == 403
    assert listed.headers["content-type"].startswith("application/problem+json")
    assert listed.json()["type"] == "not-entitled"
    link = await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=outsider)
    assert link.status_code == 403 and link.json()["type"] == "not-entitled"
    english = await client.post(
        f"/api/v1/materials/{material['id']}/download-link",
        headers={**outsider, "Accept-Language": "en"},
    )
    assert english.json()["title"] == "You are not entitled to this content"


async def test_r_con_3_unknown_or_unpublished_is_404(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    await freeze_time(NOW)
    hidden_course, hidden_lesson = await course_with_lesson(session, is_published=False)
    _, staff = await staff_headers(session, settings, NOW)
    uploaded = await upload_material(client, staff, hidden_lesson.id, pdf_bytes())
    material_id = uploaded.json()["id"]
    member = await make_user(session)
    await make_grant(session, member, scope=GrantScope.course, course_id=hidden_course.id)
    headers = await bearer_for(session, member, settings, now=NOW)

    for path in (
        f"/api/v1/lessons/{hidden_lesson.id}/materials",
        f"/api/v1/lessons/{uuid.uuid4()}/materials",
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404 and response.json()["type"] == "lesson-not-found"
    for material in (material_id, uuid.uuid4()):
        response = await client.post(f"/api/v1/materials/{material}/download-link", headers=headers)
        assert response.status_code == 404 and response.json()["type"] == "material-not-found"
    # Staff preview unpublished content.
    preview = await client.get(f"/api/v1/lessons/{hidden_lesson.id}/materials", headers=staff)
    assert preview.status_code == 200 and len(preview.json()["items"]) == 1


async def test_r_con_3_link_expires_at_the_exact_instant(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, _, _, material = await _setup(session, settings, freeze_time, client)
    _, member = await _member(session, settings)
    link = (
        await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=member)
    ).json()
    expires_at = datetime.fromisoformat(link["expires_at"])

    await freeze_time(expires_at - SECOND)
    assert (await client.get(path_of(link["url"]))).status_code == 200
    await freeze_time(expires_at)
    expired = await client.get(path_of(link["url"]))
    assert expired.status_code == 410 and expired.json()["type"] == "link-expired"
    assert len(await _downloads(session)) == 1  # the refused one is not recorded


async def test_r_con_3_tampered_or_retargeted_links_are_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    import base64

    _, lesson, staff, material = await _setup(session, settings, freeze_time, client)
    other = (await upload_material(client, staff, lesson.id, pdf_bytes("other"))).json()
    _, member = await _member(session, settings)
    url = path_of(
        (
            await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=member)
        ).json()["url"]
    )
    token = url.rsplit("/", 1)[1]
    payload, mac = token.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    retarget = base64.urlsafe_b64encode(raw.replace(material["id"], other["id"]).encode())
    later = raw.rsplit("|", 1)[0] + "|" + str(int(NOW.timestamp()) + 86400)
    for forged in (
        f"{retarget.rstrip(b'=').decode()}.{mac}",  # another file, same MAC
        f"{base64.urlsafe_b64encode(later.encode()).rstrip(b'=').decode()}.{mac}",  # longer life
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "not-a-token",
    ):
        response = await client.get(f"/api/v1/files/{forged}")
        assert response.status_code == 403, forged
        assert response.json()["type"] == "link-invalid"
    assert await _downloads(session) == []


async def test_r_con_3_link_is_bound_to_its_member(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    """Another signed-in member cannot download under the link; the holder without credentials
    downloads as the member the link was issued to; that member's access is re-checked."""
    course, _, _, material = await _setup(session, settings, freeze_time, client)
    owner_id, owner = await _member(session, settings)
    _, intruder = await _member(session, settings)
    url = path_of(
        (
            await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=owner)
        ).json()["url"]
    )
    refused = await client.get(url, headers=intruder)
    assert refused.status_code == 403 and refused.json()["type"] == "link-not-yours"
    assert await _downloads(session) == []
    bad_auth = await client.get(url, headers={"Authorization": "Bearer garbage"})
    assert bad_auth.status_code == 401

    assert (await client.get(url, headers=owner)).status_code == 200
    assert (await client.get(url)).status_code == 200
    assert {row.user_id for row in await _downloads(session)} == {owner_id}

    # The owner's membership ends: the still-unexpired link stops working.
    await session.execute(
        text("UPDATE entitlement_grant SET revoked_at = :now WHERE user_id = :user"),
        {"now": NOW - SECOND, "user": owner_id},
    )
    ended = await client.get(url)
    assert ended.status_code == 403 and ended.json()["type"] == "not-entitled"
    assert len(await _downloads(session)) == 2
    assert course.id == (await _downloads(session))[0].course_id


async def test_r_con_3_download_history_is_own_only_and_staff_report(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, lesson, staff, material = await _setup(session, settings, freeze_time, client)
    a_id, a = await _member(session, settings)
    b_id, b = await _member(session, settings)
    for headers in (a, a, b):
        link = await client.post(
            f"/api/v1/materials/{material['id']}/download-link", headers=headers
        )
        assert (await client.get(path_of(link.json()["url"]))).status_code == 200

    mine = (await client.get("/api/v1/me/material-downloads", headers=a)).json()
    assert len(mine["items"]) == 2 and all("user_id" not in item for item in mine["items"])
    theirs = (await client.get("/api/v1/me/material-downloads", headers=b)).json()
    assert len(theirs["items"]) == 1

    report = await client.get(
        f"/api/v1/admin/lessons/{lesson.id}/material-downloads", params={"limit": 2}, headers=staff
    )
    assert report.status_code == 200
    page = report.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await client.get(
        f"/api/v1/admin/lessons/{lesson.id}/material-downloads",
        params={"cursor": page["next_cursor"]},
        headers=staff,
    )
    users = [item["user_id"] for item in page["items"] + rest.json()["items"]]
    assert sorted(users) == sorted([str(a_id), str(a_id), str(b_id)])

    forbidden = await client.get(f"/api/v1/admin/lessons/{lesson.id}/material-downloads", headers=a)
    assert forbidden.status_code == 403 and forbidden.json()["type"] == "role-not-allowed"


async def test_r_con_3_staff_only_operations_refuse_members(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, lesson, _, material = await _setup(session, settings, freeze_time, client)
    _, member = await _member(session, settings)
    attempts = [
        await upload_material(client, member, lesson.id, pdf_bytes()),
        await client.get(f"/api/v1/admin/lessons/{lesson.id}/materials", headers=member),
        await client.patch(
            f"/api/v1/admin/materials/{material['id']}", json={"title": "x"}, headers=member
        ),
        await client.delete(f"/api/v1/admin/materials/{material['id']}", headers=member),
    ]
    for response in attempts:
        assert response.status_code == 403 and response.json()["type"] == "role-not-allowed"
    assert await session.scalar(select(func.count()).select_from(Material)) == 1


async def test_r_con_3_staff_update_order_and_delete(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, lesson, staff, first = await _setup(session, settings, freeze_time, client)
    second = (await upload_material(client, staff, lesson.id, pdf_bytes("2"), title="第2回")).json()
    assert second["position"] == 1
    location = (await upload_material(client, staff, lesson.id, pdf_bytes("3"))).headers["location"]
    assert (await client.get(location, headers=staff)).status_code == 200

    moved = await client.patch(
        f"/api/v1/admin/materials/{second['id']}",
        json={"position": 0, "title": " 改訂版 "},
        headers=staff,
    )
    assert moved.status_code == 200 and moved.json()["title"] == "改訂版"
    null = await client.patch(
        f"/api/v1/admin/materials/{second['id']}", json={"title": None}, headers=staff
    )
    assert null.status_code == 422
    listed = (
        await client.get(f"/api/v1/admin/lessons/{lesson.id}/materials", headers=staff)
    ).json()
    assert [item["id"] for item in listed["items"]][:2] == sorted(
        [first["id"], second["id"]]
    )  # both at position 0: id breaks the tie

    # A member downloads, then staff delete: the row goes, history stays, the file is removed
    # by a job deferred in the same transaction.
    _, member = await _member(session, settings)
    link = await client.post(f"/api/v1/materials/{first['id']}/download-link", headers=member)
    assert (await client.get(path_of(link.json()["url"]))).status_code == 200
    deleted = await client.delete(f"/api/v1/admin/materials/{first['id']}", headers=staff)
    assert deleted.status_code == 204
    history = await _downloads(session)
    assert len(history) == 1 and history[0].material_id is None
    assert history[0].filename == "レジュメ第1回.pdf"
    job_args = await session.scalar(
        text(
            "SELECT args FROM procrastinate_jobs "
            "WHERE task_name = 'app.media.tasks.delete_stored_object'"
        )
    )
    assert job_args == {"key": f"materials/{first['id']}"}
    gone = await client.get(path_of(link.json()["url"]))
    assert gone.status_code == 404 and gone.json()["type"] == "material-not-found"
    missing = await client.delete(f"/api/v1/admin/materials/{first['id']}", headers=staff)
    assert missing.status_code == 404


async def test_r_con_3_delete_job_removes_the_stored_file(
    tmp_path: Path, settings: Settings
) -> None:
    from app import worker
    from app.media.tasks import delete_stored_object

    storage = LocalDiskStorage(tmp_path)
    await storage.put("materials/x", b"%PDF-1.4", content_type="application/pdf")
    worker.configure(settings.model_copy(update={"media_root": str(tmp_path)}))
    try:
        await delete_stored_object.func(key="materials/x")
        await delete_stored_object.func(key="materials/x")  # a retry is harmless
    finally:
        worker.configure(None)
    assert not await storage.exists("materials/x")


async def test_r_con_3_missing_stored_file_is_a_404_problem_and_not_recorded(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, _, _, material = await _setup(session, settings, freeze_time, client)
    _, member = await _member(session, settings)
    link = await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=member)
    await storage.delete(f"materials/{material['id']}")
    response = await client.get(path_of(link.json()["url"]))
    assert response.status_code == 404 and response.json()["type"] == "stored-file-missing"
    assert await _downloads(session) == []


async def test_r_con_3_staff_preview_downloads_and_suspended_members_cannot(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    _, _, staff, material = await _setup(session, settings, freeze_time, client)
    link = await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=staff)
    assert (await client.get(path_of(link.json()["url"]))).status_code == 200

    member_id, member = await _member(session, settings)
    link = await client.post(f"/api/v1/materials/{material['id']}/download-link", headers=member)
    await session.execute(
        text("UPDATE user_account SET status = 'suspended' WHERE id = :id"), {"id": member_id}
    )
    refused = await client.get(path_of(link.json()["url"]))
    assert refused.status_code == 403 and refused.json()["type"] == "account-not-active"
    assert len(await _downloads(session)) == 1  # the staff preview only
