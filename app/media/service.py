"""The download ledger and download links (R-CON-3, R-CON-4; read by refunds, R-REF).

Every material download is one `MaterialDownload` row naming the member, material, lesson and
course. When our own endpoint serves the file (local storage) the row is written as the file is
served; when members download straight from S3 (presigned URL) it is written when the link is
issued, since the bucket does not tell us. Refunds ask `downloaded_lesson_ids`: downloading a
lesson's material counts as watching that lecture (seed 003, R-REF "W").

`issue_download_link` returns either the storage's own presigned URL or a signed link to
`GET /api/v1/files/{token}` (see `app.media.links`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.media import links, repository
from app.media.errors import LessonNotFound
from app.media.schemas import SignedLink
from app.media.storage import Storage
from app.models.media import Material, MaterialDownload, Tool


async def downloaded_lesson_ids(
    session: AsyncSession,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    *,
    before: datetime | None = None,
) -> set[uuid.UUID]:
    """The lessons of `course_id` whose material `user_id` downloaded (before `before`, if
    given: a refund quote counts what happened up to its request instant). R-CON-3, R-REF."""
    return await repository.downloaded_lesson_ids(session, user_id, course_id, before)


async def record_download(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    material: Material,
    course_id: uuid.UUID,
    now: datetime,
) -> MaterialDownload:
    row = MaterialDownload(
        id=uuid.uuid4(),
        user_id=user_id,
        material_id=material.id,
        lesson_id=material.lesson_id,
        course_id=course_id,
        filename=material.filename,
        downloaded_at=now,
    )
    session.add(row)
    await session.flush()
    return row


def member_downloads(user_id: uuid.UUID, course_id: uuid.UUID | None) -> Select[Any]:
    """The member's own downloads (object-level: never anyone else's)."""
    return repository.downloads_of_member(user_id, course_id)


async def lesson_downloads(session: AsyncSession, lesson_id: uuid.UUID) -> Select[Any]:
    """Staff report of one lesson's downloads."""
    if not await repository.lesson_exists(session, lesson_id):
        raise LessonNotFound()
    return repository.downloads_of_lesson(lesson_id)


def issue_download_link(
    storage: Storage,
    settings: Settings,
    *,
    purpose: links.LinkPurpose,
    item: Material | Tool,
    member_id: uuid.UUID,
    now: datetime,
) -> tuple[SignedLink, bool]:
    """The link, and whether it points straight at the storage (then no request of ours will
    see the download happen)."""
    ttl = settings.media_download_link_ttl_seconds
    expires_at = links.expiry(now, ttl)
    direct = storage.presigned_download_url(
        item.storage_key,
        filename=item.filename,
        content_type=item.content_type,
        expires_seconds=ttl,
        now=now,
    )
    if direct is not None:
        return SignedLink(url=direct, expires_at=expires_at), True
    token = links.issue(
        purpose=purpose,
        subject=str(item.id),
        member_id=member_id,
        expires_at=expires_at,
        signing_key=settings.signing_key,
    )
    url = f"{settings.public_base_url.rstrip('/')}/api/v1/files/{token}"
    return SignedLink(url=url, expires_at=expires_at), False
