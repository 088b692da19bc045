"""Organization-facing operations (tag `organizations`): an organization's own users and its own
partner API keys (R-ID-11, SPEC §1, R-B2B-1).

Two kinds of caller act for an organization: its org_admins (bearer token) and its partner
systems (an `X-API-Key` bound to it, carrying the operation's scope). Every read here is scoped
by `subject_organization_id(subject)`: a platform-wide key or an org_admin without an
organization is refused (403 `organization-required`), and another organization's users or keys
are never returned (a key of another organization is 404, as if it did not exist).

Mounted through `app.auth.admin_router.router` (see there).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from app.auth import api_key_service
from app.auth.admin_schemas import (
    ApiKeyCreated,
    ApiKeyOut,
    OrganizationApiKeyCreate,
    OrganizationUser,
)
from app.auth.api_keys import ApiScope
from app.auth.auth import CurrentOrgAdmin
from app.auth.authenticator import Authenticator, Subject
from app.auth.errors import (
    PARTNER_AUTH_ERRORS,
    PERSON_AUTH_ERRORS,
    ApiKeyExpiryInPast,
    ApiKeyNotFound,
    OrganizationRequired,
)
from app.auth.organizations import organization_users_statement, subject_organization_id
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery, paginate_as
from app.kit.problems import problem_responses
from app.kit.request_context import Client
from app.models.api_key import ApiKey
from app.models.user import AccountStatus, Role, User

router = APIRouter(tags=["organizations"])

OrganizationUsersReader = Annotated[
    Subject, Depends(Authenticator(roles=(Role.org_admin,), scopes=(ApiScope.users_read,)))
]
"""An org_admin, or a partner key of an organization with `users:read`."""


def problems(*errors: type[ProblemError], partner: bool = False) -> dict[int | str, Any]:
    auth = (*PERSON_AUTH_ERRORS, *PARTNER_AUTH_ERRORS) if partner else PERSON_AUTH_ERRORS
    return problem_responses(*auth, OrganizationRequired, *errors)


@router.get(
    "/organization/users",
    operation_id="organizations_list_users",
    summary="List your organization's users",
    description="An org_admin, or a partner key bound to an organization with scope `users:read` "
    "(R-ID-11). Only that organization's users; a platform-wide key is refused "
    "(`organization-required`). Oldest first, so a partner can page through and then poll for "
    "new users at the end.",
    responses=problems(InvalidCursor, partner=True),
    openapi_extra={"x-required-scopes": [ApiScope.users_read.value]},
)
async def list_organization_users(
    subject: OrganizationUsersReader,
    session: DbSession,
    page: PageQuery,
    status: AccountStatus | None = None,
) -> Page[OrganizationUser]:
    statement = organization_users_statement(subject_organization_id(subject), status=status)
    return await paginate_as(
        OrganizationUser,
        session,
        statement,
        order_by=[User.created_at, User.id],
        descending=False,
        params=page,
    )


@router.post(
    "/me/organization/api-keys",
    operation_id="organizations_create_api_key",
    summary="Create an API key for your organization (shown once)",
    description="org_admin. The key is bound to your organization; `key` in the response is the "
    "only time it is shown. Scopes: users:read, users:write, reports:read, enrollments:write, "
    "webhooks:manage. Audited (R-ID-11, R-ID-12).",
    status_code=201,
    responses={
        **problems(ApiKeyExpiryInPast),
        201: {
            "description": "Created",
            "headers": {"Location": {"description": "The new key", "schema": {"type": "string"}}},
        },
    },
)
async def create_organization_api_key(
    body: OrganizationApiKeyCreate,
    subject: CurrentOrgAdmin,
    session: DbSession,
    now: Now,
    client: Client,
    request: Request,
    response: Response,
) -> ApiKeyCreated:
    key, full_key = await api_key_service.create_api_key(
        session,
        actor=subject.require_user(),
        name=body.name,
        scopes=body.scopes,
        organization_id=subject_organization_id(subject),
        expires_at=body.expires_at,
        now=now,
        client=client,
    )
    response.headers["Location"] = request.url_for(
        "organizations_get_api_key", key_id=str(key.id)
    ).path
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key).model_dump(), "key": full_key}
    )


@router.get(
    "/me/organization/api-keys",
    operation_id="organizations_list_api_keys",
    summary="List your organization's API keys, newest first",
    description="org_admin. Never the key itself (R-ID-11).",
    responses=problems(InvalidCursor),
)
async def list_organization_api_keys(
    subject: CurrentOrgAdmin, session: DbSession, page: PageQuery
) -> Page[ApiKeyOut]:
    statement = api_key_service.keys_statement(
        organization_id=subject_organization_id(subject), only_organization=True
    )
    return await paginate_as(
        ApiKeyOut,
        session,
        statement,
        order_by=[ApiKey.created_at, ApiKey.id],
        descending=True,
        params=page,
    )


@router.get(
    "/me/organization/api-keys/{key_id}",
    operation_id="organizations_get_api_key",
    name="organizations_get_api_key",
    summary="Read one of your organization's API keys",
    description="org_admin. Another organization's key is not found (R-ID-11).",
    responses=problems(ApiKeyNotFound),
)
async def get_organization_api_key(
    key_id: uuid.UUID, subject: CurrentOrgAdmin, session: DbSession
) -> ApiKeyOut:
    key = await api_key_service.get_api_key(
        session, key_id, organization_id=subject_organization_id(subject), only_organization=True
    )
    return ApiKeyOut.model_validate(key)


@router.delete(
    "/me/organization/api-keys/{key_id}",
    operation_id="organizations_revoke_api_key",
    summary="Revoke one of your organization's API keys",
    description="org_admin. Stops working at once; another organization's key is not found. "
    "Audited (R-ID-11, R-ID-12).",
    status_code=204,
    responses=problems(ApiKeyNotFound),
)
async def revoke_organization_api_key(
    key_id: uuid.UUID, subject: CurrentOrgAdmin, session: DbSession, now: Now, client: Client
) -> None:
    await api_key_service.revoke_api_key(
        session,
        actor=subject.require_user(),
        key_id=key_id,
        organization_id=subject_organization_id(subject),
        only_organization=True,
        now=now,
        client=client,
    )
