"""The contract of entitlement grants and content sets (R-CON-7).

Staff see a grant's whole record (who granted or revoked it and why); a member sees only their
own live grants and what each one opens.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StringConstraints, field_validator

from app.kit.schemas import ResponseSchema, Schema
from app.models.entitlement import GrantScope, GrantSource

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$"
    ),
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5000)]
CourseIds = Annotated[list[uuid.UUID], Field(max_length=1000)]


# --- Grants --------------------------------------------------------------------------------------


class GrantCreate(Schema):
    user_id: uuid.UUID
    scope: GrantScope
    course_id: uuid.UUID | None = Field(default=None, description="Required for scope course.")
    content_set_id: uuid.UUID | None = Field(
        default=None, description="Required for scope content_set."
    )
    valid_from: AwareDatetime | None = Field(default=None, description="Defaults to now.")
    valid_until: AwareDatetime | None = Field(
        default=None, description="Exclusive end; null = open-ended. Must be after now."
    )
    reason: Reason = Field(description="Why staff grant it (kept and audited).")


class GrantRevoke(Schema):
    reason: Reason


class AdminGrant(ResponseSchema):
    id: uuid.UUID
    user_id: uuid.UUID
    scope: GrantScope
    course_id: uuid.UUID | None
    content_set_id: uuid.UUID | None
    source: GrantSource
    source_ref: str | None
    valid_from: datetime
    valid_until: datetime | None = Field(description="Exclusive end; null = open-ended.")
    reason: str | None
    granted_by_user_id: uuid.UUID | None
    revoked_at: datetime | None
    revoked_reason: str | None
    revoked_by_user_id: uuid.UUID | None
    created_at: datetime


class MyEntitlement(ResponseSchema):
    id: uuid.UUID
    scope: GrantScope = Field(
        description="`membership` (all membership content), `course` or `content_set`."
    )
    course_id: uuid.UUID | None
    course_title: str | None
    content_set_id: uuid.UUID | None
    content_set_title: str | None
    source: GrantSource = Field(description="What gave the access (subscription, purchase, …).")
    valid_from: datetime
    valid_until: datetime | None = Field(description="Access ends at this instant; null = open.")


class MyEntitlements(ResponseSchema):
    has_membership: bool = Field(description="A live membership grant exists (R-SUB-10).")
    items: list[MyEntitlement]


# --- Content sets --------------------------------------------------------------------------------


class ContentSetCreate(Schema):
    code: Code = Field(description="Stable identifier: lower-case letters, digits, - and _.")
    title: Title
    description: Description = ""
    course_ids: CourseIds = Field(default_factory=list)


class ContentSetUpdate(Schema):
    code: Code | None = None
    title: Title | None = None
    description: Description | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class ContentSetCourses(Schema):
    course_ids: CourseIds = Field(description="The complete new list (replaces the old one).")


class ContentSetCourse(ResponseSchema):
    id: uuid.UUID
    slug: str
    title: str
    is_published: bool


class ContentSetSummary(ResponseSchema):
    id: uuid.UUID
    code: str
    title: str
    description: str
    created_at: datetime
    updated_at: datetime


class ContentSetOut(ContentSetSummary):
    courses: list[ContentSetCourse]
