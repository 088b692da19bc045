"""The staff contract of catalog management (R-CON-1, R-CON-8).

Patches change only the fields sent; a field sent as `null` is refused (none of them is
nullable except a lesson's video fields, which `null` clears).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import Field, StringConstraints, field_validator

from app.kit.schemas import ResponseSchema, Schema
from app.models.content import CourseKind, CourseProgram, LessonKind

Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
    ),
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Keywords = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Description = Annotated[str, StringConstraints(max_length=20_000)]
VideoAssetId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^\S+$")
]
Position = Annotated[int, Field(ge=0, le=1_000_000)]
Duration = Annotated[int, Field(ge=1, le=86_400, description="Length in seconds (1 s – 24 h).")]


class _Patch(Schema):
    """Absent = unchanged; explicit null is refused for fields that cannot be empty."""

    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name not in cls.nullable_fields:
            raise ValueError("must not be null")
        return value


# --- Courses -------------------------------------------------------------------------------------


class CourseCreate(Schema):
    slug: Slug = Field(description="URL name: lower-case letters, digits and hyphens; unique.")
    kind: CourseKind
    program: CourseProgram = CourseProgram.membership
    title: Title
    summary: Summary = ""
    description: Description = ""
    keywords: Keywords = Field(default="", description="Extra search words, space-separated.")
    is_membership_content: bool = True
    position: Position | None = Field(
        default=None, description="Catalog position; appended after the last course if absent."
    )


class CourseUpdate(_Patch):
    title: Title | None = None
    summary: Summary | None = None
    description: Description | None = None
    keywords: Keywords | None = None
    kind: CourseKind | None = None
    program: CourseProgram | None = None
    is_membership_content: bool | None = None
    position: Position | None = None


class AdminLesson(ResponseSchema):
    id: uuid.UUID
    course_id: uuid.UUID
    position: int
    kind: LessonKind
    title: str
    description: str
    video_asset_id: str | None
    duration_seconds: int | None
    created_at: datetime
    updated_at: datetime


class AdminCourseSummary(ResponseSchema):
    id: uuid.UUID
    slug: str
    kind: CourseKind
    program: CourseProgram
    title: str
    summary: str
    keywords: str
    is_membership_content: bool
    is_published: bool
    published_at: datetime | None = Field(
        description="When it was last published; kept when unpublished (null = never published)."
    )
    position: int
    created_at: datetime
    updated_at: datetime


class AdminCourse(AdminCourseSummary):
    description: str
    lessons: list[AdminLesson]


# --- Lessons -------------------------------------------------------------------------------------


class LessonCreate(Schema):
    kind: LessonKind
    title: Title
    description: Description = ""
    video_asset_id: VideoAssetId | None = Field(
        default=None, description="Required for video lessons; optional for exercises."
    )
    duration_seconds: Duration | None = None
    position: Position | None = Field(
        default=None,
        description="0-based; lessons at and after it move down by one. Appended if absent.",
    )


class LessonUpdate(_Patch):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"video_asset_id", "duration_seconds"})

    kind: LessonKind | None = None
    title: Title | None = None
    description: Description | None = None
    video_asset_id: VideoAssetId | None = Field(default=None, description="null clears it.")
    duration_seconds: Duration | None = Field(default=None, description="null clears it.")


class LessonOrder(Schema):
    lesson_ids: list[uuid.UUID] = Field(
        max_length=1000, description="Every lesson id of the course, once each, in the new order."
    )
