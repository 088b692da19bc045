"""The catalog: courses and seminars with ordered lessons. R-CON-1, R-CON-7, R-CON-8.

A `Course` is what the catalog lists (コース or セミナー); its `Lesson`s are what a member opens
(video, test, exercise). Titles and descriptions are public once published; everything a lesson
carries (playback, materials, test questions) needs an entitlement (`app.entitlements`).

`program` says which business sells access to the course, so grants and reports can tell a
membership course from a correspondence course; `is_membership_content` says whether the
membership entitlement (R-SUB-10) opens it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model
from app.models.user import _enum


class CourseKind(StrEnum):
    course = "course"  # コース
    seminar = "seminar"  # セミナー


class CourseProgram(StrEnum):
    membership = "membership"  # on-demand courses of the ¥980 membership (seed 000)
    correspondence = "correspondence"  # 通信教育 (seed 001)
    purchase = "purchase"  # sold one-off (R-REF)


class LessonKind(StrEnum):
    video = "video"  # animated lecture with audio
    test = "test"  # self-check quiz (R-PRG-2)
    exercise = "exercise"  # explanation video + materials


class Course(Model):
    __tablename__ = "course"
    __table_args__ = (
        Index("uq_course_slug", "slug", unique=True),
        # The public catalog reads published courses in catalog order (keyset on position, id).
        Index(
            "ix_course_catalog",
            "position",
            "id",
            postgresql_where=text("is_published"),
        ),
    )

    slug: Mapped[str] = mapped_column(String(100))
    kind: Mapped[CourseKind] = mapped_column(_enum(CourseKind, "course_kind"))
    program: Mapped[CourseProgram] = mapped_column(
        _enum(CourseProgram, "course_program"), default=CourseProgram.membership
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    keywords: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # NFKC + lower-case of title, summary and keywords: what catalog search matches against.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    is_membership_content: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    is_published: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    published_at: Mapped[datetime | None]
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Lesson(Model):
    __tablename__ = "lesson"
    __table_args__ = (
        # Ordered lessons; a position is unique inside its course. Deferred to commit so staff
        # can reorder a course's lessons in one statement.
        UniqueConstraint(
            "course_id",
            "position",
            name="uq_lesson_course_id_position",
            deferrable=True,
            initially="DEFERRED",
        ),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds > 0", name="duration_positive"
        ),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[LessonKind] = mapped_column(_enum(LessonKind, "lesson_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Video lessons and exercises: the asset id at the video host and its length.
    video_asset_id: Mapped[str | None] = mapped_column(String(200))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
