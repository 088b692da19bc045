"""Who may call the reports operations (R-ENR-6, R-ENR-14, R-ENR-15).

- `CurrentUser`: learners (their own enrollments only, enforced by the service) and certificate
  recipients (training managers, org admins).
- `CurrentGrader`: graders (添削者), staff and admins — the grading queue.
- `CurrentStaff`: report units, assignment, re-grading.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth.auth import STAFF_ROLES, CurrentStaff, CurrentUser
from app.auth.authenticator import Authenticator, Subject
from app.config import Settings
from app.models import Role

CurrentGrader = Annotated[Subject, Depends(Authenticator(roles=(Role.grader, *STAFF_ROLES)))]
"""A grader, staff or admin."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]

__all__ = ["AppSettings", "CurrentGrader", "CurrentStaff", "CurrentUser"]
