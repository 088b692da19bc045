"""The public contract of the media domain (R-CON-2, R-CON-3, R-CON-4)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.models.media import FileKind, ToolCategory

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Position = Annotated[int, Field(ge=0, le=100_000)]


# --- Upload forms (multipart text fields) and updates -------------------------------------------


class MaterialForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Title
    description: Description = ""
    position: Position | None = Field(
        default=None, description="Sort key in the lesson's materials tab; default: last."
    )


class ToolForm(MaterialForm):
    category: ToolCategory


class _Update(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    position: Position | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        if isinstance(value, dict):
            nulls = [key for key, item in value.items() if item is None]
            if nulls:
                raise ValueError(f"{', '.join(nulls)} may be omitted but not null")
        return value


class MaterialUpdate(_Update):
    pass


class ToolUpdate(_Update):
    category: ToolCategory | None = None


# --- Responses --------------------------------------------------------------------------------


class _FileInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    filename: str = Field(description="The name the download is offered under.")
    file_kind: FileKind = Field(description="Decided from the content at upload.")
    content_type: str
    size_bytes: int


class MaterialOut(_FileInfo):
    id: uuid.UUID
    lesson_id: uuid.UUID
    title: str
    description: str
    position: int
    updated_at: datetime


class AdminMaterialOut(MaterialOut):
    sha256: str
    uploaded_by_user_id: uuid.UUID | None
    created_at: datetime


class ToolOut(_FileInfo):
    id: uuid.UUID
    category: ToolCategory
    title: str
    description: str
    position: int
    updated_at: datetime
    downloadable: bool = Field(
        default=False,
        description="Whether the caller may download it now (a live membership, R-CON-4).",
    )


class AdminToolOut(ToolOut):
    sha256: str
    uploaded_by_user_id: uuid.UUID | None
    created_at: datetime


class SignedLink(BaseModel):
    url: str = Field(
        description="Open this URL (no Authorization header needed) before expires_at."
    )
    expires_at: datetime = Field(description="The URL stops working at this instant (exclusive).")


class MaterialDownloadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    material_id: uuid.UUID | None = Field(description="Null when the material was deleted since.")
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    filename: str
    downloaded_at: datetime


class AdminMaterialDownloadOut(MaterialDownloadOut):
    user_id: uuid.UUID


class VideoAssetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    asset_id: str
    content_type: str
    size_bytes: int
    sha256: str
    updated_at: datetime
