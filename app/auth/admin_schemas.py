"""The public contract of the admin, organization and partner operations (R-ID-2, -9, -10, -11).

Responses never carry a password hash or an API key digest; the full API key and a created
account's initial password appear exactly once, in the 201 response that creates them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, EmailStr, Field, StringConstraints, field_validator

from app.auth.api_keys import ApiScope
from app.kit.normalize import normalize_email
from app.kit.schemas import ResponseSchema, Schema
from app.models.terms import TermsKind
from app.models.user import AccountStatus, Role

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


# --- Accounts (R-ID-9, R-ID-12) -----------------------------------------------------------------


class StaffRole(StrEnum):
    """Roles an admin may create directly; members register themselves (R-ID-1, R-ID-2)."""

    org_admin = "org_admin"
    grader = "grader"
    staff = "staff"
    admin = "admin"


class AdminUser(ResponseSchema):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    status: AccountStatus
    status_reason: str | None = Field(description="Why the account was suspended or withdrawn.")
    status_changed_at: datetime | None
    customer_number: str | None
    organization_id: uuid.UUID | None
    email_verified_at: datetime | None
    locale: str
    last_login_at: datetime | None
    created_at: datetime


class AdminUserCreated(AdminUser):
    initial_password: str = Field(
        description="Shown once, here only. Hand it to the person through a separate channel; "
        "they should change it at first sign-in."
    )


class UserCreate(Schema):
    email: EmailStr = Field(max_length=254)
    name: Name
    role: StaffRole
    organization_id: uuid.UUID | None = Field(
        default=None, description="Required for org_admin; optional for the other roles."
    )
    locale: Literal["ja", "en"] = "ja"

    @field_validator("email", mode="before")
    @classmethod
    def _normalize_email(cls, value: object) -> object:
        return normalize_email(value) if isinstance(value, str) else value  # R-ID-13


class UserUpdate(Schema):
    organization_id: uuid.UUID | None = Field(
        default=None, description="The organization the account belongs to; null to detach."
    )


class SuspensionCreate(Schema):
    reason: Reason = Field(description="Shown to the member in the suspension email; audited.")


class WithdrawalCreate(Schema):
    reason: Reason = Field(description="Audited; not sent to the member.")


class RoleUpdate(Schema):
    role: Role


# --- Organizations (R-B2B-1) --------------------------------------------------------------------


class OrganizationCreate(Schema):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class OrganizationOut(ResponseSchema):
    id: uuid.UUID
    name: str
    is_active: bool
    created_at: datetime


class OrganizationUser(ResponseSchema):
    """What an organization (its admin or its partner system) sees of its users."""

    id: uuid.UUID
    name: str
    role: Role
    status: AccountStatus
    customer_number: str | None


# --- Customer registry (R-ID-2, R-ID-13) --------------------------------------------------------


class CustomerImportResult(ResponseSchema):
    rows: int = Field(description="Data lines read from the file.")
    customers: int = Field(description="Distinct customer numbers in the file.")
    created: int
    updated: int = Field(description="Stored phone replaced by a more recently recorded one.")
    unchanged: int = Field(description="The stored phone was recorded as recently or later.")
    encoding: Literal["utf-8", "utf-8-sig", "cp932"]


# --- Terms (R-ID-10) ----------------------------------------------------------------------------


class TermsCreate(Schema):
    kind: TermsKind
    version: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            min_length=1,
            max_length=32,
            pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$",
        ),
    ]
    effective_on: date = Field(description="JST calendar date; today or later.")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=200_000)]


class TermsSummary(ResponseSchema):
    id: uuid.UUID
    kind: TermsKind
    version: str
    effective_on: date
    title: str
    created_at: datetime


class TermsOut(TermsSummary):
    body: str


# --- Partner API keys (R-ID-11) -----------------------------------------------------------------

Scopes = Annotated[list[ApiScope], Field(min_length=1, max_length=len(ApiScope))]


class OrganizationApiKeyCreate(Schema):
    name: Name
    scopes: Scopes
    expires_at: AwareDatetime | None = Field(default=None, description="Optional; in the future.")


class ApiKeyCreate(OrganizationApiKeyCreate):
    organization_id: uuid.UUID | None = Field(
        default=None, description="Bind the key to this organization; null for platform-wide."
    )


class ApiKeyOut(ResponseSchema):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's visible start, to tell keys apart.")
    scopes: list[str]
    organization_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key, shown once: it is stored only as a digest.")
