"""Who may call the events operations (R-CON-6).

`OptionalUser`: the event page is public, but a signed-in caller sees their own registration
and — once it is confirmed — the join link. No `Authorization` header means anonymous; a header
that does not authenticate is refused (401) rather than silently treated as anonymous, so a
client with an expired token learns it instead of seeing the page without its link.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from app.auth.auth import CurrentStaff, CurrentUser
from app.auth.authenticator import Authenticator, Subject, api_key_scheme, bearer_scheme
from app.config import Settings
from app.db import DbSession
from app.kit.clock import Now

_any_person = Authenticator()


async def _optional_user(
    request: Request,
    session: DbSession,
    now: Now,
    bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
    api_key: str | None = Depends(api_key_scheme),
) -> Subject | None:
    if bearer is None and not api_key:
        return None
    return await _any_person(request, session, now, bearer, api_key)


OptionalUser = Annotated[Subject | None, Depends(_optional_user)]
"""The signed-in caller, or None for an anonymous one."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]

__all__ = ["AppSettings", "CurrentStaff", "CurrentUser", "OptionalUser"]
