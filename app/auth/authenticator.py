"""Who is calling: resolves the subject of a request and checks roles and scopes (R-ID-7, R-ID-11).

Routes never decode tokens themselves; they declare who may call them through the aliases in
`app/auth/auth.py` (or an `Authenticator(...)` of their own), e.g.

    async def list_users(subject: CurrentStaff, ...)

People present `Authorization: Bearer <access token>`; partner systems `X-API-Key`. An access
token is checked against the database in one query (user + login session): a suspended or
withdrawn account, a signed-out session, or a bumped `session_epoch` (password reset) stops the
token at once, not when it expires.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.api_keys import authenticate_api_key
from app.auth.errors import (
    AccountNotActive,
    InvalidAccessToken,
    NotAuthenticated,
    RoleNotAllowed,
    ScopeNotGranted,
)
from app.config import Settings
from app.db import DbSession
from app.kit import security
from app.kit.clock import Now
from app.models.api_key import ApiKey
from app.models.session import AuthSession
from app.models.user import AccountStatus, Role, User

bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Partner API key (R-ID-11)"
)


@dataclass(frozen=True)
class Subject:
    """The authenticated caller: a person (user + login session) or a partner API key."""

    kind: Literal["user", "api_key"]
    user: User | None = None
    session_id: uuid.UUID | None = None
    api_key: ApiKey | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.user.id if self.user else None

    @property
    def api_key_id(self) -> uuid.UUID | None:
        return self.api_key.id if self.api_key else None

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None

    @property
    def organization_id(self) -> uuid.UUID | None:
        if self.user is not None:
            return self.user.organization_id
        return self.api_key.organization_id if self.api_key else None

    @property
    def idempotency_scope(self) -> str:
        if self.user is not None:
            return f"user:{self.user.id}"
        assert self.api_key is not None
        return f"api_key:{self.api_key.id}"

    def require_user(self) -> User:
        if self.user is None:
            raise RoleNotAllowed()
        return self.user


class Authenticator:
    """A dependency: `Depends(Authenticator(roles={Role.staff, Role.admin}))`.

    - `roles`: people allowed (None = any active person). Partner keys never pass a role check.
    - `scopes`: when set, partner keys carrying all these scopes are allowed too.
    - `allow_people`: False for partner-only operations.
    """

    def __init__(
        self,
        *,
        roles: Iterable[Role] | None = None,
        scopes: Iterable[str] | None = None,
        allow_people: bool = True,
    ) -> None:
        self.roles = frozenset(roles) if roles is not None else None
        self.scopes = frozenset(scopes) if scopes is not None else None
        self.allow_people = allow_people

    async def __call__(
        self,
        request: Request,
        session: DbSession,
        now: Now,
        bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
        api_key: str | None = Depends(api_key_scheme),
    ) -> Subject:
        settings: Settings = request.app.state.settings
        if api_key and self.scopes is not None:
            key = await authenticate_api_key(session, api_key, now=now, settings=settings)
            missing = self.scopes - frozenset(key.scopes)
            if missing:
                raise ScopeNotGranted(scopes=", ".join(sorted(missing)))
            subject = Subject(kind="api_key", api_key=key, scopes=frozenset(key.scopes))
        elif bearer is not None and self.allow_people:
            subject = await _authenticate_person(session, bearer.credentials, now, settings)
            if self.roles is not None and subject.role not in self.roles:
                raise RoleNotAllowed()
        elif api_key and self.scopes is None:
            # A key on an operation that is for people only.
            raise RoleNotAllowed()
        else:
            raise NotAuthenticated()
        request.state.subject = subject
        request.state.idempotency_scope = subject.idempotency_scope
        return subject


async def _authenticate_person(
    session: DbSession, token: str, now: datetime, settings: Settings
) -> Subject:
    try:
        claims = security.decode_access_token(
            token,
            secret=settings.secret_key,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            now=now,
        )
    except security.InvalidAccessToken as error:
        raise InvalidAccessToken() from error
    return await check_login_session(session, claims, now)


async def check_login_session(
    session: AsyncSession, claims: security.AccessClaims, now: datetime
) -> Subject:
    """The token's login session is live and its account active: the person, or a problem."""
    row = (
        await session.execute(
            select(User, AuthSession.revoked_at, AuthSession.expires_at)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(User.id == claims.user_id, AuthSession.id == claims.session_id)
        )
    ).one_or_none()
    if row is None:
        raise InvalidAccessToken()
    user, revoked_at, session_expires_at = row
    if revoked_at is not None or session_expires_at <= now or user.session_epoch != claims.epoch:
        raise InvalidAccessToken()
    if user.status is not AccountStatus.active:
        raise AccountNotActive()
    return Subject(kind="user", user=user, session_id=claims.session_id)
