"""The public contract of the catalog and the member lesson page (R-CON-1, R-CON-7).

Public shapes carry titles, descriptions and the lesson outline only: no video asset ids, no
materials, nothing a member needs an entitlement for.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from app.kit.schemas import ResponseSchema
from app.models.content import CourseKind, CourseProgram, LessonKind


class CatalogCourse(ResponseSchema):
    """One course or seminar in the public catalog."""

    id: uuid.UUID
    slug: str
    kind: CourseKind = Field(description="`course` (コース) or `seminar` (セミナー).")
    program: CourseProgram = Field(description="Which business sells access to it.")
    title: str
    summary: str
    is_membership_content: bool = Field(description="Opened by the monthly membership.")
    published_at: datetime | None


class LessonOutline(ResponseSchema):
    id: uuid.UUID
    position: int = Field(description="0-based order inside the course.")
    kind: LessonKind = Field(description="`video`, `test` (self-check quiz) or `exercise`.")
    title: str
    duration_seconds: int | None


class CourseDetail(CatalogCourse):
    """A published course with its description and lesson outline (public, R-CON-7)."""

    description: str
    lessons: list[LessonOutline]


class LessonPage(ResponseSchema):
    """What a member sees on a lesson page (R-CON-7: needs a live entitlement)."""

    id: uuid.UUID
    course_id: uuid.UUID
    course_title: str
    course_slug: str
    position: int
    kind: LessonKind
    title: str
    description: str
    duration_seconds: int | None
    has_video: bool = Field(
        description="True when the lesson has a video: ask the media API for a playback URL."
    )
    previous_lesson_id: uuid.UUID | None = Field(description="Null on the first lesson.")
    next_lesson_id: uuid.UUID | None = Field(description="Null on the last lesson.")
    is_preview: bool = Field(
        description="True when staff open a lesson of an unpublished course (preview)."
    )
