"""Catalog HTTP API (R-CON-1, R-CON-7, R-CON-8). HTTP only; decisions live in the services.

What a client needs to know:

- The catalog is public (no token): `GET /api/v1/courses` lists published courses and seminars
  in catalog order (staff-set position), paged with `limit`/`cursor`; `q` searches titles,
  summaries and keywords (full-width and half-width input match alike, Japanese substrings
  match, whitespace-separated terms must all match); `kind` and `program` filter.
  `GET /api/v1/courses/{course_id}` or `GET /api/v1/courses/by-slug/{slug}` returns one published
  course with its description and lesson outline. Unpublished courses answer 404.
- The lesson page `GET /api/v1/lessons/{lesson_id}` needs a token and a live entitlement for the
  lesson's course (membership, course or content-set grant): 403 `not-entitled` otherwise, 404
  `lesson-not-found` for an unknown lesson or one of an unpublished course. It gives the
  previous/next lesson ids for navigation and `has_video`; playback URLs, materials and tests
  come from their own endpoints. Staff and admins open every lesson (`is_preview` is true for
  unpublished courses).
- Staff manage the catalog under `/api/v1/admin/courses` and `/api/v1/admin/lessons` (see
  `app.content.admin_router`).
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from app.auth import hot_path
from app.auth.errors import PERSON_AUTH_ERRORS
from app.content import rules, service
from app.content.errors import CourseNotFound, LessonNotFound
from app.content.schemas import CatalogCourse, CourseDetail, LessonPage
from app.db import ReadSession, hot_connection
from app.entitlements.errors import NotEntitled
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.hot_http import JsonAnswer
from app.kit.pagination import Page, PageQuery
from app.kit.problems import problem_responses
from app.models.content import CourseKind, CourseProgram

catalog = APIRouter(tags=["content"])

CATALOG_PAGE_JSON = JsonAnswer(Page[CatalogCourse])
LESSON_PAGE_JSON = JsonAnswer(LessonPage)


def member_problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


@catalog.get(
    "/courses",
    operation_id="content_list_courses",
    summary="List the public catalog",
    description="Public. Published courses and seminars in catalog order (R-CON-7). `q` matches "
    "titles, summaries and keywords after NFKC normalization and lower-casing, so 「ＡＩ」 finds "
    "'AI' and Japanese substrings match; whitespace-separated terms must all match.",
    response_model=Page[CatalogCourse],
    responses=problem_responses(InvalidCursor),
)
async def list_courses(
    request: Request,
    page: PageQuery,
    q: Annotated[
        str | None, Query(max_length=100, description="Search words (title, summary, keywords)")
    ] = None,
    kind: Annotated[CourseKind | None, Query(description="course or seminar")] = None,
    program: CourseProgram | None = None,
) -> Response:
    async with hot_connection(request) as connection:
        courses = await service.catalog_page(
            connection, terms=rules.search_terms(q), kind=kind, program=program, page=page
        )
    return CATALOG_PAGE_JSON.response(courses)


@catalog.get(
    "/courses/by-slug/{slug}",
    operation_id="content_get_course_by_slug",
    summary="Read a published course by its slug",
    description="Public. Title, summary, description and lesson outline (R-CON-7).",
    responses=problem_responses(CourseNotFound),
)
async def get_course_by_slug(
    session: ReadSession, slug: Annotated[str, Path(max_length=100)]
) -> CourseDetail:
    return await service.get_public_course_by_slug(session, slug)


@catalog.get(
    "/courses/{course_id}",
    operation_id="content_get_course",
    summary="Read a published course",
    description="Public. Title, summary, description and lesson outline (R-CON-7); lesson "
    "content needs an entitlement (`GET /lessons/{lesson_id}`).",
    responses=problem_responses(CourseNotFound),
)
async def get_course(session: ReadSession, course_id: uuid.UUID) -> CourseDetail:
    return await service.get_public_course(session, course_id)


@catalog.get(
    "/lessons/{lesson_id}",
    operation_id="content_get_lesson",
    summary="Open a lesson page",
    description="Signed-in. Needs a live entitlement for the lesson's course (R-CON-7): "
    "403 `not-entitled` otherwise. Unknown lessons and lessons of unpublished courses answer "
    "404 `lesson-not-found`; staff and admins preview them. One database round trip.",
    response_model=LessonPage,
    responses=member_problems(LessonNotFound, NotEntitled),
    openapi_extra=hot_path.OPENAPI_BEARER,
)
async def get_lesson(request: Request, lesson_id: uuid.UUID) -> Response:
    # The platform's hottest read: the token verified in memory (`hot_path.authenticate`; the
    # route documents the bearer scheme), one statement on a hot connection checking the login
    # session and the grant, the answer serialized by a serializer built once (app.kit.hot_http;
    # `response_model` documents it).
    caller = await hot_path.authenticate(request)
    async with hot_connection(request) as connection:
        page = await service.get_lesson_page(
            connection,
            lesson_id=lesson_id,
            claims=caller.claims,
            now=caller.now,
            confirm_session=partial(hot_path.confirm, request, caller),
        )
    return LESSON_PAGE_JSON.response(page)
