"""Staff management of lessons (R-CON-1, R-CON-8): add, edit, delete, reorder.

Positions inside a course are always 0..n-1 without gaps. Every write locks the course row
first, so concurrent lesson writes on one course run one after the other and never collide on
a position; the unique (course_id, position) constraint is DEFERRABLE INITIALLY DEFERRED, so a
shift or a complete reorder is one UPDATE.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import repository, rules
from app.content.admin_schemas import LessonCreate, LessonUpdate
from app.content.errors import (
    CourseNotFound,
    LastLessonOfPublishedCourse,
    LessonInUse,
    LessonInvalid,
    LessonNotFound,
    LessonOrderInvalid,
    LessonPositionOutOfRange,
)
from app.models.content import Course, Lesson


async def _locked_course(session: AsyncSession, course_id: uuid.UUID) -> Course:
    course = await repository.course_for_update(session, course_id)
    if course is None:
        raise CourseNotFound()
    return course


def _check_kind(lesson: Lesson | LessonCreate) -> None:
    problems = rules.lesson_problems(
        kind=lesson.kind,
        video_asset_id=lesson.video_asset_id,
        duration_seconds=lesson.duration_seconds,
    )
    if problems:
        raise LessonInvalid(errors=problems)


async def get_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> Lesson:
    lesson = await session.get(Lesson, lesson_id, populate_existing=True)
    if lesson is None:
        raise LessonNotFound()
    return lesson


async def _lesson_under_lock(session: AsyncSession, lesson_id: uuid.UUID) -> tuple[Course, Lesson]:
    """The lesson and its locked course; the lesson is read again under the lock, since a
    concurrent write may have moved or deleted it meanwhile."""
    course = await _locked_course(session, (await get_lesson(session, lesson_id)).course_id)
    return course, await get_lesson(session, lesson_id)


async def create_lesson(
    session: AsyncSession, *, course_id: uuid.UUID, body: LessonCreate
) -> Lesson:
    await _locked_course(session, course_id)
    _check_kind(body)
    count = await repository.lesson_count(session, course_id)
    position = rules.insertion_position(body.position, count)
    if position is None:
        raise LessonPositionOutOfRange(maximum=count, errors={"body.position": [f"max:{count}"]})
    await repository.shift_lessons(session, course_id=course_id, from_position=position, by=1)
    lesson = Lesson(
        id=uuid.uuid4(),
        course_id=course_id,
        position=position,
        kind=body.kind,
        title=body.title,
        description=body.description,
        video_asset_id=body.video_asset_id,
        duration_seconds=body.duration_seconds,
    )
    session.add(lesson)
    await session.flush()
    await session.refresh(lesson)
    return lesson


async def update_lesson(
    session: AsyncSession, *, lesson_id: uuid.UUID, body: LessonUpdate
) -> Lesson:
    _, lesson = await _lesson_under_lock(session, lesson_id)
    for field in body.model_fields_set:
        setattr(lesson, field, getattr(body, field))
    _check_kind(lesson)
    await session.flush()
    await session.refresh(lesson)
    return lesson


async def delete_lesson(session: AsyncSession, *, lesson_id: uuid.UUID) -> None:
    course, lesson = await _lesson_under_lock(session, lesson_id)
    if course.is_published and await repository.lesson_count(session, course.id) == 1:
        raise LastLessonOfPublishedCourse()
    position = lesson.position
    session.expunge(lesson)
    try:
        async with session.begin_nested():
            await repository.delete_lesson(session, lesson_id)
    except IntegrityError as error:
        # Learning history (another domain) refers to it with ON DELETE RESTRICT.
        raise LessonInUse() from error
    await repository.shift_lessons(session, course_id=course.id, from_position=position + 1, by=-1)


async def reorder_lessons(
    session: AsyncSession, *, course_id: uuid.UUID, lesson_ids: list[uuid.UUID]
) -> list[Lesson]:
    await _locked_course(session, course_id)
    current = await repository.lesson_ids_of_course(session, course_id)
    problems = rules.lesson_order_problems(current, lesson_ids)
    if problems:
        raise LessonOrderInvalid(errors=problems)
    if lesson_ids:
        await repository.set_lesson_order(session, course_id=course_id, lesson_ids=lesson_ids)
    return await repository.lessons_of_course(session, course_id)
