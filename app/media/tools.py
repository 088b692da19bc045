"""The tools library (管理改善ツール): templates, guide texts, spreadsheets. R-CON-4, R-CON-7.

Staff upload PDF, XLSX, DOCX or CSV files (type decided from the content). Any signed-in person
may list the library — titles and descriptions are catalog information, public like course
titles (R-CON-7) — and each item says whether the caller may download it; downloading needs a
live membership (403 `membership-required`), staff and admins always may.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.authenticator import Subject
from app.config import Settings
from app.entitlements import service as entitlements
from app.kit.jobs import defer_in_transaction
from app.kit.request_context import ClientInfo
from app.media import links, repository, service
from app.media.errors import ToolNotFound
from app.media.intake import store_upload
from app.media.materials import DELETE_OBJECT_TASK
from app.media.schemas import SignedLink, ToolForm, ToolUpdate
from app.media.storage import Storage
from app.media.uploads import ReceivedFile
from app.models.media import FileKind, Tool, ToolCategory

TOOL_KINDS = frozenset({FileKind.pdf, FileKind.xlsx, FileKind.docx, FileKind.csv})


async def add_tool(
    session: AsyncSession,
    storage: Storage,
    *,
    upload: ReceivedFile,
    form: ToolForm,
    actor: Subject,
    now: datetime,
    client: ClientInfo,
) -> Tool:
    tool_id = uuid.uuid4()
    stored = await store_upload(
        session, storage, upload, key=f"tools/{tool_id}", allowed=TOOL_KINDS
    )
    position = form.position
    if position is None:
        position = await repository.next_tool_position(session)
    tool = Tool(
        id=tool_id,
        category=form.category,
        title=form.title,
        description=form.description,
        position=position,
        file_kind=stored.kind,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        filename=stored.filename,
        storage_key=stored.key,
        uploaded_by_user_id=actor.user_id,
    )
    session.add(tool)
    await session.flush()
    await record_audit_event(
        session,
        action=AuditAction.tool_uploaded,
        now=now,
        actor_user_id=actor.user_id,
        target_type="tool",
        target_id=tool.id,
        client=client,
        data={"kind": stored.kind.value, "sha256": stored.sha256, "size": stored.size_bytes},
    )
    return tool


async def get_tool(session: AsyncSession, tool_id: uuid.UUID) -> Tool:
    tool = await repository.get_tool(session, tool_id)
    if tool is None:
        raise ToolNotFound()
    return tool


async def update_tool(session: AsyncSession, *, tool_id: uuid.UUID, changes: ToolUpdate) -> Tool:
    tool = await get_tool(session, tool_id)
    for name, value in changes.model_dump(exclude_unset=True).items():
        setattr(tool, name, value)
    await session.flush()
    await session.refresh(tool, ["updated_at"])
    return tool


async def delete_tool(
    session: AsyncSession, *, tool_id: uuid.UUID, actor: Subject, now: datetime, client: ClientInfo
) -> None:
    tool = await get_tool(session, tool_id)
    await session.delete(tool)
    await session.flush()
    await defer_in_transaction(session, DELETE_OBJECT_TASK, args={"key": tool.storage_key})
    await record_audit_event(
        session,
        action=AuditAction.tool_deleted,
        now=now,
        actor_user_id=actor.user_id,
        target_type="tool",
        target_id=tool_id,
        client=client,
        data={"filename": tool.filename},
    )


def library(category: ToolCategory | None) -> Select[tuple[Tool]]:
    return repository.tools(category)


async def may_download_tools(session: AsyncSession, *, subject: Subject, now: datetime) -> bool:
    return await entitlements.has_membership(
        session, user_id=subject.require_user().id, role=subject.role, now=now
    )


async def tool_download_link(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    *,
    tool_id: uuid.UUID,
    subject: Subject,
    now: datetime,
) -> SignedLink:
    user_id = subject.require_user().id
    await entitlements.require_membership(session, user_id=user_id, role=subject.role, now=now)
    tool = await get_tool(session, tool_id)
    link, _ = service.issue_download_link(
        storage, settings, purpose=links.LinkPurpose.tool, item=tool, member_id=user_id, now=now
    )
    return link
