"""Staff operations on media: materials, tools, video assets, the download report.
R-CON-2, R-CON-3, R-CON-4, R-CON-8 (tag `admin`, staff and admins).

What a client needs to know:

- Uploads are `multipart/form-data` with one `file` part and text fields (`title`, optional
  `description`, `position`; tools also `category`). The type is decided from the file's
  content, never its name or declared type: materials must be PDF, tools PDF, XLSX, DOCX or
  UTF-8 CSV (415 `unsupported-file-type`; macro-enabled Office files are refused). Files over
  `MANABI_MEDIA_MAX_UPLOAD_BYTES` (default 50 MB) answer 413 `file-too-large`, checked while
  the body streams in. The original file name is kept (sanitised) as the download name.
- `position` is a sort key (ties: creation order); omitted, the item goes last.
- Deleting a material or tool removes it at once; its file is removed from storage by a
  background job after the commit. Material download history stays.
- `PUT /admin/video-assets/{asset_id}` stores a video (MP4 or WebM, checked from the content)
  for the local development video host; `lesson.video_asset_id` names it. A production video
  host (Vimeo, Cloudflare Stream, ...) keeps its own assets and replaces the adapter
  (`app.media.video`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from app.auth.auth import CurrentStaff
from app.auth.errors import PERSON_AUTH_ERRORS
from app.config import Settings
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery, paginate, paginate_as
from app.kit.problems import problem_responses
from app.kit.request_context import Client
from app.media import materials, service, tools, videos
from app.media.deps import MediaStorage
from app.media.errors import (
    FileEmpty,
    FileTooLarge,
    LessonNotFound,
    MaterialNotFound,
    StorageUnavailable,
    ToolNotFound,
    UnsupportedFileType,
)
from app.media.schemas import (
    AdminMaterialDownloadOut,
    AdminMaterialOut,
    AdminToolOut,
    MaterialForm,
    MaterialUpdate,
    ToolForm,
    ToolUpdate,
    VideoAssetOut,
)
from app.media.uploads import parse_fields, receive_body, receive_multipart
from app.models.media import Material, MaterialDownload, Tool, ToolCategory

router = APIRouter(prefix="/admin", tags=["admin"])

ASSET_ID = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$",
        description="The video host's asset id (letters, digits, `-`, `_`).",
    ),
]
_UPLOAD_ERRORS = (FileTooLarge, UnsupportedFileType, FileEmpty, StorageUnavailable)


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def created(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    responses = problems(*errors)
    responses[201] = {
        "description": "Created",
        "headers": {"Location": {"description": "The new resource", "schema": {"type": "string"}}},
    }
    return responses


def _multipart(extra: dict[str, Any], required: list[str]) -> dict[str, Any]:
    properties = {
        "file": {"type": "string", "format": "binary", "description": "The file."},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string", "maxLength": 2000},
        "position": {"type": "integer", "minimum": 0},
        **extra,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "title", *required],
                        "properties": properties,
                    }
                }
            },
        }
    }


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# --- Materials ------------------------------------------------------------------------------------


@router.post(
    "/lessons/{lesson_id}/materials",
    operation_id="admin_upload_material",
    summary="Upload a material (PDF) to a lesson",
    description="Staff. PDF only, checked from the content; at most "
    "`MANABI_MEDIA_MAX_UPLOAD_BYTES` (413). Audited (R-CON-3).",
    status_code=201,
    responses=created(LessonNotFound, *_UPLOAD_ERRORS),
    openapi_extra=_multipart({}, []),
)
async def upload_material(
    lesson_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    storage: MediaStorage,
    request: Request,
    response: Response,
) -> AdminMaterialOut:
    settings = _settings(request)
    async with receive_multipart(request, max_file_bytes=settings.media_max_upload_bytes) as (
        upload,
        fields,
    ):
        form = parse_fields(MaterialForm, fields)
        material = await materials.add_material(
            session,
            storage,
            lesson_id=lesson_id,
            upload=upload,
            form=form,
            actor=subject,
            now=now,
            client=client,
        )
    response.headers["Location"] = request.url_for(
        "admin_get_material", material_id=str(material.id)
    ).path
    return AdminMaterialOut.model_validate(material)


@router.get(
    "/lessons/{lesson_id}/materials",
    operation_id="admin_list_lesson_materials",
    summary="List a lesson's materials",
    description="Staff, any lesson (published or not). In lesson order.",
    responses=problems(LessonNotFound, InvalidCursor),
)
async def list_lesson_materials(
    lesson_id: uuid.UUID, subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[AdminMaterialOut]:
    statement = await materials.staff_lesson_materials(session, lesson_id)
    return await paginate_as(
        AdminMaterialOut,
        session,
        statement,
        order_by=[Material.position, Material.id],
        descending=False,
        params=page,
    )


@router.get(
    "/materials/{material_id}",
    name="admin_get_material",
    operation_id="admin_get_material",
    summary="Read a material",
    description="Staff.",
    responses=problems(MaterialNotFound),
)
async def get_material(
    material_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> AdminMaterialOut:
    return AdminMaterialOut.model_validate(await materials.get_material(session, material_id))


@router.patch(
    "/materials/{material_id}",
    operation_id="admin_update_material",
    summary="Change a material's title, description or position",
    description="Staff. To replace the file, upload a new material and delete this one.",
    responses=problems(MaterialNotFound),
)
async def update_material(
    material_id: uuid.UUID, body: MaterialUpdate, subject: CurrentStaff, session: DbSession
) -> AdminMaterialOut:
    material = await materials.update_material(session, material_id=material_id, changes=body)
    return AdminMaterialOut.model_validate(material)


@router.delete(
    "/materials/{material_id}",
    operation_id="admin_delete_material",
    summary="Delete a material",
    description="Staff. Download history stays; the stored file is removed after commit. Audited.",
    status_code=204,
    responses=problems(MaterialNotFound),
)
async def delete_material(
    material_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now, client: Client
) -> Response:
    await materials.delete_material(
        session, material_id=material_id, actor=subject, now=now, client=client
    )
    return Response(status_code=204)


@router.get(
    "/lessons/{lesson_id}/material-downloads",
    operation_id="admin_list_material_downloads",
    summary="Who downloaded a lesson's materials",
    description="Staff. Newest first (R-CON-3; refunds count these as watched, R-REF).",
    responses=problems(LessonNotFound, InvalidCursor),
)
async def list_material_downloads(
    lesson_id: uuid.UUID, subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[AdminMaterialDownloadOut]:
    statement = await service.lesson_downloads(session, lesson_id)
    return await paginate_as(
        AdminMaterialDownloadOut,
        session,
        statement,
        order_by=[MaterialDownload.downloaded_at, MaterialDownload.id],
        descending=True,
        params=page,
    )


# --- Tools ----------------------------------------------------------------------------------------


@router.post(
    "/tools",
    operation_id="admin_upload_tool",
    summary="Add a tool (template, guide, spreadsheet) to the library",
    description="Staff. PDF, XLSX, DOCX or UTF-8 CSV, checked from the content; at most "
    "`MANABI_MEDIA_MAX_UPLOAD_BYTES` (413). Audited (R-CON-4).",
    status_code=201,
    responses=created(*_UPLOAD_ERRORS),
    openapi_extra=_multipart(
        {"category": {"type": "string", "enum": [c.value for c in ToolCategory]}}, ["category"]
    ),
)
async def upload_tool(
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    storage: MediaStorage,
    request: Request,
    response: Response,
) -> AdminToolOut:
    settings = _settings(request)
    async with receive_multipart(request, max_file_bytes=settings.media_max_upload_bytes) as (
        upload,
        fields,
    ):
        form = parse_fields(ToolForm, fields)
        tool = await tools.add_tool(
            session, storage, upload=upload, form=form, actor=subject, now=now, client=client
        )
    response.headers["Location"] = request.url_for("admin_get_tool", tool_id=str(tool.id)).path
    return AdminToolOut.model_validate(tool).model_copy(update={"downloadable": True})


@router.get(
    "/tools",
    operation_id="admin_list_tools",
    summary="List the tools library",
    description="Staff. In library order.",
    responses=problems(InvalidCursor),
)
async def list_tools(
    subject: CurrentStaff,
    session: DbSession,
    page: PageQuery,
    category: ToolCategory | None = None,
) -> Page[AdminToolOut]:
    items, next_cursor = await paginate(
        session,
        tools.library(category),
        order_by=[Tool.position, Tool.id],
        descending=False,
        params=page,
    )
    return Page[AdminToolOut](
        items=[
            AdminToolOut.model_validate(item).model_copy(update={"downloadable": True})
            for item in items
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/tools/{tool_id}",
    name="admin_get_tool",
    operation_id="admin_get_tool",
    summary="Read a tool",
    description="Staff.",
    responses=problems(ToolNotFound),
)
async def get_tool(tool_id: uuid.UUID, subject: CurrentStaff, session: DbSession) -> AdminToolOut:
    tool = await tools.get_tool(session, tool_id)
    return AdminToolOut.model_validate(tool).model_copy(update={"downloadable": True})


@router.patch(
    "/tools/{tool_id}",
    operation_id="admin_update_tool",
    summary="Change a tool's category, title, description or position",
    description="Staff.",
    responses=problems(ToolNotFound),
)
async def update_tool(
    tool_id: uuid.UUID, body: ToolUpdate, subject: CurrentStaff, session: DbSession
) -> AdminToolOut:
    tool = await tools.update_tool(session, tool_id=tool_id, changes=body)
    return AdminToolOut.model_validate(tool).model_copy(update={"downloadable": True})


@router.delete(
    "/tools/{tool_id}",
    operation_id="admin_delete_tool",
    summary="Delete a tool",
    description="Staff. The stored file is removed after commit. Audited.",
    status_code=204,
    responses=problems(ToolNotFound),
)
async def delete_tool(
    tool_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now, client: Client
) -> Response:
    await tools.delete_tool(session, tool_id=tool_id, actor=subject, now=now, client=client)
    return Response(status_code=204)


# --- Video assets (local video host) --------------------------------------------------------------


@router.put(
    "/video-assets/{asset_id}",
    operation_id="admin_put_video_asset",
    summary="Upload a video file for the local video host",
    description="Staff. The body is the file itself (MP4 or WebM, checked from the content; "
    "at most `MANABI_MEDIA_MAX_VIDEO_BYTES`). 201 when new, 200 when replaced. Development and "
    "small installations; a production video host keeps its own assets (R-CON-2).",
    responses={
        200: {"description": "Replaced"},
        201: {"description": "Created"},
        **problems(*_UPLOAD_ERRORS),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "video/mp4": {"schema": {"type": "string", "format": "binary"}},
                "video/webm": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def put_video_asset(
    asset_id: ASSET_ID,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    storage: MediaStorage,
    request: Request,
    response: Response,
) -> VideoAssetOut:
    async with receive_body(request, max_bytes=_settings(request).media_max_video_bytes) as upload:
        asset, created_now = await videos.put_video_asset(
            session,
            storage,
            asset_id=asset_id,
            upload=upload,
            actor=subject,
            now=now,
            client=client,
        )
    response.status_code = 201 if created_now else 200
    return VideoAssetOut.model_validate(asset)
