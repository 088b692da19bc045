"""The video host adapter: short-lived playback URLs, never a download (R-CON-2).

`VideoHost.playback_url(asset_id, member_id, now) -> (url, expires_at)` is all the platform asks
of a host. The default, `SignedLocalVideoHost`, signs a link to our own
`GET /api/v1/media/stream/{token}`, which streams the asset's stored file from the storage adapter
inline with HTTP Range support; staff put the files there with
`PUT /api/v1/admin/video-assets/{asset_id}` (development and small installations).

In production a real video host replaces it — Vimeo (private videos with domain-restricted
embeds), Cloudflare Stream or Mux (signed playback tokens), AWS CloudFront (signed URLs over
HLS): write a class with the same method that asks the host for a signed, short-lived URL for
`asset_id` and set it on `app.state.video_host` at startup. Lessons keep naming the host's asset
id in `lesson.video_asset_id`; nothing else changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from app.media import links


class VideoHost(Protocol):
    def playback_url(
        self, asset_id: str, member_id: uuid.UUID, now: datetime
    ) -> tuple[str, datetime]: ...


class SignedLocalVideoHost:
    def __init__(self, *, signing_key: str, public_base_url: str, ttl_seconds: int) -> None:
        self._signing_key = signing_key
        self._base = public_base_url.rstrip("/")
        self._ttl_seconds = ttl_seconds

    def playback_url(
        self, asset_id: str, member_id: uuid.UUID, now: datetime
    ) -> tuple[str, datetime]:
        expires_at = links.expiry(now, self._ttl_seconds)
        token = links.issue(
            purpose=links.LinkPurpose.video,
            subject=asset_id,
            member_id=member_id,
            expires_at=expires_at,
            signing_key=self._signing_key,
        )
        return f"{self._base}/api/v1/media/stream/{token}", expires_at
