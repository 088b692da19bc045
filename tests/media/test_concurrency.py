"""Under concurrency (real commits, several connections): uploads to one lesson take distinct
positions, and every concurrently served download is recorded exactly once. R-CON-3, R-CON-4."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import system_now
from app.media.storage.local import LocalDiskStorage
from app.models import GrantScope, Material, MaterialDownload, Role, Tool
from tests.factories import bearer_for, make_grant, make_user
from tests.media.factories import (
    course_with_lesson,
    path_of,
    pdf_bytes,
    upload_material,
    upload_tool,
)

CONCURRENT = 6


async def _seed(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> tuple[uuid.UUID, dict[str, str], dict[str, str]]:
    async with sessionmaker() as session:
        _, lesson = await course_with_lesson(session)
        staff = await make_user(session, role=Role.staff)
        member = await make_user(session)
        await make_grant(session, member, scope=GrantScope.membership)
        staff_headers = await bearer_for(session, staff, settings, now=system_now())
        member_headers = await bearer_for(session, member, settings, now=system_now())
        await session.commit()
        return lesson.id, staff_headers, member_headers


async def test_r_con_3_concurrent_uploads_take_distinct_positions(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    storage: LocalDiskStorage,
) -> None:
    lesson_id, staff, _ = await _seed(committing_sessionmaker, settings)
    responses = await asyncio.gather(
        *(
            upload_material(committing_client, staff, lesson_id, pdf_bytes(str(n)))
            for n in range(CONCURRENT)
        ),
        *(
            upload_tool(committing_client, staff, pdf_bytes(str(n)), filename=f"{n}.pdf")
            for n in range(CONCURRENT)
        ),
    )
    assert [r.status_code for r in responses] == [201] * (2 * CONCURRENT)
    async with committing_sessionmaker() as session:
        positions = (await session.scalars(select(Material.position))).all()
        assert sorted(positions) == list(range(CONCURRENT))
        tool_positions = (await session.scalars(select(Tool.position))).all()
        assert sorted(tool_positions) == list(range(CONCURRENT))


async def test_r_con_3_concurrent_downloads_are_each_recorded_once(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    storage: LocalDiskStorage,
) -> None:
    lesson_id, staff, member = await _seed(committing_sessionmaker, settings)
    material = (await upload_material(committing_client, staff, lesson_id, pdf_bytes())).json()
    link = await committing_client.post(
        f"/api/v1/materials/{material['id']}/download-link", headers=member
    )
    url = path_of(link.json()["url"])
    served = await asyncio.gather(*(committing_client.get(url) for _ in range(CONCURRENT)))
    assert [r.status_code for r in served] == [200] * CONCURRENT
    assert all(r.content == pdf_bytes() for r in served)
    async with committing_sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(MaterialDownload))
        assert count == CONCURRENT
