"""The signed-in member's own account: profile, profile changes, self-withdrawal (R-ID-9, R-ID-10).

Everything here acts on the caller's own `User` (from the authenticator); there is no user id
to pass, so nobody can reach someone else's profile through these operations.

- Profile changes are limited to the name and the language. Students registered through the
  customer registry (R-ID-2) keep the registry's name: seed 002 総則第8条第3項 has them report a
  change of name to the office on paper or by phone, so `name-managed-by-registry`.
- Self-withdrawal (退会, R-ID-9; seed 002 総則第9条第1項) needs the current password; then
  `account_status.withdraw_account` does what staff withdrawal does too: the account becomes
  `withdrawn`, every session ends, every emailed link dies, the member gets the
  `account_withdrawn` email (with the way back) and the act is audited. Nothing is deleted: the
  data is kept (seed 002 総則第9条第1項 keeps using personal data after withdrawal; R-SUB-11
  restores history on rejoining, `app.auth.service.rejoin`). Only individual members withdraw
  themselves: accounts of an organization are closed by its administrator, and staff accounts
  by an admin (`withdrawal-not-allowed`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.errors import NameManagedByRegistry, WithdrawalNotAllowed
from app.auth.service import account_status, terms
from app.auth.service.guard import verify_current_password
from app.config import Settings
from app.kit.request_context import ClientInfo
from app.models.user import AccountStatus, Role, User


@dataclass(frozen=True)
class Profile:
    id: uuid.UUID
    name: str
    email: str
    email_verified: bool
    role: Role
    status: AccountStatus
    customer_number: str | None
    organization_id: uuid.UUID | None
    locale: str
    created_at: datetime
    terms: terms.TermsStatus


async def profile_of(session: AsyncSession, user: User, *, now: datetime) -> Profile:
    return Profile(
        id=user.id,
        name=user.name,
        email=user.email,
        email_verified=user.email_verified_at is not None,
        role=user.role,
        status=user.status,
        customer_number=user.customer_number,
        organization_id=user.organization_id,
        locale=user.locale,
        created_at=user.created_at,
        terms=await terms.status_for(session, user.id, now=now),
    )


async def update_profile(
    session: AsyncSession, user: User, *, name: str | None, locale: str | None
) -> None:
    """Change the name and/or language; None leaves a field as it is."""
    if name is not None and name != user.name:
        if user.customer_number is not None:
            raise NameManagedByRegistry()
        user.name = name
    if locale is not None:
        user.locale = locale
    await session.flush()


async def withdraw(
    session: AsyncSession,
    *,
    user: User,
    current_password: str,
    reason: str | None,
    now: datetime,
    client: ClientInfo,
    settings: Settings,
) -> None:
    if user.role is not Role.member or user.organization_id is not None:
        raise WithdrawalNotAllowed()
    await verify_current_password(
        session,
        user,
        current_password,
        purpose="withdrawal",
        now=now,
        client=client,
        settings=settings,
    )
    await account_status.withdraw_account(
        session, user, actor=user, reason=reason, now=now, client=client, settings=settings
    )
