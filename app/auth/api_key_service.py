"""Creating, listing and revoking partner API keys (R-ID-11, R-ID-12).

Two doors, one rule set:

- admins manage every key: platform-wide keys (no organization) and keys of any organization;
- an org_admin manages their own organization's keys only. Their reads and revocations go through
  `keys_statement(organization_id=...)`, so another organization's key is simply not found (404):
  its existence is not disclosed.

The full key is returned once, by `create_api_key`; the table keeps its SHA-256 digest and the
visible prefix. Scopes come from the fixed `ApiScope` vocabulary (duplicates collapse). Creation
and revocation are audited; revoking an already revoked key changes nothing and answers the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.api_keys import ApiScope
from app.auth.errors import ApiKeyExpiryInPast, ApiKeyNotFound, OrganizationNotFound
from app.kit.request_context import ClientInfo
from app.kit.security import new_api_key
from app.models.api_key import ApiKey
from app.models.user import Organization, User

ALL_ORGANIZATIONS = None  # readability: `keys_statement(organization_id=ALL_ORGANIZATIONS)`


def keys_statement(*, organization_id: uuid.UUID | None, only_organization: bool) -> Select[ApiKey]:
    """Keys visible to the caller. `only_organization=True` (org_admins) restricts to exactly
    `organization_id`; otherwise (admins) `organization_id` is an optional filter."""
    statement = select(ApiKey)
    if only_organization or organization_id is not None:
        statement = statement.where(ApiKey.organization_id == organization_id)
    return statement


async def get_api_key(
    session: AsyncSession,
    key_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | None = ALL_ORGANIZATIONS,
    only_organization: bool = False,
    for_update: bool = False,
) -> ApiKey:
    statement = keys_statement(
        organization_id=organization_id, only_organization=only_organization
    ).where(ApiKey.id == key_id)
    if for_update:
        statement = statement.with_for_update()
    key = await session.scalar(statement)
    if key is None:
        raise ApiKeyNotFound()
    return key


def _normalized_scopes(scopes: Iterable[ApiScope]) -> list[str]:
    return sorted({ApiScope(scope).value for scope in scopes})


async def create_api_key(
    session: AsyncSession,
    *,
    actor: User,
    name: str,
    scopes: Iterable[ApiScope],
    organization_id: uuid.UUID | None,
    expires_at: datetime | None,
    now: datetime,
    client: ClientInfo,
) -> tuple[ApiKey, str]:
    """Create a key; returns it and the full key, which is never available again."""
    if expires_at is not None and expires_at <= now:
        raise ApiKeyExpiryInPast()
    if organization_id is not None and await session.get(Organization, organization_id) is None:
        raise OrganizationNotFound()
    full_key, prefix, digest = new_api_key()
    key = ApiKey(
        id=uuid.uuid4(),
        name=name,
        prefix=prefix,
        key_hash=digest,
        scopes=_normalized_scopes(scopes),
        organization_id=organization_id,
        created_by_id=actor.id,
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    await record_audit_event(
        session,
        action=AuditAction.api_key_created,
        now=now,
        actor_user_id=actor.id,
        target_type="api_key",
        target_id=key.id,
        client=client,
        data={
            "prefix": prefix,
            "name": name,
            "scopes": key.scopes,
            "organization_id": str(organization_id) if organization_id else None,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return key, full_key


async def revoke_api_key(
    session: AsyncSession,
    *,
    actor: User,
    key_id: uuid.UUID,
    organization_id: uuid.UUID | None = ALL_ORGANIZATIONS,
    only_organization: bool = False,
    now: datetime,
    client: ClientInfo,
) -> ApiKey:
    key = await get_api_key(
        session,
        key_id,
        organization_id=organization_id,
        only_organization=only_organization,
        for_update=True,
    )
    if key.revoked_at is not None:
        return key
    key.revoked_at = now
    await record_audit_event(
        session,
        action=AuditAction.api_key_revoked,
        now=now,
        actor_user_id=actor.id,
        target_type="api_key",
        target_id=key.id,
        client=client,
        data={
            "prefix": key.prefix,
            "organization_id": str(key.organization_id) if key.organization_id else None,
        },
    )
    return key
