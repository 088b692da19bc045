"""Staff and admin operations on identity: accounts, organizations, the customer registry, terms
and partner API keys (R-ID-2, R-ID-9, R-ID-10, R-ID-11, R-ID-12, R-B2B-1).

HTTP only: who may call (staff = `CurrentStaff`, admin = `CurrentAdmin`), status codes, declared
problems. Decisions live in the service modules named in each handler.

State transitions on an account (suspend, withdraw, change role) answer 200 with the account;
lifting a suspension answers 204. Creations answer 201 with `Location`.

`router` (what `app/api.py` mounts) also carries the organization-facing operations of
`app.auth.partner_router` (tag `organizations`). If they get their own mount in `app/api.py`, drop
the `router.include_router(organization_router)` line at the bottom.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from app.auth import accounts_admin, api_key_service, customer_registry, organizations, terms_admin
from app.auth.admin_schemas import (
    AdminUser,
    AdminUserCreated,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    CustomerImportResult,
    OrganizationCreate,
    OrganizationOut,
    RoleUpdate,
    SuspensionCreate,
    TermsCreate,
    TermsOut,
    TermsSummary,
    UserCreate,
    UserUpdate,
    WithdrawalCreate,
)
from app.auth.auth import CurrentAdmin, CurrentStaff
from app.auth.errors import (
    PERSON_AUTH_ERRORS,
    AccountStatusConflict,
    ApiKeyExpiryInPast,
    ApiKeyNotFound,
    CannotActOnSelf,
    CustomerImportInvalid,
    CustomerImportTooLarge,
    CustomerImportUnreadable,
    EmailAlreadyRegistered,
    LastAdmin,
    OrgAdminNeedsOrganization,
    OrganizationNotFound,
    TargetRequiresAdmin,
    TermsEffectiveDateInPast,
    TermsNotFound,
    TermsVersionExists,
    UserNotFound,
)
from app.auth.me_router import AppSettings
from app.auth.partner_router import router as organization_router
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.i18n import negotiate_language
from app.kit.pagination import Page, PageQuery, paginate_as
from app.kit.problems import problem_responses
from app.kit.request_context import Client
from app.models.api_key import ApiKey
from app.models.terms import TermsDocument, TermsKind
from app.models.user import AccountStatus, Organization, Role, User

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


def location(request: Request, route_name: str, **path: uuid.UUID) -> str:
    """The path of the operation named `route_name` (routes that are Location targets are named
    after their operation id, which is unique app-wide; function names need not be)."""
    return request.url_for(route_name, **{k: str(v) for k, v in path.items()}).path


# --- Accounts -----------------------------------------------------------------------------------


@admin.get(
    "/users",
    operation_id="admin_list_users",
    summary="Find accounts",
    description="Staff. Filter by role, status, organization, or `q`: an email prefix or a "
    "customer number (prefix), normalized first: full-width digits and hyphens are fine "
    "(R-ID-13). Newest first.",
    responses=problems(InvalidCursor),
)
async def list_users(
    subject: CurrentStaff,
    session: DbSession,
    page: PageQuery,
    role: Role | None = None,
    status: AccountStatus | None = None,
    organization_id: uuid.UUID | None = None,
    q: Annotated[
        str | None, Query(max_length=254, description="Email prefix or customer number")
    ] = None,
) -> Page[AdminUser]:
    statement = accounts_admin.users_statement(
        role=role, status=status, organization_id=organization_id, q=q
    )
    return await paginate_as(
        AdminUser,
        session,
        statement,
        order_by=[User.created_at, User.id],
        descending=True,
        params=page,
    )


@admin.post(
    "/users",
    operation_id="admin_create_user",
    summary="Create a staff, grader, org_admin or admin account",
    description="Admin. The response carries a random initial password, shown once; hand it over "
    "through another channel (R-B2B-1 reports initial passwords the same way). Members register "
    "themselves (R-ID-1, R-ID-2). An org_admin needs an organization. Audited (R-ID-12).",
    status_code=201,
    responses=created(EmailAlreadyRegistered, OrganizationNotFound, OrgAdminNeedsOrganization),
)
async def create_user(
    body: UserCreate,
    subject: CurrentAdmin,
    session: DbSession,
    now: Now,
    client: Client,
    request: Request,
    response: Response,
) -> AdminUserCreated:
    user, password = await accounts_admin.create_user(
        session,
        actor=subject.require_user(),
        email=str(body.email),
        name=body.name,
        role=Role(body.role.value),
        organization_id=body.organization_id,
        locale=body.locale,
        now=now,
        client=client,
    )
    response.headers["Location"] = location(request, "admin_get_user", user_id=user.id)
    shown = AdminUser.model_validate(user).model_dump()
    return AdminUserCreated.model_validate({**shown, "initial_password": password})


@admin.get(
    "/users/{user_id}",
    operation_id="admin_get_user",
    name="admin_get_user",
    summary="Read an account",
    description="Staff.",
    responses=problems(UserNotFound),
)
async def get_user(user_id: uuid.UUID, subject: CurrentStaff, session: DbSession) -> AdminUser:
    return AdminUser.model_validate(await accounts_admin.get_user(session, user_id))


@admin.patch(
    "/users/{user_id}",
    operation_id="admin_update_user",
    summary="Link an account to an organization (or detach it)",
    description="Admin. `organization_id` links the account to that organization; null detaches "
    "it (not for an org_admin). Audited as `account.organization_changed` (R-ID-12, R-B2B-1).",
    responses=problems(UserNotFound, OrganizationNotFound, OrgAdminNeedsOrganization),
)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    subject: CurrentAdmin,
    session: DbSession,
    now: Now,
    client: Client,
) -> AdminUser:
    if "organization_id" in body.model_fields_set:
        user = await organizations.set_organization(
            session,
            actor=subject.require_user(),
            user_id=user_id,
            organization_id=body.organization_id,
            now=now,
            client=client,
        )
    else:
        user = await accounts_admin.get_user(session, user_id)
    return AdminUser.model_validate(user)


@admin.post(
    "/users/{user_id}/suspension",
    operation_id="admin_suspend_user",
    summary="Suspend an account for a rule violation",
    description="Staff (an admin account: admin only; never your own). Every session and every "
    "emailed link ends at once and login is refused; the member is emailed the reason; audited "
    "with the reason (R-ID-9, R-ID-12).",
    responses=problems(UserNotFound, CannotActOnSelf, TargetRequiresAdmin, AccountStatusConflict),
)
async def suspend_user(
    user_id: uuid.UUID,
    body: SuspensionCreate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
) -> AdminUser:
    user = await accounts_admin.suspend_user(
        session,
        actor=subject.require_user(),
        user_id=user_id,
        reason=body.reason,
        now=now,
        client=client,
    )
    return AdminUser.model_validate(user)


@admin.delete(
    "/users/{user_id}/suspension",
    operation_id="admin_reinstate_user",
    summary="Lift a suspension",
    description="Staff (an admin account: admin only). The account is active again; its old "
    "sessions stay ended. Audited (R-ID-9, R-ID-12).",
    status_code=204,
    responses=problems(UserNotFound, CannotActOnSelf, TargetRequiresAdmin, AccountStatusConflict),
)
async def reinstate_user(
    user_id: uuid.UUID, subject: CurrentStaff, session: DbSession, now: Now, client: Client
) -> None:
    await accounts_admin.reinstate_user(
        session, actor=subject.require_user(), user_id=user_id, now=now, client=client
    )


@admin.post(
    "/users/{user_id}/withdrawal",
    operation_id="admin_withdraw_user",
    summary="Withdraw (退会) an account on the member's behalf",
    description="Staff (an admin account: admin only; never your own). Every session and every "
    "emailed link ends at once; the member is emailed (an individual member with the way back: "
    "the rejoin flow); audited with the reason and the previous status (R-ID-9, R-ID-12). A "
    "suspended account withdrawn this way cannot rejoin online (seed 002 総則第9条第1項).",
    responses=problems(UserNotFound, CannotActOnSelf, TargetRequiresAdmin, AccountStatusConflict),
)
async def withdraw_user(
    user_id: uuid.UUID,
    body: WithdrawalCreate,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    settings: AppSettings,
) -> AdminUser:
    user = await accounts_admin.withdraw_user(
        session,
        actor=subject.require_user(),
        user_id=user_id,
        reason=body.reason,
        now=now,
        client=client,
        settings=settings,
    )
    return AdminUser.model_validate(user)


@admin.put(
    "/users/{user_id}/role",
    operation_id="admin_set_user_role",
    summary="Change an account's role",
    description="Admin. Takes effect on the account's next request. The last active admin cannot "
    "be demoted; an org_admin needs an organization. Audited with the old and new role (R-ID-12).",
    responses=problems(UserNotFound, LastAdmin, OrgAdminNeedsOrganization),
)
async def set_user_role(
    user_id: uuid.UUID,
    body: RoleUpdate,
    subject: CurrentAdmin,
    session: DbSession,
    now: Now,
    client: Client,
) -> AdminUser:
    user = await accounts_admin.change_role(
        session,
        actor=subject.require_user(),
        user_id=user_id,
        role=body.role,
        now=now,
        client=client,
    )
    return AdminUser.model_validate(user)


# --- Organizations ------------------------------------------------------------------------------


@admin.post(
    "/organizations",
    operation_id="admin_create_organization",
    summary="Create an organization",
    description="Admin. Minimal for now (R-B2B-1 grows it). Audited (R-ID-12).",
    status_code=201,
    responses=created(),
)
async def create_organization(
    body: OrganizationCreate,
    subject: CurrentAdmin,
    session: DbSession,
    now: Now,
    client: Client,
    request: Request,
    response: Response,
) -> OrganizationOut:
    organization = await organizations.create_organization(
        session, actor=subject.require_user(), name=body.name, now=now, client=client
    )
    response.headers["Location"] = location(
        request, "admin_get_organization", organization_id=organization.id
    )
    return OrganizationOut.model_validate(organization)


@admin.get(
    "/organizations",
    operation_id="admin_list_organizations",
    summary="List organizations, newest first",
    description="Staff.",
    responses=problems(InvalidCursor),
)
async def list_organizations(
    subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[OrganizationOut]:
    return await paginate_as(
        OrganizationOut,
        session,
        organizations.organizations_statement(),
        order_by=[Organization.created_at, Organization.id],
        descending=True,
        params=page,
    )


@admin.get(
    "/organizations/{organization_id}",
    operation_id="admin_get_organization",
    name="admin_get_organization",
    summary="Read an organization",
    description="Staff.",
    responses=problems(OrganizationNotFound),
)
async def get_organization(
    organization_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> OrganizationOut:
    organization = await organizations.get_organization(session, organization_id)
    return OrganizationOut.model_validate(organization)


# --- Customer registry --------------------------------------------------------------------------


@admin.post(
    "/customer-records/import",
    operation_id="admin_import_customer_records",
    summary="Import the customer registry from a CSV file",
    description="Staff. Columns customer_number, name, phone and phone_recorded_at (or "
    "recorded_on); UTF-8 (BOM optional) or Shift_JIS/CP932; at most 5 MB. Values are normalized "
    "(R-ID-13). Any invalid line refuses the whole file, errors listed by line, nothing written. "
    "Otherwise the most recently recorded phone of each customer wins (R-ID-2). Audited.",
    responses=problems(CustomerImportTooLarge, CustomerImportUnreadable, CustomerImportInvalid),
)
async def import_customer_records(
    file: Annotated[UploadFile, File(description="The CSV file")],
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    client: Client,
    request: Request,
) -> CustomerImportResult:
    data = await file.read(customer_registry.MAX_IMPORT_BYTES + 1)
    if len(data) > customer_registry.MAX_IMPORT_BYTES:
        raise CustomerImportTooLarge(max_megabytes=customer_registry.MAX_IMPORT_BYTES // 2**20)
    counts = await customer_registry.import_customer_records(
        session,
        actor=subject.require_user(),
        data=data,
        filename=file.filename,
        language=negotiate_language(request.headers.get("accept-language")),
        now=now,
        client=client,
    )
    return CustomerImportResult.model_validate(counts)


# --- Terms --------------------------------------------------------------------------------------


@admin.post(
    "/terms",
    operation_id="admin_publish_terms",
    summary="Publish a version of the terms of use or the privacy policy",
    description="Admin. Versions are immutable and unique per kind; `effective_on` (JST) is today "
    "or later (R-ID-10). Audited (R-ID-12).",
    status_code=201,
    responses=created(TermsVersionExists, TermsEffectiveDateInPast),
)
async def publish_terms(
    body: TermsCreate,
    subject: CurrentAdmin,
    session: DbSession,
    now: Now,
    client: Client,
    request: Request,
    response: Response,
) -> TermsOut:
    document = await terms_admin.publish_terms(
        session,
        actor=subject.require_user(),
        kind=body.kind,
        version=body.version,
        effective_on=body.effective_on,
        title=body.title,
        body=body.body,
        now=now,
        client=client,
    )
    response.headers["Location"] = location(request, "admin_get_terms", terms_id=document.id)
    return TermsOut.model_validate(document)


@admin.get(
    "/terms",
    operation_id="admin_list_terms",
    summary="List published terms versions, latest effective date first",
    description="Staff. Bodies are left out; read one version for its text (R-ID-10).",
    responses=problems(InvalidCursor),
)
async def list_terms(
    subject: CurrentStaff, session: DbSession, page: PageQuery, kind: TermsKind | None = None
) -> Page[TermsSummary]:
    return await paginate_as(
        TermsSummary,
        session,
        terms_admin.terms_statement(kind=kind),
        order_by=[TermsDocument.effective_on, TermsDocument.id],
        descending=True,
        params=page,
    )


@admin.get(
    "/terms/{terms_id}",
    operation_id="admin_get_terms",
    name="admin_get_terms",
    summary="Read one terms version with its text",
    description="Staff (R-ID-10).",
    responses=problems(TermsNotFound),
)
async def get_terms(terms_id: uuid.UUID, subject: CurrentStaff, session: DbSession) -> TermsOut:
    return TermsOut.model_validate(await terms_admin.get_terms(session, terms_id))


# --- Partner API keys ---------------------------------------------------------------------------


@admin.post(
    "/api-keys",
    operation_id="admin_create_api_key",
    summary="Create a partner API key (shown once)",
    description="Admin. Platform-wide, or bound to an organization with `organization_id`. The "
    "response's `key` is the only time the key is shown: it is stored as a digest with a visible "
    "prefix. Scopes: users:read, users:write, reports:read, enrollments:write, webhooks:manage. "
    "Audited (R-ID-11, R-ID-12).",
    status_code=201,
    responses=created(OrganizationNotFound, ApiKeyExpiryInPast),
)
async def create_api_key(
    body: ApiKeyCreate,
    subject: CurrentAdmin,
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
        organization_id=body.organization_id,
        expires_at=body.expires_at,
        now=now,
        client=client,
    )
    response.headers["Location"] = location(request, "admin_get_api_key", key_id=key.id)
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key).model_dump(), "key": full_key}
    )


@admin.get(
    "/api-keys",
    operation_id="admin_list_api_keys",
    summary="List partner API keys, newest first",
    description="Admin. Never the key itself (R-ID-11). Filter by organization.",
    responses=problems(InvalidCursor),
)
async def list_api_keys(
    subject: CurrentAdmin,
    session: DbSession,
    page: PageQuery,
    organization_id: uuid.UUID | None = None,
) -> Page[ApiKeyOut]:
    return await paginate_as(
        ApiKeyOut,
        session,
        api_key_service.keys_statement(organization_id=organization_id, only_organization=False),
        order_by=[ApiKey.created_at, ApiKey.id],
        descending=True,
        params=page,
    )


@admin.get(
    "/api-keys/{key_id}",
    operation_id="admin_get_api_key",
    name="admin_get_api_key",
    summary="Read a partner API key's details",
    description="Admin. Never the key itself (R-ID-11).",
    responses=problems(ApiKeyNotFound),
)
async def get_api_key(key_id: uuid.UUID, subject: CurrentAdmin, session: DbSession) -> ApiKeyOut:
    return ApiKeyOut.model_validate(await api_key_service.get_api_key(session, key_id))


@admin.delete(
    "/api-keys/{key_id}",
    operation_id="admin_revoke_api_key",
    summary="Revoke a partner API key",
    description="Admin. The key stops working at once; revoking twice changes nothing. Audited "
    "(R-ID-11, R-ID-12).",
    status_code=204,
    responses=problems(ApiKeyNotFound),
)
async def revoke_api_key(
    key_id: uuid.UUID, subject: CurrentAdmin, session: DbSession, now: Now, client: Client
) -> None:
    await api_key_service.revoke_api_key(
        session, actor=subject.require_user(), key_id=key_id, now=now, client=client
    )


# What `app/api.py` mounts: the admin operations, plus the organization-facing ones riding on the
# same mount (see the module docstring).
router = APIRouter()
router.include_router(admin)
router.include_router(organization_router)
