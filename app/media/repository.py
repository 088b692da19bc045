"""SQL of the media domain (R-CON-2, R-CON-3, R-CON-4). Never commits.

Member reads join the entitlement check (`course_access_clause` / `membership_clause`) into the
same statement as the row they read: one round trip answers "does it exist, is it published,
may this member open it".
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements.repository import course_access_clause, membership_clause
from app.models.content import Course, Lesson
from app.models.media import Material, MaterialDownload, Tool, ToolCategory, VideoAsset
from app.models.user import AccountStatus, Role, User

# pg_advisory_xact_lock key serializing "append a tool at the end of the library".
_TOOL_POSITION_LOCK = 0x4D414E4142490401


# --- Lessons --------------------------------------------------------------------------------------


async def lesson_for_member(
    session: AsyncSession, lesson_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> Row[Lesson, bool, bool] | None:
    """(Lesson, course_is_published, is_entitled) in one statement."""
    statement = (
        select(
            Lesson,
            Course.is_published.label("course_is_published"),
            course_access_clause(user_id, now).label("is_entitled"),
        )
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id)
    )
    return (await session.execute(statement)).one_or_none()


async def lesson_exists(session: AsyncSession, lesson_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(select(select(Lesson.id).where(Lesson.id == lesson_id).exists()))
    )


async def lock_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> Lesson | None:
    """The lesson row, locked: concurrent uploads to one lesson take distinct positions."""
    return await session.scalar(select(Lesson).where(Lesson.id == lesson_id).with_for_update())


# --- Materials ------------------------------------------------------------------------------------


async def next_material_position(session: AsyncSession, lesson_id: uuid.UUID) -> int:
    highest = await session.scalar(
        select(func.max(Material.position)).where(Material.lesson_id == lesson_id)
    )
    return 0 if highest is None else highest + 1


def materials_of_lesson(lesson_id: uuid.UUID) -> Select[Any]:
    return select(Material).where(Material.lesson_id == lesson_id)


async def get_material(session: AsyncSession, material_id: uuid.UUID) -> Material | None:
    return await session.get(Material, material_id)


async def material_for_member(
    session: AsyncSession, material_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> Row[Material, uuid.UUID, bool, bool] | None:
    """(Material, course_id, course_is_published, is_entitled) in one statement."""
    statement = (
        select(
            Material,
            Lesson.course_id,
            Course.is_published.label("course_is_published"),
            course_access_clause(user_id, now).label("is_entitled"),
        )
        .join(Lesson, Lesson.id == Material.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(Material.id == material_id)
    )
    return (await session.execute(statement)).one_or_none()


async def material_for_link(
    session: AsyncSession, material_id: uuid.UUID, member_id: uuid.UUID, now: datetime
) -> Row[Material, uuid.UUID, bool, Role, AccountStatus, bool] | None:
    """At download time: the material, its course, and the link's member (role, status,
    entitlement now) in one statement. None when the material or the member is gone."""
    statement = (
        select(
            Material,
            Lesson.course_id,
            Course.is_published.label("course_is_published"),
            User.role,
            User.status,
            course_access_clause(member_id, now).label("is_entitled"),
        )
        .join(Lesson, Lesson.id == Material.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .join(User, User.id == member_id)
        .where(Material.id == material_id)
    )
    return (await session.execute(statement)).one_or_none()


# --- Tools ----------------------------------------------------------------------------------------


async def next_tool_position(session: AsyncSession) -> int:
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TOOL_POSITION_LOCK})
    highest = await session.scalar(select(func.max(Tool.position)))
    return 0 if highest is None else highest + 1


def tools(category: ToolCategory | None) -> Select[Any]:
    statement = select(Tool)
    if category is not None:
        statement = statement.where(Tool.category == category)
    return statement


async def get_tool(session: AsyncSession, tool_id: uuid.UUID) -> Tool | None:
    return await session.get(Tool, tool_id)


async def tool_for_link(
    session: AsyncSession, tool_id: uuid.UUID, member_id: uuid.UUID, now: datetime
) -> Row[Tool, Role, AccountStatus, bool] | None:
    """(Tool, role, status, has_membership) of the link's member, in one statement."""
    statement = (
        select(
            Tool,
            User.role,
            User.status,
            membership_clause(member_id, now).label("has_membership"),
        )
        .join(User, User.id == member_id)
        .where(Tool.id == tool_id)
    )
    return (await session.execute(statement)).one_or_none()


# --- Downloads ------------------------------------------------------------------------------------


def downloads_of_lesson(lesson_id: uuid.UUID) -> Select[Any]:
    return select(MaterialDownload).where(MaterialDownload.lesson_id == lesson_id)


def downloads_of_member(user_id: uuid.UUID, course_id: uuid.UUID | None) -> Select[Any]:
    statement = select(MaterialDownload).where(MaterialDownload.user_id == user_id)
    if course_id is not None:
        statement = statement.where(MaterialDownload.course_id == course_id)
    return statement


async def downloaded_lesson_ids(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID, before: datetime | None
) -> set[uuid.UUID]:
    statement: Select[uuid.UUID] = (
        select(MaterialDownload.lesson_id)
        .where(MaterialDownload.user_id == user_id, MaterialDownload.course_id == course_id)
        .distinct()
    )
    if before is not None:
        statement = statement.where(MaterialDownload.downloaded_at < before)
    return set((await session.scalars(statement)).all())


# --- Video assets ---------------------------------------------------------------------------------


async def get_video_asset(
    session: AsyncSession, asset_id: str, *, for_update: bool = False
) -> VideoAsset | None:
    statement = select(VideoAsset).where(VideoAsset.asset_id == asset_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def upsert_video_asset(
    session: AsyncSession,
    *,
    asset_id: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
    storage_key: str,
    uploaded_by_user_id: uuid.UUID | None,
) -> tuple[VideoAsset, bool]:
    """Insert or replace; returns the row and whether it was created."""
    values: dict[str, Any] = {
        "content_type": content_type,
        "size_bytes": size_bytes,
        "sha256": sha256,
        "storage_key": storage_key,
        "uploaded_by_user_id": uploaded_by_user_id,
    }
    statement: Any = (
        insert(VideoAsset)
        .values(id=uuid.uuid4(), asset_id=asset_id, **values)
        .on_conflict_do_update(
            index_elements=[VideoAsset.asset_id], set_={**values, "updated_at": func.now()}
        )
        .returning(VideoAsset.id, literal_column("(xmax = 0)").label("created"))
    )
    row = (await session.execute(statement)).one()
    asset = await session.scalar(
        select(VideoAsset).where(VideoAsset.id == row.id).execution_options(populate_existing=True)
    )
    assert asset is not None
    return asset, bool(row.created)
