"""Serving signed links: file downloads and video streams, and issuing playback URLs.
R-CON-2 (stream only, inline, ranged), R-CON-3 (materials, recorded), R-CON-4 (tools).

Binding a link to its member: the link carries the member it was issued to, and that member is
who the download is recorded for and whose access is checked again when the link is used (an
entitlement or membership that ended, or an account suspended, since the link was issued stops
it). A link used without credentials works for whoever holds it until it expires (a browser
following a download link, or a `<video>` element, sends no Authorization header); a request
that does carry `Authorization: Bearer` must be that same member's (403 `link-not-yours`), so a
signed-in member can never download under another member's link.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.authenticator import Subject
from app.auth.errors import AccountNotActive
from app.entitlements import rules as entitlement_rules
from app.entitlements.errors import MembershipRequired, NotEntitled
from app.media import links, repository, service
from app.media.errors import (
    LessonHasNoVideo,
    LessonNotFound,
    LinkNotYours,
    MaterialNotFound,
    StoredFileMissing,
    ToolNotFound,
    VideoAssetNotFound,
)
from app.media.rules import ByteRange, parse_range
from app.media.schemas import SignedLink
from app.media.storage import Storage, StoredObjectMissing
from app.media.video import VideoHost
from app.models.content import LessonKind
from app.models.user import AccountStatus


@dataclass(frozen=True)
class Delivery:
    stream: AsyncIterator[bytes]
    content_type: str
    size: int
    filename: str | None = None
    byte_range: ByteRange | None = None


def _check_caller(claims: links.LinkClaims, caller: Subject | None) -> None:
    if caller is not None and caller.user_id != claims.member_id:
        raise LinkNotYours()


async def _open(
    storage: Storage, key: str, byte_range: ByteRange | None = None
) -> AsyncIterator[bytes]:
    try:
        if byte_range is None:
            return await storage.open(key)
        return await storage.open(key, start=byte_range.start, end=byte_range.end)
    except StoredObjectMissing as error:
        raise StoredFileMissing() from error


async def serve_file(
    session: AsyncSession,
    storage: Storage,
    *,
    token: str,
    caller: Subject | None,
    now: datetime,
    signing_key: str,
) -> Delivery:
    """A material or tool behind a download link; a material download is recorded here."""
    claims = links.verify(
        token,
        purposes=(links.LinkPurpose.material, links.LinkPurpose.tool),
        now=now,
        signing_key=signing_key,
    )
    _check_caller(claims, caller)
    item_id = uuid.UUID(claims.subject)
    if claims.purpose is links.LinkPurpose.material:
        row = await repository.material_for_link(session, item_id, claims.member_id, now)
        if row is None:
            raise MaterialNotFound()
        if row.status is not AccountStatus.active:
            raise AccountNotActive()
        preview = entitlement_rules.may_preview(row.role)
        if not (preview or (row.course_is_published and row.is_entitled)):
            raise NotEntitled()
        material = row.Material
        stream = await _open(storage, material.storage_key)
        await service.record_download(
            session, user_id=claims.member_id, material=material, course_id=row.course_id, now=now
        )
        return Delivery(stream, material.content_type, material.size_bytes, material.filename)
    tool_row = await repository.tool_for_link(session, item_id, claims.member_id, now)
    if tool_row is None:
        raise ToolNotFound()
    if tool_row.status is not AccountStatus.active:
        raise AccountNotActive()
    if not (entitlement_rules.may_preview(tool_row.role) or tool_row.has_membership):
        raise MembershipRequired()
    tool = tool_row.Tool
    stream = await _open(storage, tool.storage_key)
    return Delivery(stream, tool.content_type, tool.size_bytes, tool.filename)


async def serve_video(
    session: AsyncSession,
    storage: Storage,
    *,
    token: str,
    range_header: str | None,
    caller: Subject | None,
    now: datetime,
    signing_key: str,
) -> Delivery:
    """A video behind a playback link, whole or the one byte range asked for (R-CON-2)."""
    claims = links.verify(
        token, purposes=(links.LinkPurpose.video,), now=now, signing_key=signing_key
    )
    _check_caller(claims, caller)
    asset = await repository.get_video_asset(session, claims.subject)
    if asset is None:
        raise VideoAssetNotFound()
    byte_range = parse_range(range_header, asset.size_bytes)
    stream = await _open(storage, asset.storage_key, byte_range)
    return Delivery(stream, asset.content_type, asset.size_bytes, byte_range=byte_range)


async def playback_link(
    session: AsyncSession,
    video_host: VideoHost,
    *,
    lesson_id: uuid.UUID,
    subject: Subject,
    now: datetime,
) -> SignedLink:
    """A short-lived playback URL for an entitled member (R-CON-2, R-CON-7)."""
    user_id = subject.require_user().id
    row = await repository.lesson_for_member(session, lesson_id, user_id, now)
    preview = entitlement_rules.may_preview(subject.role)
    if row is None or not (row.course_is_published or preview):
        raise LessonNotFound()
    if not (row.is_entitled or preview):
        raise NotEntitled()
    lesson = row.Lesson
    if lesson.kind is LessonKind.test or not lesson.video_asset_id:
        raise LessonHasNoVideo()
    url, expires_at = video_host.playback_url(lesson.video_asset_id, user_id, now)
    return SignedLink(url=url, expires_at=expires_at)
