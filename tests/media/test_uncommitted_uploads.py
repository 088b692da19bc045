"""R-CON-3 / R-CON-4: a staff upload is stored before its row commits; when the COMMIT itself
fails the stored file is deleted again (no file without a row), and a committed upload keeps it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import set_clock
from app.media.storage.local import LocalDiskStorage
from app.models.media import Material, Tool
from tests.media.factories import course_with_lesson, pdf_bytes, staff_headers

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
async def uploads_refused_at_commit(engine: AsyncEngine) -> AsyncIterator[None]:
    """Deferred constraint triggers: material and tool rows insert fine, COMMIT refuses them."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE FUNCTION refuse_upload_at_commit() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
            )
        )
        for table in ("material", "tool"):
            await connection.execute(
                text(
                    f"CREATE CONSTRAINT TRIGGER refuse_upload_at_commit AFTER INSERT ON {table} "
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    "EXECUTE FUNCTION refuse_upload_at_commit()"
                )
            )
    try:
        yield
    finally:
        async with engine.begin() as connection:
            for table in ("material", "tool"):
                await connection.execute(text(f"DROP TRIGGER refuse_upload_at_commit ON {table}"))
            await connection.execute(text("DROP FUNCTION refuse_upload_at_commit()"))


async def _post(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    rule: str,
) -> httpx.Response:
    async with sessionmaker() as session:
        await set_clock(session, frozen_at=NOW, offset_seconds=0)
        _, staff = await staff_headers(session, settings, NOW)
        _, lesson = await course_with_lesson(session)
        await session.commit()
    if rule == "R-CON-3":
        path, fields = f"/api/v1/admin/lessons/{lesson.id}/materials", {"title": "第1回レジュメ"}
    else:
        path, fields = "/api/v1/admin/tools", {"title": "業務改善シート", "category": "template"}
    return await client.post(
        path, data=fields, files={"file": ("a.pdf", pdf_bytes(), "application/pdf")}, headers=staff
    )


@pytest.mark.usefixtures("uploads_refused_at_commit")
@pytest.mark.parametrize("rule", ["R-CON-3", "R-CON-4"])
async def test_r_con_3_4_upload_is_deleted_when_the_commit_fails(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    storage: LocalDiskStorage,
    rule: str,
) -> None:
    response = await _post(committing_client, committing_sessionmaker, settings, rule)

    assert response.status_code == 500, response.text
    async with committing_sessionmaker() as session:
        for model in (Material, Tool):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
    assert stored_files(storage.root) == []


@pytest.mark.parametrize("rule", ["R-CON-3", "R-CON-4"])
async def test_r_con_3_4_committed_upload_keeps_its_file(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    storage: LocalDiskStorage,
    rule: str,
) -> None:
    response = await _post(committing_client, committing_sessionmaker, settings, rule)

    assert response.status_code == 201, response.text
    model = Material if rule == "R-CON-3" else Tool
    async with committing_sessionmaker() as session:
        keys = set((await session.scalars(select(model.storage_key))).all())
    assert len(keys) == 1
    assert {str(path.relative_to(storage.root)) for path in stored_files(storage.root)} == keys
