"""Authentication for hot read endpoints in the same round trip as the read itself.

`Authenticator` (app/auth/authenticator.py) checks the login session with one query before the
endpoint runs; that is right for most endpoints. The platform's hottest reads (the lesson page)
would then pay two round trips plus BEGIN/COMMIT. Here the JWT is verified in memory
(`CurrentClaims`), and the endpoint's own statement selects `live_role_column(...)` as one more
column: the account's current role while the token's login session and account are good, NULL
otherwise. Only on NULL (or no row at all) does the endpoint call `confirm`, which runs the
full check and raises the precise problem — the same answers `Authenticator` gives, so clients
see no difference.

Use with `HotConnection` and `ReadNow`, for GET endpoints of people (not partner keys).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import ScalarSelect, select

from app.auth.authenticator import bearer_scheme, check_login_session
from app.auth.errors import InvalidAccessToken, NotAuthenticated
from app.config import Settings
from app.kit import security
from app.kit.clock import read_now, system_now
from app.models.session import AuthSession
from app.models.user import AccountStatus, Role, User


async def _read_now(request: Request) -> datetime:
    settings: Settings = request.app.state.settings
    if not settings.clock_is_adjustable:
        return system_now()
    async with request.app.state.sessionmaker() as session:
        return await read_now(session, settings)


ReadNow = Annotated[datetime, Depends(_read_now)]
"""The request's "now" without a request session: the system clock in production; outside
production the adjustable clock, read through a short session of its own."""


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
"""A verified access token whose login session the endpoint's own query still checks."""


def live_role_column(*, session_id: Any, user_id: Any, epoch: Any, now: Any) -> ScalarSelect[Role]:
    """The account's current role when the login session and account are good (what
    `Authenticator` checks), else NULL. Arguments are values or `bindparam`s (HotQuery).
    The role is read live: a role changed since the token was issued applies at once."""
    return (
        select(User.role)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.id == session_id,
            User.id == user_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            User.session_epoch == epoch,
            User.status == AccountStatus.active,
        )
        .correlate(None)
        .scalar_subquery()
    )


async def confirm(request: Request, claims: security.AccessClaims, now: datetime) -> Role:
    """Run the full login-session check (the rare path: the hot query found no live session,
    or no row at all) in a session of its own. Raises the problem `Authenticator` would;
    returns the person's role when the session is good after all."""
    async with request.app.state.sessionmaker() as session:
        subject = await check_login_session(session, claims, now)
    assert subject.role is not None
    return subject.role
