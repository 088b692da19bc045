"""Dependencies of the media routes: the storage adapter, the video host, an optional caller.

The storage and video host are built from settings on first use and kept on `app.state`
(`media_storage`, `video_host`); set either there at startup (or in tests) to replace it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from app.auth.authenticator import Authenticator, Subject
from app.config import Settings
from app.db import DbSession
from app.kit.clock import Now
from app.media.storage import Storage, build_storage
from app.media.video import SignedLocalVideoHost, VideoHost

_any_person = Authenticator()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_storage(request: Request) -> Storage:
    storage: Storage | None = getattr(request.app.state, "media_storage", None)
    if storage is None:
        storage = build_storage(_settings(request))
        request.app.state.media_storage = storage
    return storage


def get_video_host(request: Request) -> VideoHost:
    host: VideoHost | None = getattr(request.app.state, "video_host", None)
    if host is None:
        settings = _settings(request)
        host = SignedLocalVideoHost(
            signing_key=settings.signing_key,
            public_base_url=settings.public_base_url,
            ttl_seconds=settings.media_playback_url_ttl_seconds,
        )
        request.app.state.video_host = host
    return host


async def optional_person(request: Request, session: DbSession, now: Now) -> Subject | None:
    """The signed-in person when the request carries `Authorization: Bearer`, else None.

    Read by hand (not through the security scheme) so the link endpoints stay documented as
    public: a browser following a download link or a `<video src>` sends no header.
    """
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if not scheme:
        return None
    bearer = HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials.strip())
    if scheme.lower() != "bearer":
        bearer = HTTPAuthorizationCredentials(scheme="Bearer", credentials="")
    return await _any_person(request, session, now, bearer, None)


MediaStorage = Annotated[Storage, Depends(get_storage)]
CurrentVideoHost = Annotated[VideoHost, Depends(get_video_host)]
OptionalPerson = Annotated[Subject | None, Depends(optional_person)]
