"""The tools library (管理改善ツール): staff upload PDF/XLSX/DOCX/CSV (checked by content),
signed-in people list it, members with a live membership download. R-CON-4."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.media.storage.local import LocalDiskStorage
from app.models import GrantScope, MaterialDownload, Tool
from tests.factories import bearer_for, make_grant, make_user
from tests.media.factories import (
    docx_bytes,
    path_of,
    pdf_bytes,
    plain_zip_bytes,
    staff_headers,
    upload_tool,
    xlsm_bytes,
    xlsx_bytes,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("data", "filename", "kind", "content_type", "download_name"),
    [
        (xlsx_bytes(), "改善シート.xlsx", "xlsx", XLSX, "改善シート.xlsx"),
        (docx_bytes(), "ガイド.docx", "docx", DOCX, "ガイド.docx"),
        ("項目,担当\n".encode(), "チェックリスト.csv", "csv", "text/csv; charset=utf-8", None),
        (pdf_bytes(), "テンプレート.pdf", "pdf", "application/pdf", None),
        (xlsx_bytes(), "renamed.pdf", "xlsx", XLSX, "renamed.pdf.xlsx"),  # content decides
    ],
)
async def test_r_con_4_staff_upload_accepted_kinds(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
    data: bytes,
    filename: str,
    kind: str,
    content_type: str,
    download_name: str | None,
) -> None:
    await freeze_time(NOW)
    _, staff = await staff_headers(session, settings, NOW)
    response = await upload_tool(client, staff, data, filename=filename)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["file_kind"], body["content_type"]) == (kind, content_type)
    assert body["filename"] == (download_name or filename)
    assert (storage.root / "tools" / body["id"]).read_bytes() == data


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (xlsm_bytes(), "macro.xlsx"),  # macro-enabled workbook under an .xlsx name
        (plain_zip_bytes(), "archive.xlsx"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image.csv"),
        ("氏名\n".encode("cp932"), "sjis.csv"),
    ],
)
async def test_r_con_4_unaccepted_content_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
    data: bytes,
    filename: str,
) -> None:
    await freeze_time(NOW)
    _, staff = await staff_headers(session, settings, NOW)
    response = await upload_tool(client, staff, data, filename=filename)
    assert response.status_code == 415 and response.json()["type"] == "unsupported-file-type"
    assert "PDF / Excel (.xlsx) / Word (.docx) / CSV (UTF-8)" in response.json()["detail"]
    assert await session.scalar(select(func.count()).select_from(Tool)) == 0


async def test_r_con_4_category_is_required_and_checked(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    await freeze_time(NOW)
    _, staff = await staff_headers(session, settings, NOW)
    response = await upload_tool(client, staff, pdf_bytes(), filename="a.pdf", category="video")
    assert response.status_code == 422 and "body.category" in response.json()["errors"]


async def test_r_con_4_listing_needs_login_download_needs_membership(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    await freeze_time(NOW)
    _, staff = await staff_headers(session, settings, NOW)
    sheet = (await upload_tool(client, staff, xlsx_bytes(), filename="改善シート.xlsx")).json()
    guide = (
        await upload_tool(client, staff, docx_bytes(), filename="ガイド.docx", category="guide")
    ).json()

    assert (await client.get("/api/v1/tools")).status_code == 401

    outsider = await make_user(session)
    outsider_headers = await bearer_for(session, outsider, settings, now=NOW)
    listed = await client.get("/api/v1/tools", headers=outsider_headers)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [sheet["id"], guide["id"]]
    assert all(item["downloadable"] is False for item in listed.json()["items"])
    assert "sha256" not in listed.json()["items"][0]
    refused = await client.post(
        f"/api/v1/tools/{sheet['id']}/download-link", headers=outsider_headers
    )
    assert refused.status_code == 403 and refused.json()["type"] == "membership-required"

    member = await make_user(session)
    await make_grant(session, member, scope=GrantScope.membership)
    member_headers = await bearer_for(session, member, settings, now=NOW)
    guides = await client.get("/api/v1/tools", params={"category": "guide"}, headers=member_headers)
    assert [(i["id"], i["downloadable"]) for i in guides.json()["items"]] == [(guide["id"], True)]
    link = await client.post(f"/api/v1/tools/{sheet['id']}/download-link", headers=member_headers)
    assert link.status_code == 200
    served = await client.get(path_of(link.json()["url"]))
    assert served.status_code == 200
    assert served.content == xlsx_bytes()
    assert served.headers["content-type"] == XLSX
    assert "filename*=UTF-8''%E6%94%B9" in served.headers["content-disposition"]
    # Tool downloads are not lesson material: nothing enters the refund ledger.
    assert await session.scalar(select(func.count()).select_from(MaterialDownload)) == 0
    # The link is the member's: another signed-in person cannot use it.
    stolen = await client.get(path_of(link.json()["url"]), headers=outsider_headers)
    assert stolen.status_code == 403 and stolen.json()["type"] == "link-not-yours"

    unknown = await client.post(
        f"/api/v1/tools/{uuid.uuid4()}/download-link", headers=member_headers
    )
    assert unknown.status_code == 404 and unknown.json()["type"] == "tool-not-found"


async def test_r_con_4_staff_manage_the_library_and_members_cannot(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    await freeze_time(NOW)
    _, staff = await staff_headers(session, settings, NOW)
    created = await upload_tool(client, staff, pdf_bytes(), filename="a.pdf")
    tool = created.json()
    assert (await client.get(created.headers["location"], headers=staff)).json()["id"] == tool["id"]
    changed = await client.patch(
        f"/api/v1/admin/tools/{tool['id']}",
        json={"category": "spreadsheet", "description": "記入例つき", "position": 5},
        headers=staff,
    )
    assert changed.status_code == 200
    assert (changed.json()["category"], changed.json()["position"]) == ("spreadsheet", 5)
    assert (await client.get("/api/v1/admin/tools", headers=staff)).json()["items"][0][
        "id"
    ] == tool["id"]

    member = await make_user(session)
    await make_grant(session, member, scope=GrantScope.membership)
    member_headers = await bearer_for(session, member, settings, now=NOW)
    for response in (
        await upload_tool(client, member_headers, pdf_bytes(), filename="a.pdf"),
        await client.get("/api/v1/admin/tools", headers=member_headers),
        await client.patch(
            f"/api/v1/admin/tools/{tool['id']}", json={"title": "x"}, headers=member_headers
        ),
        await client.delete(f"/api/v1/admin/tools/{tool['id']}", headers=member_headers),
    ):
        assert response.status_code == 403 and response.json()["type"] == "role-not-allowed"

    assert (
        await client.delete(f"/api/v1/admin/tools/{tool['id']}", headers=staff)
    ).status_code == 204
    assert await session.scalar(select(func.count()).select_from(Tool)) == 0
    gone = await client.get(f"/api/v1/admin/tools/{tool['id']}", headers=staff)
    assert gone.status_code == 404 and gone.json()["type"] == "tool-not-found"
