"""An organization's own completion thresholds (R-ENR-11). HTTP and use case in one small module.

`PUT /api/v1/organizations/me/completion-thresholds` (the organization's admin) and
`PUT /api/v1/admin/organizations/{organization_id}/completion-thresholds` (staff) set them; a
null field means the platform default (average 60 to complete, average 90 with no unit below 70
for excellent, resubmission pass mark 60). New enrollments snapshot them at application; running
enrollments keep what they were given. Audited (R-ID-12).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.auth.auth import CurrentOrgAdmin, CurrentStaff
from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.enrollments.service import organization_thresholds
from app.kit.clock import Now
from app.kit.errors import NotFound, ValidationFailed
from app.kit.problems import problem_responses
from app.models.user import Organization

router = APIRouter(tags=["organizations"])


class OrganizationNotFound(NotFound):
    type = "organization-not-found"
    title = {"ja": "組織が見つかりません", "en": "Organization not found"}


class ThresholdsIncoherent(ValidationFailed):
    type = "completion-thresholds-incoherent"
    title = {
        "ja": "優秀修了の基準が修了の基準を下回っています",
        "en": "The excellent average is below the completion average",
    }


class ThresholdsIn(BaseModel):
    pass_average: int | None = Field(
        default=None, ge=0, le=100, description="Lowest average that completes (default 60)."
    )
    excellent_average: int | None = Field(
        default=None, ge=0, le=100, description="Lowest average for excellent (default 90)."
    )
    excellent_minimum: int | None = Field(
        default=None, ge=0, le=100, description="Lowest unit score for excellent (default 70)."
    )
    pass_mark: int | None = Field(
        default=None, ge=0, le=100, description="Resubmission pass mark (default 60)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdsIn:
        if (
            self.pass_average is not None
            and self.excellent_average is not None
            and self.excellent_average < self.pass_average
        ):
            raise ValueError("excellent_average must not be below pass_average")
        return self


class ThresholdsOut(BaseModel):
    organization_id: uuid.UUID
    pass_average: int
    excellent_average: int
    excellent_minimum: int
    pass_mark: int
    is_default: dict[str, bool] = Field(description="Which values are the platform default.")


def _out(organization: Organization) -> ThresholdsOut:
    effective = organization_thresholds(organization)
    own = {
        "pass_average": organization.completion_pass_average,
        "excellent_average": organization.completion_excellent_average,
        "excellent_minimum": organization.completion_excellent_minimum,
        "pass_mark": organization.resubmission_pass_mark,
    }
    return ThresholdsOut(
        organization_id=organization.id,
        pass_average=effective.pass_average,
        excellent_average=effective.excellent_average,
        excellent_minimum=effective.excellent_minimum,
        pass_mark=effective.pass_mark,
        is_default={name: value is None for name, value in own.items()},
    )


async def _set(
    session: AsyncSession,
    organization_id: uuid.UUID,
    body: ThresholdsIn,
    actor_id: uuid.UUID,
    now: datetime,
) -> ThresholdsOut:
    organization = await session.get(Organization, organization_id, with_for_update=True)
    if organization is None:
        raise OrganizationNotFound()
    organization.completion_pass_average = body.pass_average
    organization.completion_excellent_average = body.excellent_average
    organization.completion_excellent_minimum = body.excellent_minimum
    organization.resubmission_pass_mark = body.pass_mark
    try:
        organization_thresholds(organization)  # with the defaults filled in, still coherent?
    except ValueError as error:
        raise ThresholdsIncoherent(
            errors={"body.excellent_average": ["must_not_be_below_pass_average"]}
        ) from error
    await record_audit_event(
        session,
        action="organization.completion_thresholds_changed",
        now=now,
        actor_user_id=actor_id,
        target_type="organization",
        target_id=organization.id,
        data=body.model_dump(),
    )
    await session.flush()
    return _out(organization)


@router.get(
    "/organizations/me/completion-thresholds",
    operation_id="organizations_get_completion_thresholds",
    summary="My organization's completion thresholds",
    description="The thresholds new enrollments of the organization get (R-ENR-11).",
    responses=problem_responses(*PERSON_AUTH_ERRORS, OrganizationNotFound),
)
async def get_own(subject: CurrentOrgAdmin, session: DbSession) -> ThresholdsOut:
    organization_id = subject.organization_id
    organization = await session.get(Organization, organization_id) if organization_id else None
    if organization is None:
        raise OrganizationNotFound()
    return _out(organization)


@router.put(
    "/organizations/me/completion-thresholds",
    operation_id="organizations_set_completion_thresholds",
    summary="Set my organization's completion thresholds",
    description="R-ENR-11: an organization may set its own thresholds for completion, excellent "
    "completion and the resubmission pass mark; null = the platform default. Applies to "
    "enrollments applied for from now on. Audited.",
    responses=problem_responses(*PERSON_AUTH_ERRORS, OrganizationNotFound, ThresholdsIncoherent),
)
async def set_own(
    body: ThresholdsIn, subject: CurrentOrgAdmin, session: DbSession, now: Now
) -> ThresholdsOut:
    if subject.organization_id is None:
        raise OrganizationNotFound()
    return await _set(session, subject.organization_id, body, subject.require_user().id, now)


@router.put(
    "/admin/organizations/{organization_id}/completion-thresholds",
    operation_id="admin_set_organization_completion_thresholds",
    summary="Set an organization's completion thresholds (staff)",
    description="As `PUT /organizations/me/completion-thresholds`, for any organization (R-ENR-11).",
    responses=problem_responses(*PERSON_AUTH_ERRORS, OrganizationNotFound, ThresholdsIncoherent),
    tags=["admin"],
)
async def set_for(
    organization_id: uuid.UUID,
    body: ThresholdsIn,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
) -> ThresholdsOut:
    return await _set(session, organization_id, body, subject.require_user().id, now)
