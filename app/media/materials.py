"""Lesson materials (教材): staff upload and manage PDFs; entitled members list and download.
R-CON-3, R-CON-7.

- Staff (and admins) may act on any lesson, published or not (they prepare content).
- A member sees a lesson's materials only when its course is published (else 404, the lesson
  "does not exist" for them) and they hold a live entitlement to the course (else 403
  `not-entitled`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.authenticator import Subject
from app.config import Settings
from app.entitlements import rules as entitlement_rules
from app.entitlements.errors import NotEntitled
from app.kit.jobs import defer_in_transaction
from app.kit.request_context import ClientInfo
from app.media import links, repository, service
from app.media.errors import LessonNotFound, MaterialNotFound
from app.media.intake import store_upload
from app.media.schemas import MaterialForm, MaterialUpdate, SignedLink
from app.media.storage import Storage
from app.media.uploads import ReceivedFile
from app.models.media import FileKind, Material

DELETE_OBJECT_TASK = "app.media.tasks.delete_stored_object"


# --- Staff ----------------------------------------------------------------------------------------


async def add_material(
    session: AsyncSession,
    storage: Storage,
    *,
    lesson_id: uuid.UUID,
    upload: ReceivedFile,
    form: MaterialForm,
    actor: Subject,
    now: datetime,
    client: ClientInfo,
) -> Material:
    if not await repository.lesson_exists(session, lesson_id):
        raise LessonNotFound()
    material_id = uuid.uuid4()
    stored = await store_upload(
        session, storage, upload, key=f"materials/{material_id}", allowed={FileKind.pdf}
    )
    # Locked after the (possibly slow) upload to storage, so the lock is held briefly.
    if await repository.lock_lesson(session, lesson_id) is None:
        raise LessonNotFound()
    position = form.position
    if position is None:
        position = await repository.next_material_position(session, lesson_id)
    material = Material(
        id=material_id,
        lesson_id=lesson_id,
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
    session.add(material)
    await session.flush()
    await record_audit_event(
        session,
        action=AuditAction.material_uploaded,
        now=now,
        actor_user_id=actor.user_id,
        target_type="material",
        target_id=material.id,
        client=client,
        data={"lesson_id": str(lesson_id), "sha256": stored.sha256, "size": stored.size_bytes},
    )
    return material


async def get_material(session: AsyncSession, material_id: uuid.UUID) -> Material:
    material = await repository.get_material(session, material_id)
    if material is None:
        raise MaterialNotFound()
    return material


async def update_material(
    session: AsyncSession, *, material_id: uuid.UUID, changes: MaterialUpdate
) -> Material:
    material = await get_material(session, material_id)
    for name, value in changes.model_dump(exclude_unset=True).items():
        setattr(material, name, value)
    await session.flush()
    await session.refresh(material, ["updated_at"])
    return material


async def delete_material(
    session: AsyncSession,
    *,
    material_id: uuid.UUID,
    actor: Subject,
    now: datetime,
    client: ClientInfo,
) -> None:
    """Delete the row now; the stored file is removed by a job after the commit (a rollback
    keeps both). Download history stays (its `material_id` becomes null)."""
    material = await get_material(session, material_id)
    await session.delete(material)
    await session.flush()
    await defer_in_transaction(session, DELETE_OBJECT_TASK, args={"key": material.storage_key})
    await record_audit_event(
        session,
        action=AuditAction.material_deleted,
        now=now,
        actor_user_id=actor.user_id,
        target_type="material",
        target_id=material_id,
        client=client,
        data={"lesson_id": str(material.lesson_id), "filename": material.filename},
    )


async def staff_lesson_materials(
    session: AsyncSession, lesson_id: uuid.UUID
) -> Select[tuple[Material]]:
    if not await repository.lesson_exists(session, lesson_id):
        raise LessonNotFound()
    return repository.materials_of_lesson(lesson_id)


# --- Members --------------------------------------------------------------------------------------


async def member_lesson_materials(
    session: AsyncSession, *, lesson_id: uuid.UUID, subject: Subject, now: datetime
) -> Select[tuple[Material]]:
    """The statement of a lesson's materials, after the lesson and entitlement checks."""
    user_id = _user_id(subject)
    row = await repository.lesson_for_member(session, lesson_id, user_id, now)
    preview = entitlement_rules.may_preview(subject.role)
    if row is None or not (row.course_is_published or preview):
        raise LessonNotFound()
    if not (row.is_entitled or preview):
        raise NotEntitled()
    return repository.materials_of_lesson(lesson_id)


async def material_download_link(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    *,
    material_id: uuid.UUID,
    subject: Subject,
    now: datetime,
) -> SignedLink:
    user_id = _user_id(subject)
    row = await repository.material_for_member(session, material_id, user_id, now)
    preview = entitlement_rules.may_preview(subject.role)
    if row is None or not (row.course_is_published or preview):
        raise MaterialNotFound()
    if not (row.is_entitled or preview):
        raise NotEntitled()
    material: Material = row.Material
    link, direct = service.issue_download_link(
        storage,
        settings,
        purpose=links.LinkPurpose.material,
        item=material,
        member_id=user_id,
        now=now,
    )
    if direct:  # the bucket serves it; this is the last moment we see the download
        await service.record_download(
            session, user_id=user_id, material=material, course_id=row.course_id, now=now
        )
    return link


def _user_id(subject: Subject) -> uuid.UUID:
    return subject.require_user().id
