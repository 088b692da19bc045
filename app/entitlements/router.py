"""Entitlement HTTP API (R-CON-7): staff grants and revocations, content sets, a member's own
entitlements. HTTP only; decisions live in `service` and `content_sets`.

What a client needs to know:

- `GET /api/v1/me/entitlements` (signed-in): the caller's own live grants — scope, the course or
  content set each opens (with its title), where it came from and when it ends — and
  `has_membership`. Never anyone else's.
- Staff (`/api/v1/admin/...`): `POST /entitlement-grants` grants by hand (`source=staff`, a
  `reason` is required, audited `entitlement.granted`; `valid_from` defaults to now; the window
  is `[valid_from, valid_until)`); `POST /entitlement-grants/{id}/revoke` takes it back now
  (audited `entitlement.revoked`; a second revocation is 409
  `entitlement-grant-already-revoked`); `GET /users/{user_id}/entitlement-grants` lists the
  user's whole history, newest first, paged.
- Content sets (`/api/v1/admin/content-sets`): a unique `code` (409 `content-set-code-taken`),
  a title, a description and a course list that `PUT .../courses` replaces as a whole. A set
  that grants refer to cannot be deleted (409 `content-set-in-use`).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from app.auth.auth import CurrentStaff, CurrentUser
from app.auth.errors import PERSON_AUTH_ERRORS, UserNotFound
from app.content.errors import CourseNotFound
from app.db import DbSession
from app.entitlements import content_sets, repository, service
from app.entitlements.errors import (
    ContentSetCodeTaken,
    ContentSetCoursesUnknown,
    ContentSetInUse,
    ContentSetNotFound,
    GrantAlreadyRevoked,
    GrantNotFound,
    GrantTargetInvalid,
    GrantWindowInvalid,
)
from app.entitlements.repository import AnyRow
from app.entitlements.schemas import (
    AdminGrant,
    ContentSetCourse,
    ContentSetCourses,
    ContentSetCreate,
    ContentSetOut,
    ContentSetSummary,
    ContentSetUpdate,
    GrantCreate,
    GrantRevoke,
    MyEntitlement,
    MyEntitlements,
)
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery, paginate_as
from app.kit.problems import problem_responses
from app.kit.request_context import Client
from app.models.entitlement import ContentSet, EntitlementGrant, GrantScope

admin = APIRouter(prefix="/admin", tags=["admin"])
me = APIRouter(prefix="/me", tags=["content"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def created(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    responses = problems(*errors)
    responses[201] = {
        "description": "Created",
        "headers": {"Location": {"description": "The new resource", "schema": {"type": "string"}}},
    }
    return responses


# --- Member ------------------------------------------------------------------------------------


@me.get(
    "/entitlements",
    operation_id="content_list_my_entitlements",
    summary="My live entitlements",
    description="Signed-in. The caller's own live grants and what each opens (R-CON-7). "
    "Not paged: a member holds a handful of live grants.",
    responses=problems(),
)
async def list_my_entitlements(
    subject: CurrentUser, session: DbSession, now: Now
) -> MyEntitlements:
    user = subject.require_user()
    rows = await repository.live_grants_with_titles(session, user.id, now)
    items = [MyEntitlement.model_validate(row._asdict()) for row in rows]
    return MyEntitlements(
        has_membership=any(item.scope is GrantScope.membership for item in items), items=items
    )


# --- Staff: grants -------------------------------------------------------------------------------


@admin.post(
    "/entitlement-grants",
    operation_id="admin_create_entitlement_grant",
    summary="Grant access by hand",
    description="Staff. `source=staff`; `reason` is required; audited as `entitlement.granted` "
    "(R-CON-7, R-ID-12). The window is `[valid_from, valid_until)`; `valid_from` defaults to now.",
    status_code=201,
    responses=created(
        GrantTargetInvalid, GrantWindowInvalid, UserNotFound, CourseNotFound, ContentSetNotFound
    ),
)
async def create_grant(
    body: GrantCreate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    request: Request,
    response: Response,
) -> AdminGrant:
    row = await service.grant_by_staff(
        session,
        actor_id=subject.user_id,
        user_id=body.user_id,
        scope=body.scope,
        course_id=body.course_id,
        content_set_id=body.content_set_id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        reason=body.reason,
        now=now,
        client=client,
    )
    response.headers["Location"] = request.url_for(
        "admin_get_entitlement_grant", grant_id=str(row.id)
    ).path
    return AdminGrant.model_validate(row)


@admin.get(
    "/entitlement-grants/{grant_id}",
    operation_id="admin_get_entitlement_grant",
    name="admin_get_entitlement_grant",
    summary="Read an entitlement grant",
    description="Staff (R-CON-7).",
    responses=problems(GrantNotFound),
)
async def get_grant(grant_id: uuid.UUID, subject: CurrentStaff, session: DbSession) -> AdminGrant:
    return AdminGrant.model_validate(await service.get_grant(session, grant_id))


@admin.post(
    "/entitlement-grants/{grant_id}/revoke",
    operation_id="admin_revoke_entitlement_grant",
    summary="Revoke an entitlement grant",
    description="Staff. Access ends now; the row stays as history. Audited as "
    "`entitlement.revoked`; a grant is revoked once (409 `entitlement-grant-already-revoked`).",
    responses=problems(GrantNotFound, GrantAlreadyRevoked),
)
async def revoke_grant(
    grant_id: uuid.UUID,
    body: GrantRevoke,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
) -> AdminGrant:
    row = await service.revoke(
        session,
        grant_id=grant_id,
        reason=body.reason,
        actor_id=subject.user_id,
        now=now,
        client=client,
    )
    return AdminGrant.model_validate(row)


@admin.get(
    "/users/{user_id}/entitlement-grants",
    operation_id="admin_list_user_entitlement_grants",
    summary="A user's entitlement grants, whole history",
    description="Staff. Live, ended and revoked grants of every source, newest first (R-CON-7).",
    responses=problems(UserNotFound, InvalidCursor),
)
async def list_user_grants(
    user_id: uuid.UUID, subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[AdminGrant]:
    await service.user_must_exist(session, user_id)
    return await paginate_as(
        AdminGrant,
        session,
        repository.grants_of_user(user_id),
        order_by=[EntitlementGrant.created_at, EntitlementGrant.id],
        descending=True,
        params=page,
    )


# --- Staff: content sets -------------------------------------------------------------------------


def _content_set_out(content_set: ContentSet, courses: list[AnyRow]) -> ContentSetOut:
    summary = ContentSetSummary.model_validate(content_set).model_dump()
    return ContentSetOut.model_validate(
        {**summary, "courses": [ContentSetCourse.model_validate(row._asdict()) for row in courses]}
    )


@admin.get(
    "/content-sets",
    operation_id="admin_list_content_sets",
    summary="List content sets",
    description="Staff. By code.",
    responses=problems(InvalidCursor),
)
async def list_content_sets(
    subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[ContentSetSummary]:
    return await paginate_as(
        ContentSetSummary,
        session,
        repository.content_sets_statement(),
        order_by=[ContentSet.code, ContentSet.id],
        descending=False,
        params=page,
    )


@admin.post(
    "/content-sets",
    operation_id="admin_create_content_set",
    summary="Create a content set",
    description="Staff. A named list of courses that one `content_set` grant opens (R-CON-7).",
    status_code=201,
    responses=created(ContentSetCodeTaken, ContentSetCoursesUnknown),
)
async def create_content_set(
    body: ContentSetCreate,
    subject: CurrentStaff,
    session: DbSession,
    request: Request,
    response: Response,
) -> ContentSetOut:
    content_set, courses = await content_sets.create_content_set(
        session,
        code=body.code,
        title=body.title,
        description=body.description,
        course_ids=body.course_ids,
    )
    response.headers["Location"] = request.url_for(
        "admin_get_content_set", content_set_id=str(content_set.id)
    ).path
    return _content_set_out(content_set, courses)


@admin.get(
    "/content-sets/{content_set_id}",
    operation_id="admin_get_content_set",
    name="admin_get_content_set",
    summary="Read a content set with its courses",
    description="Staff.",
    responses=problems(ContentSetNotFound),
)
async def get_content_set(
    content_set_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> ContentSetOut:
    return _content_set_out(*await content_sets.get_content_set(session, content_set_id))


@admin.patch(
    "/content-sets/{content_set_id}",
    operation_id="admin_update_content_set",
    summary="Edit a content set's code, title or description",
    description="Staff. Only the fields sent change.",
    responses=problems(ContentSetNotFound, ContentSetCodeTaken),
)
async def update_content_set(
    content_set_id: uuid.UUID, body: ContentSetUpdate, subject: CurrentStaff, session: DbSession
) -> ContentSetOut:
    changes = {field: getattr(body, field) for field in body.model_fields_set}
    return _content_set_out(
        *await content_sets.update_content_set(
            session, content_set_id=content_set_id, changes=changes
        )
    )


@admin.put(
    "/content-sets/{content_set_id}/courses",
    operation_id="admin_replace_content_set_courses",
    summary="Replace a content set's courses",
    description="Staff. The list replaces the old one; duplicates count once; unknown course "
    "ids are refused (400 `content-set-courses-unknown`). Access follows at once (R-CON-7).",
    responses=problems(ContentSetNotFound, ContentSetCoursesUnknown),
)
async def replace_content_set_courses(
    content_set_id: uuid.UUID, body: ContentSetCourses, subject: CurrentStaff, session: DbSession
) -> ContentSetOut:
    return _content_set_out(
        *await content_sets.replace_courses(
            session, content_set_id=content_set_id, course_ids=body.course_ids
        )
    )


@admin.delete(
    "/content-sets/{content_set_id}",
    operation_id="admin_delete_content_set",
    summary="Delete a content set no grant refers to",
    description="Staff. 409 `content-set-in-use` while grants refer to it.",
    status_code=204,
    responses=problems(ContentSetNotFound, ContentSetInUse),
)
async def delete_content_set(
    content_set_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> Response:
    await content_sets.delete_content_set(session, content_set_id=content_set_id)
    return Response(status_code=204)


router = APIRouter()
router.include_router(me)
router.include_router(admin)
