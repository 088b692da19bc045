"""Authentication for hot read endpoints in the same round trip as the read itself.

`Authenticator` (app/auth/authenticator.py) checks the login session with one query before the
endpoint runs; that is right for most endpoints. The platform's hottest reads (the lesson page)
would then pay two round trips plus BEGIN/COMMIT. Here the JWT is verified in memory
(`CurrentClaims`), and the endpoint's own statement carries `live_role_column(claims, now)`
as one more selected column. Only when that column comes back NULL (revoked session, bumped
epoch, changed role, suspended account) does `refuse` run the full check to raise the precise
problem — the same answers `Authenticator` gives, so clients see no difference.

Use with `ReadSession` and `ReadNow`, for GET endpoints of people (not partner keys).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, NoReturn

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.authenticator import _authenticate_person, bearer_scheme
from app.auth.errors import InvalidAccessToken, NotAuthenticated
from app.config import Settings
from app.db import ReadSession
from app.kit import security
from app.kit.clock import read_now
from app.models.session import AuthSession
from app.models.user import AccountStatus, Role, User


async def _read_now(request: Request, session: ReadSession) -> datetime:
    settings: Settings = request.app.state.settings
    return await read_now(session, settings)


ReadNow = Annotated[datetime, Depends(_read_now)]
"""The request's "now", read through the `ReadSession` (no query in production)."""


async def _claims(
    request: Request,
    now: ReadNow,
    bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> security.AccessClaims:
    if bearer is None:
        raise NotAuthenticated()
    settings: Settings = request.app.state.settings
    try:
        return security.decode_access_token(
            bearer.credentials,
            secret=settings.secret_key,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            now=now,
        )
    except security.InvalidAccessToken as error:
        raise InvalidAccessToken() from error


CurrentClaims = Annotated[security.AccessClaims, Depends(_claims)]
"""A verified access token whose login session is still to be checked by the endpoint's query."""


def live_role_column(claims: security.AccessClaims, now: datetime) -> ScalarSelect[Role]:
    """The account's current role when the token's login session and account are still good
    (what `Authenticator` checks), else NULL — a column to select beside the endpoint's data.
    The role is read live: a role changed since the token was issued applies at once."""
    return (
        select(User.role)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.id == claims.session_id,
            User.id == claims.user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            User.session_epoch == claims.epoch,
            User.status == AccountStatus.active,
        )
        .correlate(None)
        .scalar_subquery()
    )


async def refuse(
    session: AsyncSession, request: Request, claims: security.AccessClaims, now: datetime
) -> NoReturn:
    """The session check failed inside the hot query: raise the problem `Authenticator` would."""
    settings: Settings = request.app.state.settings
    # Re-run the full check on the raw token for the precise answer (401 or 403).
    authorization = request.headers.get("authorization", "")
    token = authorization.partition(" ")[2]
    await _authenticate_person(session, token, now, settings)
    # The full check passed after the hot query failed it: the session ended in between.
    raise InvalidAccessToken()
