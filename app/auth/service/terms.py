"""Terms of service and privacy policy as members see them (R-ID-1, R-ID-10).

The current document of a kind is the latest one whose `effective_on` (a JST date) is today or
earlier; a document published ahead of its date is not current yet. Registration and
`POST /me/terms-acceptances` must name exactly the current versions: a client that shows an
outdated text gets `terms-version-outdated` and the versions to show instead.
Publishing documents is staff work (the admin router), not this module's.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository, rules
from app.auth.errors import TermsNotPublished, TermsVersionOutdated
from app.kit.calendar import jst_date
from app.models.terms import TermsAcceptance, TermsDocument, TermsKind

REQUIRED_KINDS = (TermsKind.terms, TermsKind.privacy)


@dataclass(frozen=True)
class TermsStatus:
    """Which versions are current, which the member accepted, and whether they must accept."""

    current_terms_version: str | None
    current_privacy_version: str | None
    accepted_terms_version: str | None
    accepted_privacy_version: str | None
    needs_terms_acceptance: bool


@dataclass(frozen=True)
class AcceptedDocument:
    kind: TermsKind
    version: str
    effective_on: date
    title: str
    accepted_at: datetime


async def current_documents(
    session: AsyncSession, *, now: datetime
) -> dict[TermsKind, TermsDocument]:
    return await repository.current_terms_documents(session, today=jst_date(now))


async def require_current_versions(
    session: AsyncSession, *, terms_version: str, privacy_version: str, now: datetime
) -> list[TermsDocument]:
    """The current documents, when the client accepted exactly those versions (R-ID-1)."""
    current = await current_documents(session, now=now)
    if any(kind not in current for kind in REQUIRED_KINDS):
        raise TermsNotPublished()
    presented = {TermsKind.terms.value: terms_version, TermsKind.privacy.value: privacy_version}
    if not rules.versions_match(
        {kind.value: current[kind].version for kind in REQUIRED_KINDS}, presented
    ):
        raise TermsVersionOutdated(
            terms_version=current[TermsKind.terms].version,
            privacy_version=current[TermsKind.privacy].version,
            extensions={
                "current_terms_version": current[TermsKind.terms].version,
                "current_privacy_version": current[TermsKind.privacy].version,
            },
        )
    return [current[kind] for kind in REQUIRED_KINDS]


async def record_acceptance(
    session: AsyncSession, user_id: uuid.UUID, documents: Sequence[TermsDocument], *, now: datetime
) -> int:
    """Record that the member accepted these documents now; how many were newly accepted."""
    return await repository.add_terms_acceptances(
        session, user_id, [document.id for document in documents], now=now
    )


async def accept_current(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    terms_version: str,
    privacy_version: str,
    now: datetime,
) -> int:
    documents = await require_current_versions(
        session, terms_version=terms_version, privacy_version=privacy_version, now=now
    )
    return await record_acceptance(session, user_id, documents, now=now)


async def accepted_documents(session: AsyncSession, user_id: uuid.UUID) -> list[AcceptedDocument]:
    """Everything the member accepted, newest document first."""
    return [
        _accepted(acceptance, document)
        for acceptance, document in await repository.terms_acceptances(session, user_id)
    ]


def _accepted(acceptance: TermsAcceptance, document: TermsDocument) -> AcceptedDocument:
    return AcceptedDocument(
        kind=document.kind,
        version=document.version,
        effective_on=document.effective_on,
        title=document.title,
        accepted_at=acceptance.accepted_at,
    )


async def status_for(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> TermsStatus:
    current = await current_documents(session, now=now)
    accepted = await repository.terms_acceptances(session, user_id)
    latest: dict[TermsKind, str] = {}
    for _, document in accepted:  # newest first: keep the first seen per kind
        latest.setdefault(document.kind, document.version)
    terms, privacy = current.get(TermsKind.terms), current.get(TermsKind.privacy)
    return TermsStatus(
        current_terms_version=terms.version if terms else None,
        current_privacy_version=privacy.version if privacy else None,
        accepted_terms_version=latest.get(TermsKind.terms),
        accepted_privacy_version=latest.get(TermsKind.privacy),
        needs_terms_acceptance=rules.needs_terms_acceptance(
            [document.id for document in current.values()],
            [document.id for _, document in accepted],
        ),
    )
