"""Login sessions: log in, refresh, log out, list and end sessions (R-ID-3, R-ID-7, R-ID-8).

Tokens. A login creates an `AuthSession` (one refresh-token family) and hands out a short-lived
JWT access token plus an opaque refresh token stored as a SHA-256 digest. Refreshing marks the
presented token used and issues a new one in the same session; the session's expiry slides to
`refresh_token_ttl_days` after the last refresh (a session used at least once a month stays
signed in). Presenting a used token again revokes the whole session (`refresh-token-reused`).

Login is guarded against brute force by `app.auth.service.guard` (R-ID-8): per-address and
per-account limits checked before the password, failures kept by a `keeps_writes` refusal.
Wrong password and unknown login ID answer alike, after the same argon2 work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth import repository, rules
from app.auth.authenticator import Subject
from app.auth.errors import (
    AccountSuspended,
    AccountWithdrawn,
    InvalidCredentials,
    InvalidRefreshToken,
    NotAuthenticated,
    RefreshTokenReused,
    SessionNotFound,
)
from app.auth.service import guard
from app.config import Settings
from app.kit import security
from app.kit.normalize import normalize_login_id
from app.kit.pagination import PageParams, paginate
from app.kit.request_context import ClientInfo
from app.models.session import AuthSession, RefreshToken
from app.models.user import AccountStatus, User

TOKEN_TYPE = "bearer"


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    expires_in: int
    token_type: str = TOKEN_TYPE


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    session_id: uuid.UUID
    token_type: str = TOKEN_TYPE


# --- Token issuance --------------------------------------------------------------------------------


def issue_access_token(
    user: User, session_id: uuid.UUID, *, now: datetime, settings: Settings
) -> AccessToken:
    ttl = timedelta(minutes=settings.access_token_ttl_minutes)
    token, _ = security.create_access_token(
        secret=settings.secret_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        user_id=user.id,
        session_id=session_id,
        role=user.role.value,
        epoch=user.session_epoch,
        now=now,
        ttl=ttl,
    )
    return AccessToken(access_token=token, expires_in=int(ttl.total_seconds()))


async def _issue_refresh_token(session: AsyncSession, login: AuthSession, *, now: datetime) -> str:
    raw = security.new_token()
    session.add(
        RefreshToken(
            id=uuid.uuid4(),
            session_id=login.id,
            token_hash=security.token_digest(raw),
            created_at=now,
            expires_at=login.expires_at,
        )
    )
    await session.flush()
    return raw


async def start_session(
    session: AsyncSession, user: User, *, now: datetime, client: ClientInfo, settings: Settings
) -> IssuedTokens:
    """A new login session for `user` (after login or registration) and its first tokens."""
    login = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_ttl_days),
        last_used_at=now,
        user_agent=client.user_agent,
        ip_address=client.ip_address,
    )
    session.add(login)
    await session.flush()
    refresh = await _issue_refresh_token(session, login, now=now)
    user.last_login_at = now
    access = issue_access_token(user, login.id, now=now, settings=settings)
    return IssuedTokens(
        access_token=access.access_token,
        expires_in=access.expires_in,
        refresh_token=refresh,
        refresh_expires_at=login.expires_at,
        session_id=login.id,
    )


async def end_all_sessions(
    session: AsyncSession,
    user: User,
    *,
    now: datetime,
    reason: str,
    keep: uuid.UUID | None = None,
) -> None:
    """Every session of the account ends at once (but `keep`): access tokens die with the
    bumped epoch or their revoked session, refresh tokens with their session."""
    user.session_epoch += 1
    await repository.revoke_sessions(session, user_id=user.id, keep=keep, now=now, reason=reason)


def ensure_may_sign_in(user: User) -> None:
    if user.status is AccountStatus.suspended:
        raise AccountSuspended()
    if user.status is AccountStatus.withdrawn:
        raise AccountWithdrawn()


# --- Log in, refresh, log out ---------------------------------------------------------------------


async def log_in(
    session: AsyncSession,
    *,
    login_id: str,
    password: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> IssuedTokens:
    """R-ID-3: email or customer number plus password."""
    await guard.check_address(session, client, now=now, settings=settings)
    normalized = normalize_login_id(login_id)
    kind = rules.login_id_kind(normalized)
    user: User | None = None
    if kind is rules.LoginIdKind.email:
        user = await repository.find_user_by_email(session, normalized)
    elif kind is rules.LoginIdKind.customer_number:
        user = await repository.find_user_by_customer_number(session, normalized)
    subject_id = (
        user.id if user else guard.pseudo_account_id(normalized, secret=settings.secret_key)
    )
    await guard.lock_account(session, subject_id)
    if user is not None:
        # Re-read under the lock: a password reset that committed meanwhile must be seen.
        await session.refresh(user)
    failures = await guard.check_account(
        session,
        subject_id,
        counted_after=user.last_login_at if user else None,
        now=now,
        settings=settings,
    )
    # Always one argon2 verification (a dummy hash for unknown IDs): equal timing either way.
    if not await security.verify_password(password, user.password_hash if user else None):
        await guard.record_failure(
            session,
            subject_id=subject_id,
            user=user,
            earlier_failures=failures,
            now=now,
            client=client,
            settings=settings,
            data={
                "reason": "wrong_password" if user else "unknown_login_id",
                "login_id_kind": kind.value,
            },
        )
        raise InvalidCredentials()
    assert user is not None
    # Only a caller who knows the password learns the account's state.
    ensure_may_sign_in(user)
    tokens = await start_session(session, user, now=now, client=client, settings=settings)
    await record_audit_event(
        session,
        action=AuditAction.login_succeeded,
        now=now,
        actor_user_id=user.id,
        target_type="user",
        target_id=user.id,
        client=client,
        data={"session_id": str(tokens.session_id), "login_id_kind": kind.value},
    )
    return tokens


async def refresh(
    session: AsyncSession,
    *,
    refresh_token: str,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> IssuedTokens:
    """R-ID-7: rotate the refresh token; a used token revokes its whole session."""
    digest = security.token_digest(refresh_token)
    used = await repository.use_refresh_token(session, digest, now=now)
    if used is None:
        await _refuse_unusable_token(session, digest, now=now, client=client)
    session_id, token_expires_at = used
    # Any refusal below rolls back, so the token stays unused.
    if not rules.token_is_usable(expires_at=token_expires_at, used_at=None, now=now):
        raise InvalidRefreshToken()
    login = await repository.get_auth_session(session, session_id)
    if login is None or not rules.session_is_active(
        expires_at=login.expires_at, revoked_at=login.revoked_at, now=now
    ):
        raise InvalidRefreshToken()
    user = await repository.get_user(session, login.user_id)
    if user is None:
        raise InvalidRefreshToken()
    ensure_may_sign_in(user)
    login.last_used_at = now
    login.expires_at = now + timedelta(days=settings.refresh_token_ttl_days)
    raw = await _issue_refresh_token(session, login, now=now)
    access = issue_access_token(user, login.id, now=now, settings=settings)
    return IssuedTokens(
        access_token=access.access_token,
        expires_in=access.expires_in,
        refresh_token=raw,
        refresh_expires_at=login.expires_at,
        session_id=login.id,
    )


async def _refuse_unusable_token(
    session: AsyncSession, digest: str, *, now: datetime, client: ClientInfo
) -> NoReturn:
    token = await repository.find_refresh_token(session, digest)
    if token is None:
        raise InvalidRefreshToken()
    # Used before: someone replays it (or a stolen copy raced its owner). End the family.
    login = await repository.get_auth_session(session, token.session_id, for_update=True)
    if login is not None and login.revoked_at is None:
        login.revoked_at = now
        login.revoked_reason = "reuse"
        await record_audit_event(
            session,
            action=AuditAction.refresh_token_reused,
            now=now,
            target_type="user",
            target_id=login.user_id,
            client=client,
            data={"session_id": str(login.id)},
        )
    raise RefreshTokenReused()


async def log_out(
    session: AsyncSession,
    *,
    subject: Subject | None,
    refresh_token: str | None,
    now: datetime,
) -> None:
    """End the bearer's session and/or the refresh token's session. Ending an ended session is
    fine (logging out twice succeeds); an unknown refresh token is refused."""
    if subject is None and refresh_token is None:
        raise NotAuthenticated()
    if subject is not None and subject.user is not None and subject.session_id is not None:
        await repository.revoke_sessions(
            session, user_id=subject.user.id, only=subject.session_id, now=now, reason="logout"
        )
    if refresh_token is not None:
        token = await repository.find_refresh_token(session, security.token_digest(refresh_token))
        if token is None:
            raise InvalidRefreshToken()
        login = await repository.get_auth_session(session, token.session_id)
        if login is not None:
            await repository.revoke_sessions(
                session, user_id=login.user_id, only=login.id, now=now, reason="logout"
            )


# --- The member's own sessions ---------------------------------------------------------------------


async def list_sessions(
    session: AsyncSession, user: User, *, now: datetime, page: PageParams
) -> tuple[list[AuthSession], str | None]:
    """The caller's live sessions, newest first."""
    return await paginate(
        session,
        repository.active_sessions_readable_by(user.id, now=now),
        order_by=[AuthSession.created_at, AuthSession.id],
        descending=True,
        params=page,
    )


async def end_own_session(
    session: AsyncSession, user: User, session_id: uuid.UUID, *, now: datetime
) -> None:
    """End one of the caller's sessions; someone else's session id is simply not found."""
    login = await repository.get_session_readable_by(session, user.id, session_id)
    if login is None:
        raise SessionNotFound()
    if login.revoked_at is None:
        login.revoked_at = now
        login.revoked_reason = "ended_by_member"
