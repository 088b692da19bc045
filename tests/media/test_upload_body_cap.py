"""Staff uploads over `MANABI_MEDIA_MAX_UPLOAD_BYTES` (R-CON-3 materials, R-CON-4 tools) are
refused with the problem 413 `file-too-large` whether the body declared its length or streamed
in chunked without one: cut off while it streams in, no row, no stored file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.media.storage.local import LocalDiskStorage
from app.models.media import Material, Tool
from tests.media.factories import course_with_lesson, pdf_bytes, staff_headers

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
CAP = 1024 * 1024
BOUNDARY = "manabi-upload-cap"
CHUNK = 64 * 1024
FILE_CHUNKS = 3 * CAP // CHUNK


@dataclass
class Upload:
    fields: dict[str, str]
    sent_chunks: int = 0

    def _head(self) -> bytes:
        parts = [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in self.fields.items()
        ]
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        return "".join(parts).encode()

    async def chunks(self) -> AsyncIterator[bytes]:
        self.sent_chunks += 1
        yield self._head() + pdf_bytes()
        for _ in range(FILE_CHUNKS):
            self.sent_chunks += 1
            yield b"%" * CHUNK
        self.sent_chunks += 1
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    def whole(self) -> bytes:
        return (
            self._head()
            + pdf_bytes()
            + b"%" * (FILE_CHUNKS * CHUNK)
            + f"\r\n--{BOUNDARY}--\r\n".encode()
        )


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


async def count(session: AsyncSession, model: type[Material] | type[Tool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("rule", ["R-CON-3", "R-CON-4"])
async def test_r_con_3_r_con_4_upload_past_the_cap_is_a_problem_and_stores_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
    monkeypatch: pytest.MonkeyPatch,
    rule: str,
    chunked: bool,
) -> None:
    await freeze_time(NOW)
    _, staff = await staff_headers(session, settings, NOW)
    monkeypatch.setattr(settings, "media_max_upload_bytes", CAP)
    if rule == "R-CON-3":
        _, lesson = await course_with_lesson(session)
        path, model = f"/api/v1/admin/lessons/{lesson.id}/materials", Material
        upload = Upload({"title": "第1回レジュメ"})
    else:
        path, model = "/api/v1/admin/tools", Tool
        upload = Upload({"title": "業務改善シート", "category": "template"})

    response = await client.post(
        path,
        headers={**staff, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        content=upload.chunks() if chunked else upload.whole(),
    )

    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "file-too-large" and problem["status"] == 413
    assert "1 MB" in problem["detail"]
    if chunked:
        assert 0 < upload.sent_chunks < FILE_CHUNKS  # refused as it streamed in
    assert await count(session, model) == 0
    assert stored_files(storage.root) == []
