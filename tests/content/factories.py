"""Catalog test data and helpers (R-CON-1, R-CON-7, R-CON-8): real rows, no mocks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.content.rules import search_text
from app.models import (
    AuditEvent,
    ContentSet,
    ContentSetCourse,
    Course,
    CourseKind,
    CourseProgram,
    EntitlementGrant,
    Lesson,
    LessonKind,
    Role,
    User,
)
from tests.factories import bearer_for, make_user

API = "/api/v1"

COUNTED = (Course, Lesson, ContentSet, ContentSetCourse, EntitlementGrant, AuditEvent)


async def person(
    session: AsyncSession, settings: Settings, role: Role = Role.member, now: datetime | None = None
) -> tuple[User, dict[str, str]]:
    user = await make_user(session, role=role)
    return user, await bearer_for(session, user, settings, now=now)


async def make_catalog_course(
    session: AsyncSession,
    *,
    title: str = "労務管理の基礎",
    summary: str = "",
    keywords: str = "",
    kind: CourseKind = CourseKind.course,
    program: CourseProgram = CourseProgram.membership,
    is_membership_content: bool = True,
    is_published: bool = True,
    position: int = 0,
    lessons: int = 0,
    slug: str | None = None,
) -> Course:
    """A course whose `search_text` is computed as the service computes it."""
    course = Course(
        id=uuid.uuid4(),
        slug=slug or f"course-{uuid.uuid4().hex[:12]}",
        kind=kind,
        program=program,
        title=title,
        summary=summary,
        description=f"{title}の説明",
        keywords=keywords,
        search_text=search_text(title=title, summary=summary, keywords=keywords),
        is_membership_content=is_membership_content,
        is_published=is_published,
        published_at=datetime.now(UTC) if is_published else None,
        position=position,
    )
    session.add(course)
    await session.flush()
    for index in range(lessons):
        await make_lesson(session, course, position=index)
    return course


async def make_lesson(
    session: AsyncSession,
    course: Course,
    *,
    position: int,
    kind: LessonKind = LessonKind.video,
    title: str | None = None,
) -> Lesson:
    is_video = kind is LessonKind.video
    lesson = Lesson(
        id=uuid.uuid4(),
        course_id=course.id,
        position=position,
        kind=kind,
        title=title or f"第{position + 1}回",
        description="レッスンの説明",
        video_asset_id=f"asset-{uuid.uuid4().hex[:8]}" if is_video else None,
        duration_seconds=600 if is_video else None,
    )
    session.add(lesson)
    await session.flush()
    return lesson


async def make_content_set(
    session: AsyncSession, courses: list[Course], code: str | None = None
) -> ContentSet:
    content_set = ContentSet(
        id=uuid.uuid4(), code=code or f"set-{uuid.uuid4().hex[:8]}", title="法人プラン"
    )
    session.add(content_set)
    await session.flush()
    for course in courses:
        session.add(ContentSetCourse(content_set_id=content_set.id, course_id=course.id))
    await session.flush()
    return content_set


async def counts(session: AsyncSession) -> dict[str, int]:
    """Row counts of every catalog/entitlement table: a refused request changes none."""
    result = {}
    for model in COUNTED:
        result[model.__tablename__] = int(
            await session.scalar(select(func.count()).select_from(model)) or 0
        )
    return result


async def lesson_positions(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    """Lesson ids in position order, asserting positions are exactly 0..n-1."""
    rows = (
        await session.execute(
            select(Lesson.id, Lesson.position)
            .where(Lesson.course_id == course_id)
            .order_by(Lesson.position)
        )
    ).all()
    assert [row.position for row in rows] == list(range(len(rows)))
    return [row.id for row in rows]
