"""Video assets of the local development video host (R-CON-2).

Staff PUT a file under the asset id a lesson names; it is checked from its content (MP4 or WebM),
stored under `videos/<asset id>` and described by a `video_asset` row (type, size, digest) that
the stream endpoint reads. Replacing an asset overwrites both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.authenticator import Subject
from app.kit.request_context import ClientInfo
from app.media import repository, sniff
from app.media.errors import UnsupportedFileType
from app.media.storage import Storage
from app.media.uploads import ReceivedFile
from app.models.media import VideoAsset


async def put_video_asset(
    session: AsyncSession,
    storage: Storage,
    *,
    asset_id: str,
    upload: ReceivedFile,
    actor: Subject,
    now: datetime,
    client: ClientInfo,
) -> tuple[VideoAsset, bool]:
    content_type = sniff.detect_video_content_type(upload.head)
    if content_type is None:
        raise UnsupportedFileType(allowed="MP4 / WebM")
    key = f"videos/{asset_id}"
    await storage.put(key, upload.file, content_type=content_type)
    asset, created = await repository.upsert_video_asset(
        session,
        asset_id=asset_id,
        content_type=content_type,
        size_bytes=upload.size,
        sha256=upload.sha256,
        storage_key=key,
        uploaded_by_user_id=actor.user_id,
    )
    await record_audit_event(
        session,
        action=AuditAction.video_asset_uploaded,
        now=now,
        actor_user_id=actor.user_id,
        target_type="video_asset",
        target_id=asset_id,
        client=client,
        data={"sha256": upload.sha256, "size": upload.size, "replaced": not created},
    )
    return asset, created
