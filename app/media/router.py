"""Member-facing media: lesson materials, the tools library, downloads and video playback.
R-CON-2, R-CON-3, R-CON-4 (tag `media`).

What a client needs to know:

- **Materials** (教材, PDF): `GET /lessons/{id}/materials` lists a lesson's materials for a member
  entitled to its course (403 `not-entitled` otherwise; 404 `lesson-not-found` for unknown or
  unpublished lessons). `POST /materials/{id}/download-link` answers `{url, expires_at}`; open the
  URL before `expires_at` (5 minutes by default) — no Authorization header is needed. Every
  download is recorded (`GET /me/material-downloads`); downloading a lesson's material counts as
  watching that lecture for refunds (R-REF).
- **Tools** (管理改善ツール: PDF, Excel, Word, CSV): any signed-in person may list the library
  (titles are catalog information, R-CON-7); `downloadable` says whether the caller may
  download, which needs a live membership (403 `membership-required`).
- **Videos stream only** (R-CON-2): `POST /lessons/{id}/playback` answers a playback URL valid
  for 10 minutes by default; use it as the `<video src>` (inline, HTTP Range supported, never a
  download). When it expires (410 `link-expired`), ask for a new one and resume from the kept
  position.
- **Links are bound to the member** they were issued to: that member's access is checked again
  when the link is used, the download is recorded for them, and a request that carries an
  Authorization header of a different member is refused (403 `link-not-yours`). Links that
  were altered in any way are refused (403 `link-invalid`).
- With S3 storage, download links point straight at the bucket (presigned); with local storage
  at `GET /files/{token}` here.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import StreamingResponse

from app.auth.auth import CurrentUser
from app.auth.errors import PERSON_AUTH_ERRORS, AccountNotActive, InvalidAccessToken
from app.config import Settings
from app.db import DbSession
from app.entitlements.errors import MembershipRequired, NotEntitled
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery, paginate, paginate_as
from app.kit.problems import problem_responses
from app.media import delivery, materials, service, tools
from app.media.delivery import Delivery
from app.media.deps import CurrentVideoHost, MediaStorage, OptionalPerson
from app.media.errors import (
    LessonHasNoVideo,
    LessonNotFound,
    LinkExpired,
    LinkInvalid,
    LinkNotYours,
    MaterialNotFound,
    RangeNotSatisfiable,
    StorageUnavailable,
    StoredFileMissing,
    ToolNotFound,
    VideoAssetNotFound,
)
from app.media.rules import content_disposition
from app.media.schemas import MaterialDownloadOut, MaterialOut, SignedLink, ToolOut
from app.models.media import Material, MaterialDownload, Tool, ToolCategory

router = APIRouter(tags=["media"])

TOKEN = Annotated[str, Path(max_length=512, description="The token of a signed link.")]


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# --- Materials ------------------------------------------------------------------------------------


@router.get(
    "/lessons/{lesson_id}/materials",
    operation_id="media_list_lesson_materials",
    summary="List a lesson's materials (教材)",
    description="Members entitled to the lesson's course (R-CON-3, R-CON-7). In lesson order.",
    responses=problems(LessonNotFound, NotEntitled, InvalidCursor),
)
async def list_lesson_materials(
    lesson_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now, page: PageQuery
) -> Page[MaterialOut]:
    statement = await materials.member_lesson_materials(
        session, lesson_id=lesson_id, subject=subject, now=now
    )
    return await paginate_as(
        MaterialOut,
        session,
        statement,
        order_by=[Material.position, Material.id],
        descending=False,
        params=page,
    )


@router.post(
    "/materials/{material_id}/download-link",
    operation_id="media_create_material_download_link",
    summary="Get a short-lived download link for a material",
    description="Members entitled to the course (R-CON-3). The link works until `expires_at` "
    "(exclusive; `MANABI_MEDIA_DOWNLOAD_LINK_TTL_SECONDS`, default 300) for this member only. "
    "The download is recorded when the file is served (or, with S3 storage, now).",
    responses=problems(MaterialNotFound, NotEntitled, StorageUnavailable),
)
async def create_material_download_link(
    material_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    storage: MediaStorage,
    request: Request,
) -> SignedLink:
    return await materials.material_download_link(
        session, storage, _settings(request), material_id=material_id, subject=subject, now=now
    )


@router.get(
    "/me/material-downloads",
    operation_id="media_list_my_material_downloads",
    summary="My material downloads",
    description="The caller's own download history, newest first (R-CON-3).",
    responses=problems(InvalidCursor),
)
async def list_my_material_downloads(
    subject: CurrentUser,
    session: DbSession,
    page: PageQuery,
    course_id: uuid.UUID | None = None,
) -> Page[MaterialDownloadOut]:
    statement = service.member_downloads(subject.require_user().id, course_id)
    return await paginate_as(
        MaterialDownloadOut,
        session,
        statement,
        order_by=[MaterialDownload.downloaded_at, MaterialDownload.id],
        descending=True,
        params=page,
    )


# --- Tools ----------------------------------------------------------------------------------------


@router.get(
    "/tools",
    operation_id="media_list_tools",
    summary="List the tools library (管理改善ツール)",
    description="Any signed-in person (titles are catalog information, R-CON-7); "
    "`downloadable` is true with a live membership (R-CON-4). In library order.",
    responses=problems(InvalidCursor),
)
async def list_tools(
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    page: PageQuery,
    category: ToolCategory | None = None,
) -> Page[ToolOut]:
    downloadable = await tools.may_download_tools(session, subject=subject, now=now)
    items, next_cursor = await paginate(
        session,
        tools.library(category),
        order_by=[Tool.position, Tool.id],
        descending=False,
        params=page,
    )
    return Page[ToolOut](
        items=[
            ToolOut.model_validate(item).model_copy(update={"downloadable": downloadable})
            for item in items
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/tools/{tool_id}/download-link",
    operation_id="media_create_tool_download_link",
    summary="Get a short-lived download link for a tool",
    description="Members with a live membership (R-CON-4). Same link rules as materials.",
    responses=problems(ToolNotFound, MembershipRequired, StorageUnavailable),
)
async def create_tool_download_link(
    tool_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    storage: MediaStorage,
    request: Request,
) -> SignedLink:
    return await tools.tool_download_link(
        session, storage, _settings(request), tool_id=tool_id, subject=subject, now=now
    )


# --- Signed links (public: the token authenticates) ---------------------------------------------

_LINK_ERRORS = (
    LinkInvalid,
    LinkExpired,
    LinkNotYours,
    InvalidAccessToken,
    AccountNotActive,
    StoredFileMissing,
    StorageUnavailable,
)


@router.get(
    "/files/{token}",
    operation_id="media_download_file",
    summary="Download a material or tool through a signed link",
    description="The URL a download link gives (local storage). No Authorization header is "
    "needed; when one is sent it must be the member the link was issued to. Answers the whole "
    "file as an attachment; every served material download is recorded (R-CON-3, R-CON-4).",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        **problem_responses(
            *_LINK_ERRORS, MaterialNotFound, ToolNotFound, NotEntitled, MembershipRequired
        ),
    },
)
async def download_file(
    token: TOKEN,
    session: DbSession,
    now: Now,
    storage: MediaStorage,
    caller: OptionalPerson,
    request: Request,
) -> Response:
    served = await delivery.serve_file(
        session,
        storage,
        token=token,
        caller=caller,
        now=now,
        signing_key=_settings(request).signing_key,
    )
    return _stream(served, disposition="attachment")


@router.post(
    "/lessons/{lesson_id}/playback",
    operation_id="media_create_playback_url",
    summary="Get a short-lived playback URL for a lesson's video",
    description="Video and exercise lessons, members entitled to the course (R-CON-2, "
    "R-CON-7). Stream only: the URL plays inline and expires (default 10 minutes); ask again "
    "when it does. A test lesson has no video (409 `lesson-has-no-video`).",
    responses=problems(LessonNotFound, NotEntitled, LessonHasNoVideo),
)
async def create_playback_url(
    lesson_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    video_host: CurrentVideoHost,
) -> SignedLink:
    return await delivery.playback_link(
        session, video_host, lesson_id=lesson_id, subject=subject, now=now
    )


@router.get(
    "/media/stream/{token}",
    operation_id="media_stream_video",
    summary="Stream a video through a playback URL",
    description="The URL a playback link gives (local video host). Inline only, never an "
    "attachment; `Range: bytes=…` answers 206 with `Content-Range` (416 when unsatisfiable); "
    "`Cache-Control: no-store` (R-CON-2).",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"video/mp4": {}, "video/webm": {}}, "description": "The video"},
        206: {"description": "The requested byte range"},
        **problem_responses(*_LINK_ERRORS, VideoAssetNotFound, RangeNotSatisfiable),
    },
)
async def stream_video(
    token: TOKEN,
    session: DbSession,
    now: Now,
    storage: MediaStorage,
    caller: OptionalPerson,
    request: Request,
) -> Response:
    served = await delivery.serve_video(
        session,
        storage,
        token=token,
        range_header=request.headers.get("range"),
        caller=caller,
        now=now,
        signing_key=_settings(request).signing_key,
    )
    return _stream(served, disposition="inline")


def _stream(served: Delivery, *, disposition: str) -> StreamingResponse:
    headers = {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": content_disposition(
            "attachment" if disposition == "attachment" else "inline",
            served.filename if disposition == "attachment" else None,
        ),
    }
    status = 200
    length = served.size
    # Videos seek with ranges; a download is whole (one request, one recorded download).
    headers["Accept-Ranges"] = "bytes" if disposition == "inline" else "none"
    if served.byte_range is not None:
        status = 206
        length = served.byte_range.length
        headers["Content-Range"] = served.byte_range.content_range(served.size)
    headers["Content-Length"] = str(length)
    return StreamingResponse(
        served.stream, status_code=status, media_type=served.content_type, headers=headers
    )
