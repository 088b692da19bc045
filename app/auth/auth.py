"""Who may call what: `Annotated` aliases for routes (ARCHITECTURE convention 5).

Import these in routers: `async def endpoint(subject: CurrentUser, ...)`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.authenticator import Authenticator, Subject
from app.models.user import Role

STAFF_ROLES = (Role.staff, Role.admin)

CurrentUser = Annotated[Subject, Depends(Authenticator())]
"""Any active, signed-in person (member, org_admin, grader, staff, admin)."""

CurrentStaff = Annotated[Subject, Depends(Authenticator(roles=STAFF_ROLES))]
"""Staff (事務局) or admin."""

CurrentAdmin = Annotated[Subject, Depends(Authenticator(roles=(Role.admin,)))]
"""The operator."""

CurrentOrgAdmin = Annotated[Subject, Depends(Authenticator(roles=(Role.org_admin,)))]
"""An organization's admin (教育ご担当者): acts inside their own organization only."""
