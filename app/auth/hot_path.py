"""Authentication for hot endpoints in the same round trip as the endpoint's own statement.

`Authenticator` (app/auth/authenticator.py) checks the login session with one query before the
endpoint runs; that is right for most endpoints. The platform's hottest paths (the lesson page,
the progress write) would then pay two round trips plus BEGIN/COMMIT. Here the JWT is verified
in memory (`authenticate`, with `OPENAPI_BEARER` on the route), and the endpoint's own statement
selects `live_role_column(...)` as one more column: the account's current role while the
token's login session and account are good, NULL otherwise. Only on NULL (or no row at all)
does the endpoint call `confirm`, which runs the full check and raises the precise problem —
the same answers `Authenticator` gives, so clients see no difference. A statement that writes
must also refuse to write when the live role is NULL.

For endpoints of people (not partner keys): like `Authenticator()`, a partner key without a
bearer token is refused with `role-not-allowed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import ScalarSelect, select

from app.auth.authenticator import api_key_scheme, bearer_scheme, check_login_session
from app.auth.errors import InvalidAccessToken, NotAuthenticated, RoleNotAllowed
from app.config import Settings
from app.kit import security
from app.kit.clock import read_now, system_now
from app.models.session import AuthSession
from app.models.user import AccountStatus, Role, User


@dataclass(frozen=True, slots=True)
class Caller:
    """A person whose access token verified; their login session is still to be checked by the
    endpoint's statement (`live_role_column`)."""

    claims: security.AccessClaims
    now: datetime  # the request's "now" (the adjustable clock outside production)


async def request_now(request: Request) -> datetime:
    """The request's "now" without a request session: the system clock in production; outside
    production the adjustable clock, read through a short session of its own."""
    settings: Settings = request.app.state.settings
    if not settings.clock_is_adjustable:
        return system_now()
    async with request.app.state.sessionmaker() as session:
        return await read_now(session, settings)


async def authenticate(request: Request) -> Caller:
    """Verify the bearer token (401/403 problems as `Authenticator` raises them). Declare
    `openapi_extra=OPENAPI_BEARER` on the route."""
    bearer = await bearer_scheme(request)
    if bearer is None:
        if await api_key_scheme(request):
            raise RoleNotAllowed()  # a partner key on an operation for people
        raise NotAuthenticated()
    settings: Settings = request.app.state.settings
    now = await request_now(request)
    try:
        claims = security.decode_access_token(
            bearer.credentials,
            secret=settings.secret_key,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            now=now,
        )
    except security.InvalidAccessToken as error:
        raise InvalidAccessToken() from error
    return Caller(claims, now)


OPENAPI_BEARER: dict[str, Any] = {"security": [{bearer_scheme.scheme_name: []}]}
"""`openapi_extra` for a route that calls `authenticate` itself: documents the bearer scheme as
a `Depends(bearer_scheme)` would, without a dependency for FastAPI to resolve on every request
(FastAPI's per-dependency work was a tenth of a lesson page's CPU, bench/)."""


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


async def confirm(request: Request, caller: Caller) -> Role:
    """Run the full login-session check (the rare path: the hot statement found no live
    session, or no row at all) in a session of its own. Raises the problem `Authenticator`
    would; returns the person's role when the session is good after all."""
    async with request.app.state.sessionmaker() as session:
        subject = await check_login_session(session, caller.claims, caller.now)
    assert subject.role is not None
    return subject.role
