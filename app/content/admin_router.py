"""Staff catalog management (R-CON-1, R-CON-8). HTTP only; `CurrentStaff` on every operation.

What a client needs to know:

- Courses: create (201 + Location; a taken slug is 409 `course-slug-taken`), list (unpublished
  too; filters and `q` as in the public catalog), read (with every lesson), patch (only the
  fields sent), publish / unpublish (idempotent; publishing needs a lesson: 409
  `course-has-no-lessons`; both audited), delete (only a course never published and without
  grants: 409 `course-was-published` / `course-in-use`).
- Lessons: positions are 0..n-1. Create appends, or inserts at `position` and moves the others
  down; delete closes the gap; `PUT /admin/courses/{id}/lesson-order` takes every lesson id of
  the course once in the new order (anything else: 400 `lesson-order-invalid` with `errors`).
  Video lessons need `video_asset_id` and `duration_seconds`; exercises may have both or
  neither; tests have no video (400 `lesson-invalid`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.auth.auth import CurrentStaff
from app.auth.errors import PERSON_AUTH_ERRORS
from app.content import courses_admin, lessons_admin, repository, rules
from app.content.admin_schemas import (
    AdminCourse,
    AdminCourseSummary,
    AdminLesson,
    CourseCreate,
    CourseUpdate,
    LessonCreate,
    LessonOrder,
    LessonUpdate,
)
from app.content.errors import (
    CourseHasNoLessons,
    CourseInUse,
    CourseNotFound,
    CourseSlugTaken,
    CourseWasPublished,
    LastLessonOfPublishedCourse,
    LessonInUse,
    LessonInvalid,
    LessonNotFound,
    LessonOrderInvalid,
    LessonPositionOutOfRange,
)
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery, paginate_as
from app.kit.problems import problem_responses
from app.kit.request_context import Client
from app.models.content import Course, CourseKind, CourseProgram, Lesson

admin = APIRouter(prefix="/admin", tags=["admin"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def created(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    responses = problems(*errors)
    responses[201] = {
        "description": "Created",
        "headers": {"Location": {"description": "The new resource", "schema": {"type": "string"}}},
    }
    return responses


def _admin_course(course: Course, lessons: list[Lesson]) -> AdminCourse:
    summary = AdminCourseSummary.model_validate(course).model_dump()
    return AdminCourse.model_validate(
        {
            **summary,
            "description": course.description,
            "lessons": [AdminLesson.model_validate(lesson) for lesson in lessons],
        }
    )


# --- Courses -------------------------------------------------------------------------------------


@admin.get(
    "/courses",
    operation_id="admin_list_courses",
    summary="List courses, published or not",
    description="Staff. Catalog order (position, id). Filters as in the public catalog, plus "
    "`is_published` (R-CON-8).",
    responses=problems(InvalidCursor),
)
async def list_courses(
    subject: CurrentStaff,
    session: DbSession,
    page: PageQuery,
    q: Annotated[str | None, Query(max_length=100)] = None,
    kind: CourseKind | None = None,
    program: CourseProgram | None = None,
    is_published: bool | None = None,
) -> Page[AdminCourseSummary]:
    statement = repository.courses_statement(
        published_only=False,
        terms=rules.search_terms(q),
        kind=kind,
        program=program,
        is_published=is_published,
    )
    return await paginate_as(
        AdminCourseSummary,
        session,
        statement,
        order_by=repository.CATALOG_ORDER,
        descending=False,
        params=page,
    )


@admin.post(
    "/courses",
    operation_id="admin_create_course",
    summary="Create a course or seminar (unpublished)",
    description="Staff. The slug is unique (409 `course-slug-taken`); the course starts "
    "unpublished and is appended to the catalog unless `position` is given (R-CON-8).",
    status_code=201,
    responses=created(CourseSlugTaken),
)
async def create_course(
    body: CourseCreate,
    subject: CurrentStaff,
    session: DbSession,
    request: Request,
    response: Response,
) -> AdminCourse:
    course = await courses_admin.create_course(session, body=body)
    response.headers["Location"] = request.url_for(
        "admin_get_course", course_id=str(course.id)
    ).path
    return _admin_course(course, [])


@admin.get(
    "/courses/{course_id}",
    operation_id="admin_get_course",
    name="admin_get_course",
    summary="Read a course with all its lessons",
    description="Staff (R-CON-8).",
    responses=problems(CourseNotFound),
)
async def get_course(
    course_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> AdminCourse:
    course, lessons = await courses_admin.get_course_with_lessons(session, course_id)
    return _admin_course(course, lessons)


@admin.patch(
    "/courses/{course_id}",
    operation_id="admin_update_course",
    summary="Edit a course",
    description="Staff. Only the fields sent change; search text is recomputed (R-CON-8).",
    responses=problems(CourseNotFound),
)
async def update_course(
    course_id: uuid.UUID, body: CourseUpdate, subject: CurrentStaff, session: DbSession
) -> AdminCourse:
    course = await courses_admin.update_course(session, course_id=course_id, body=body)
    return _admin_course(course, await repository.lessons_of_course(session, course_id))


@admin.post(
    "/courses/{course_id}/publish",
    operation_id="admin_publish_course",
    summary="Publish a course",
    description="Staff. Needs at least one lesson (409 `course-has-no-lessons`). Idempotent; "
    "audited as `course.published` (R-CON-8).",
    responses=problems(CourseNotFound, CourseHasNoLessons),
)
async def publish_course(
    course_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now, client: Client
) -> AdminCourse:
    course = await courses_admin.publish_course(
        session, course_id=course_id, actor_id=subject.user_id, now=now, client=client
    )
    return _admin_course(course, await repository.lessons_of_course(session, course_id))


@admin.post(
    "/courses/{course_id}/unpublish",
    operation_id="admin_unpublish_course",
    summary="Unpublish a course",
    description="Staff. Hidden from the catalog at once; members' lesson pages answer 404. "
    "Idempotent; audited as `course.unpublished` (R-CON-8).",
    responses=problems(CourseNotFound),
)
async def unpublish_course(
    course_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now, client: Client
) -> AdminCourse:
    course = await courses_admin.unpublish_course(
        session, course_id=course_id, actor_id=subject.user_id, now=now, client=client
    )
    return _admin_course(course, await repository.lessons_of_course(session, course_id))


@admin.delete(
    "/courses/{course_id}",
    operation_id="admin_delete_course",
    summary="Delete a course that was never published",
    description="Staff. Refused once the course has been published (409 `course-was-published`: "
    "unpublish it instead) or while grants refer to it (409 `course-in-use`). Audited.",
    status_code=204,
    responses=problems(CourseNotFound, CourseWasPublished, CourseInUse),
)
async def delete_course(
    course_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now, client: Client
) -> Response:
    await courses_admin.delete_course(
        session, course_id=course_id, actor_id=subject.user_id, now=now, client=client
    )
    return Response(status_code=204)


# --- Lessons -------------------------------------------------------------------------------------


@admin.post(
    "/courses/{course_id}/lessons",
    operation_id="admin_create_lesson",
    summary="Add a lesson to a course",
    description="Staff. Appended, or inserted at `position` (0..n) moving later lessons down. "
    "Video lessons need `video_asset_id` and `duration_seconds` (R-CON-1, R-CON-8).",
    status_code=201,
    responses=created(CourseNotFound, LessonInvalid, LessonPositionOutOfRange),
)
async def create_lesson(
    course_id: uuid.UUID,
    body: LessonCreate,
    subject: CurrentStaff,
    session: DbSession,
    request: Request,
    response: Response,
) -> AdminLesson:
    lesson = await lessons_admin.create_lesson(session, course_id=course_id, body=body)
    response.headers["Location"] = request.url_for(
        "admin_get_lesson", lesson_id=str(lesson.id)
    ).path
    return AdminLesson.model_validate(lesson)


@admin.put(
    "/courses/{course_id}/lesson-order",
    operation_id="admin_reorder_lessons",
    summary="Reorder a course's lessons",
    description="Staff. `lesson_ids` lists every lesson of the course exactly once, in the new "
    "order; anything else is 400 `lesson-order-invalid` (R-CON-8).",
    responses=problems(CourseNotFound, LessonOrderInvalid),
)
async def reorder_lessons(
    course_id: uuid.UUID, body: LessonOrder, subject: CurrentStaff, session: DbSession
) -> list[AdminLesson]:
    lessons = await lessons_admin.reorder_lessons(
        session, course_id=course_id, lesson_ids=body.lesson_ids
    )
    return [AdminLesson.model_validate(lesson) for lesson in lessons]


@admin.get(
    "/lessons/{lesson_id}",
    operation_id="admin_get_lesson",
    name="admin_get_lesson",
    summary="Read a lesson",
    description="Staff.",
    responses=problems(LessonNotFound),
)
async def get_lesson(
    lesson_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> AdminLesson:
    return AdminLesson.model_validate(await lessons_admin.get_lesson(session, lesson_id))


@admin.patch(
    "/lessons/{lesson_id}",
    operation_id="admin_update_lesson",
    summary="Edit a lesson",
    description="Staff. Only the fields sent change; the result must still fit its kind "
    "(R-CON-1). Use the lesson-order operation to move it.",
    responses=problems(LessonNotFound, LessonInvalid),
)
async def update_lesson(
    lesson_id: uuid.UUID, body: LessonUpdate, subject: CurrentStaff, session: DbSession
) -> AdminLesson:
    lesson = await lessons_admin.update_lesson(session, lesson_id=lesson_id, body=body)
    return AdminLesson.model_validate(lesson)


@admin.delete(
    "/lessons/{lesson_id}",
    operation_id="admin_delete_lesson",
    summary="Delete a lesson",
    description="Staff. Later lessons move up. A published course keeps at least one lesson "
    "(409 `last-lesson-of-published-course`); a lesson with learning history is kept (409 "
    "`lesson-in-use`).",
    status_code=204,
    responses=problems(LessonNotFound, LastLessonOfPublishedCourse, LessonInUse),
)
async def delete_lesson(
    lesson_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> Response:
    await lessons_admin.delete_lesson(session, lesson_id=lesson_id)
    return Response(status_code=204)
