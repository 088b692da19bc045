"""Staff management of courses (R-CON-8): create, edit, order, publish, unpublish, delete.

- Slugs are unique; a concurrent creation with the same slug loses on the unique index and is
  answered 409 `course-slug-taken` like the sequential case. Slugs do not change (they are URLs).
- Publishing needs at least one lesson; publishing or unpublishing twice changes nothing and is
  audited once (`course.published` / `course.unpublished`). `published_at` is the last
  publication and survives unpublishing, so "never published" is `published_at IS NULL`.
- Only a never-published course with no grants may be deleted: once members could see it,
  grants, progress and orders may refer to it, so staff unpublish it instead.
- Every edit recomputes `search_text` (NFKC + lower-case) so catalog search keeps matching.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.content import repository, rules
from app.content.admin_schemas import CourseCreate, CourseUpdate
from app.content.errors import (
    CourseHasNoLessons,
    CourseInUse,
    CourseNotFound,
    CourseSlugTaken,
    CourseWasPublished,
)
from app.kit.request_context import ClientInfo
from app.models.content import Course, Lesson

SLUG_UNIQUE_INDEX = "uq_course_slug"


def _violated_constraint(error: IntegrityError) -> str | None:
    cause = getattr(error.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None)
    return str(name) if name else None


def _refresh_search_text(course: Course) -> None:
    course.search_text = rules.search_text(
        title=course.title, summary=course.summary, keywords=course.keywords
    )


async def get_course(session: AsyncSession, course_id: uuid.UUID) -> Course:
    course = await session.get(Course, course_id)
    if course is None:
        raise CourseNotFound()
    return course


async def get_course_with_lessons(
    session: AsyncSession, course_id: uuid.UUID
) -> tuple[Course, list[Lesson]]:
    course = await get_course(session, course_id)
    return course, await repository.lessons_of_course(session, course_id)


async def _locked_course(session: AsyncSession, course_id: uuid.UUID) -> Course:
    course = await repository.course_for_update(session, course_id)
    if course is None:
        raise CourseNotFound()
    return course


async def create_course(session: AsyncSession, *, body: CourseCreate) -> Course:
    if await repository.slug_is_taken(session, body.slug):
        raise CourseSlugTaken(slug=body.slug)
    position = body.position
    if position is None:
        position = await repository.next_course_position(session)
    course = Course(
        id=uuid.uuid4(),
        slug=body.slug,
        kind=body.kind,
        program=body.program,
        title=body.title,
        summary=body.summary,
        description=body.description,
        keywords=body.keywords,
        is_membership_content=body.is_membership_content,
        is_published=False,
        position=position,
    )
    _refresh_search_text(course)
    try:
        # A savepoint: a concurrent request may take the slug between the check and here.
        async with session.begin_nested():
            session.add(course)
    except IntegrityError as error:
        if _violated_constraint(error) == SLUG_UNIQUE_INDEX:
            raise CourseSlugTaken(slug=body.slug) from error
        raise
    await session.refresh(course)
    return course


async def update_course(
    session: AsyncSession, *, course_id: uuid.UUID, body: CourseUpdate
) -> Course:
    course = await _locked_course(session, course_id)
    for field in body.model_fields_set:
        setattr(course, field, getattr(body, field))
    _refresh_search_text(course)
    await session.flush()
    await session.refresh(course)
    return course


async def publish_course(
    session: AsyncSession,
    *,
    course_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    now: datetime,
    client: ClientInfo,
) -> Course:
    """R-CON-8. Locks the course, so a lesson cannot be deleted while it is being published."""
    course = await _locked_course(session, course_id)
    if course.is_published:
        return course
    if await repository.lesson_count(session, course_id) == 0:
        raise CourseHasNoLessons()
    course.is_published = True
    course.published_at = now
    await session.flush()
    await record_audit_event(
        session,
        action=AuditAction.course_published,
        now=now,
        actor_user_id=actor_id,
        target_type="course",
        target_id=course.id,
        client=client,
        data={"slug": course.slug, "title": course.title},
    )
    await session.refresh(course)
    return course


async def unpublish_course(
    session: AsyncSession,
    *,
    course_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    now: datetime,
    client: ClientInfo,
) -> Course:
    course = await _locked_course(session, course_id)
    if not course.is_published:
        return course
    course.is_published = False
    await session.flush()
    await record_audit_event(
        session,
        action=AuditAction.course_unpublished,
        now=now,
        actor_user_id=actor_id,
        target_type="course",
        target_id=course.id,
        client=client,
        data={"slug": course.slug, "title": course.title},
    )
    await session.refresh(course)
    return course


async def delete_course(
    session: AsyncSession,
    *,
    course_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    now: datetime,
    client: ClientInfo,
) -> None:
    course = await _locked_course(session, course_id)
    if course.is_published or course.published_at is not None:
        raise CourseWasPublished()
    if await repository.course_has_grants(session, course_id):
        raise CourseInUse()
    snapshot = {"slug": course.slug, "title": course.title}
    try:
        async with session.begin_nested():
            await repository.delete_course(session, course_id)
    except IntegrityError as error:
        # Another domain's row (an order, an enrollment) refers to it with ON DELETE RESTRICT.
        raise CourseInUse() from error
    session.expunge(course)
    await record_audit_event(
        session,
        action=AuditAction.course_deleted,
        now=now,
        actor_user_id=actor_id,
        target_type="course",
        target_id=course_id,
        client=client,
        data=snapshot,
    )
