"""Video assets of the local development video host (R-CON-2).

Staff PUT a file under the asset id a lesson names; it is checked from its content (MP4 or WebM),
stored under a fresh key `videos/<asset id>.<random>` and described by a `video_asset` row (type,
size, digest, key) that the stream endpoint reads. Replacing an asset points the row at the new
file; the old file is deleted only once that change has committed, and a new file whose
transaction fails is deleted again (`app.media.uncommitted`), so the row and the bytes it
describes always agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.authenticator import Subject
from app.kit.request_context import ClientInfo
from app.media import repository, sniff
from app.media.errors import UnsupportedFileType
from app.media.storage import Storage
from app.media.uncommitted import delete_when_committed, put_with_transaction
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
    # Locked: a concurrent replacement waits, so each one deletes the file it really replaced.
    previous = await repository.get_video_asset(session, asset_id, for_update=True)
    previous_key = previous.storage_key if previous is not None else None
    key = f"videos/{asset_id}.{uuid.uuid4().hex}"
    await put_with_transaction(session, storage, key, upload.file, content_type=content_type)
    asset, created = await repository.upsert_video_asset(
        session,
        asset_id=asset_id,
        content_type=content_type,
        size_bytes=upload.size,
        sha256=upload.sha256,
        storage_key=key,
        uploaded_by_user_id=actor.user_id,
    )
    if previous_key is not None and previous_key != key:
        delete_when_committed(session, storage, previous_key)
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
