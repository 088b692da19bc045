"""SQL of the member identity domain. Takes the session, returns rows or statements, never commits.

Reads of a member's own things go through `*_readable_by(user_id)` statement builders, so
"only your own" is decided in one place (ARCHITECTURE convention 3): another member's session id
simply matches no row and the caller answers 404, never 403.

Single-use things (refresh tokens, emailed tokens) are consumed with one conditional
`UPDATE … WHERE used_at IS NULL RETURNING`: of two concurrent requests presenting the same token,
PostgreSQL lets exactly one through; the other blocks on the row lock and then matches nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import IntEnum

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.account_token import AccountToken, AccountTokenPurpose
from app.models.customer import CustomerRecord
from app.models.security_record import LoginFailure, RateLimitWindow
from app.models.session import AuthSession, RefreshToken
from app.models.terms import TermsAcceptance, TermsDocument, TermsKind
from app.models.user import User

# --- Users ---------------------------------------------------------------------------------------


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_for_update(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The account row, locked until the transaction ends and re-read (not the identity map's
    possibly stale copy): status changes decide on what is committed now."""
    return await session.scalar(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def find_user_by_customer_number(session: AsyncSession, number: str) -> User | None:
    return await session.scalar(select(User).where(User.customer_number == number))


async def email_is_taken(session: AsyncSession, email: str) -> bool:
    found = await session.scalar(select(User.id).where(User.email == email).limit(1))
    return found is not None


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the unique index an INSERT/UPDATE ran into (asyncpg reports it)."""
    cause = getattr(error.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None)
    return str(name) if name else None


EMAIL_UNIQUE_INDEX = "uq_user_account_email"
CUSTOMER_NUMBER_UNIQUE_INDEX = "uq_user_account_customer_number"


# --- Advisory locks ------------------------------------------------------------------------------


class LockSpace(IntEnum):
    """First key of `pg_advisory_xact_lock(int, int)`; the second is a hash of the subject.
    A hash collision only makes two unrelated subjects wait for each other."""

    login_account = 7101  # failed-login counting per account (R-ID-8)
    student_registration_address = 7102  # student-registration throttle per address (R-ID-2)


async def advisory_lock(session: AsyncSession, space: LockSpace, key: str) -> None:
    """Serialize this transaction with every other one locking the same (space, key)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
        {"space": int(space), "key": key},
    )


# --- Failed logins and throttles (R-ID-8) -------------------------------------------------------


async def login_failures_for_account(
    session: AsyncSession, subject_id: uuid.UUID, *, since: datetime
) -> list[datetime]:
    """Failures at or after `since` (inclusive: a failure recorded at the very instant of a
    successful login is not known to come after it, so it still counts)."""
    rows = await session.scalars(
        select(LoginFailure.failed_at).where(
            LoginFailure.user_id == subject_id, LoginFailure.failed_at >= since
        )
    )
    return list(rows)


async def login_failures_for_address(
    session: AsyncSession, ip_address: str, *, since: datetime
) -> list[datetime]:
    rows = await session.scalars(
        select(LoginFailure.failed_at).where(
            LoginFailure.ip_address == ip_address, LoginFailure.failed_at > since
        )
    )
    return list(rows)


async def add_login_failure(
    session: AsyncSession, *, subject_id: uuid.UUID, ip_address: str, at: datetime
) -> None:
    session.add(LoginFailure(user_id=subject_id, ip_address=ip_address, failed_at=at))
    await session.flush()


async def throttle_events(session: AsyncSession, bucket: str, *, since: datetime) -> list[datetime]:
    """Instants recorded under `bucket` after `since` (one entry per recorded event).

    `rate_limit_window` rows keyed by the event's own instant serve as an exact event log here:
    a sliding window needs the instants, which fixed windows (app.kit.ratelimit) round away.
    """
    rows = await session.execute(
        select(RateLimitWindow.window_start, RateLimitWindow.count).where(
            RateLimitWindow.bucket == bucket, RateLimitWindow.window_start > since
        )
    )
    return [at for at, count in rows for _ in range(count)]


async def add_throttle_event(session: AsyncSession, bucket: str, *, at: datetime) -> None:
    statement = insert(RateLimitWindow).values(bucket=bucket, window_start=at, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=[RateLimitWindow.bucket, RateLimitWindow.window_start],
        set_={"count": RateLimitWindow.count + 1},
    )
    await session.execute(statement)


# --- Customer registry (R-ID-2) -------------------------------------------------------------------


async def get_customer_record(session: AsyncSession, customer_number: str) -> CustomerRecord | None:
    return await session.scalar(
        select(CustomerRecord).where(CustomerRecord.customer_number == customer_number)
    )


# --- Login sessions and refresh tokens (R-ID-7) --------------------------------------------------


def sessions_readable_by(user_id: uuid.UUID) -> Select[AuthSession]:
    """The login sessions a member may see and end: their own."""
    return select(AuthSession).where(AuthSession.user_id == user_id)


def active_sessions_readable_by(user_id: uuid.UUID, *, now: datetime) -> Select[AuthSession]:
    return sessions_readable_by(user_id).where(
        AuthSession.revoked_at.is_(None), AuthSession.expires_at > now
    )


async def get_session_readable_by(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> AuthSession | None:
    return await session.scalar(
        sessions_readable_by(user_id).where(AuthSession.id == session_id).with_for_update()
    )


async def get_auth_session(
    session: AsyncSession, session_id: uuid.UUID, *, for_update: bool = False
) -> AuthSession | None:
    statement = select(AuthSession).where(AuthSession.id == session_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def use_refresh_token(
    session: AsyncSession, digest: str, *, now: datetime
) -> tuple[uuid.UUID, datetime] | None:
    """Mark the unused token with this digest used; (its session id, its expiry) or None."""
    row = (
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == digest, RefreshToken.used_at.is_(None))
            .values(used_at=now)
            .returning(RefreshToken.session_id, RefreshToken.expires_at)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def find_refresh_token(session: AsyncSession, digest: str) -> RefreshToken | None:
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))


async def revoke_sessions(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    only: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> int:
    """Revoke the user's live sessions (all, `only` one, or all but `keep`); how many ended."""
    statement = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if only is not None:
        statement = statement.where(AuthSession.id == only)
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    result = await session.execute(
        statement.values(revoked_at=now, revoked_reason=reason).execution_options(
            synchronize_session="fetch"
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- Emailed single-use tokens (R-ID-1, R-ID-5, R-ID-6) -------------------------------------------


async def add_account_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    purpose: AccountTokenPurpose,
    digest: str,
    now: datetime,
    expires_at: datetime,
    new_email: str | None = None,
) -> AccountToken:
    token = AccountToken(
        id=uuid.uuid4(),
        user_id=user_id,
        purpose=purpose,
        token_hash=digest,
        new_email=new_email,
        created_at=now,  # the app's clock, so "issued within the last N minutes" follows it
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token


async def find_account_token(
    session: AsyncSession, digest: str, purpose: AccountTokenPurpose
) -> AccountToken | None:
    return await session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == digest, AccountToken.purpose == purpose
        )
    )


async def use_account_token(session: AsyncSession, token_id: uuid.UUID, *, now: datetime) -> bool:
    """Consume the token if nobody else has (False when a concurrent request was first)."""
    result = await session.execute(
        update(AccountToken)
        .where(AccountToken.id == token_id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .returning(AccountToken.id)
        .execution_options(synchronize_session="fetch")
    )
    return result.one_or_none() is not None


async def retire_account_tokens(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    purposes: Iterable[AccountTokenPurpose],
    now: datetime,
) -> None:
    """Make the user's outstanding tokens of these purposes unusable (marked used now)."""
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose.in_(list(purposes)),
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )


async def count_account_tokens_issued(
    session: AsyncSession, user_id: uuid.UUID, purpose: AccountTokenPurpose, *, since: datetime
) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.created_at > since,
        )
    )
    return int(count or 0)


# --- Terms (R-ID-1, R-ID-10) --------------------------------------------------------------------


async def current_terms_documents(
    session: AsyncSession, *, today: date
) -> dict[TermsKind, TermsDocument]:
    """Per kind, the latest document already in effect on `today` (JST)."""
    rows = await session.scalars(
        select(TermsDocument)
        .where(TermsDocument.effective_on <= today)
        .ext(distinct_on(TermsDocument.kind))
        .order_by(
            TermsDocument.kind, TermsDocument.effective_on.desc(), TermsDocument.created_at.desc()
        )
    )
    return {document.kind: document for document in rows}


async def terms_acceptances(
    session: AsyncSession, user_id: uuid.UUID
) -> Sequence[tuple[TermsAcceptance, TermsDocument]]:
    rows = await session.execute(
        select(TermsAcceptance, TermsDocument)
        .join(TermsDocument, TermsDocument.id == TermsAcceptance.document_id)
        .where(TermsAcceptance.user_id == user_id)
        .order_by(TermsDocument.effective_on.desc(), TermsAcceptance.accepted_at.desc())
    )
    return [(acceptance, document) for acceptance, document in rows]


async def add_terms_acceptances(
    session: AsyncSession, user_id: uuid.UUID, document_ids: Iterable[uuid.UUID], *, now: datetime
) -> int:
    """Record acceptances, skipping documents already accepted; how many were new."""
    values = [
        {"id": uuid.uuid4(), "user_id": user_id, "document_id": document_id, "accepted_at": now}
        for document_id in document_ids
    ]
    if not values:
        return 0
    result = await session.execute(
        insert(TermsAcceptance)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=[TermsAcceptance.user_id, TermsAcceptance.document_id]
        )
        .returning(TermsAcceptance.id)
    )
    return len(result.all())
