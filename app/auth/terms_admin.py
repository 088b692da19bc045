"""Publishing versions of the terms of use and the privacy policy (R-ID-10, R-ID-12).

A version is immutable once published (members accept exactly that text, R-ID-1): there is no
edit, only a new version. `(kind, version)` is unique; a second publication of the same pair is a
409 even when two admins race (the insert is `ON CONFLICT DO NOTHING`).

`effective_on` may not lie before today in Japan: the seed's terms take effect when posted
(変更後の本規約が本サービス上に掲載された時点で効力を生じる), so a back-dated version would claim
members were bound by text they could not have seen. Historic versions belong in data migrations.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.errors import TermsEffectiveDateInPast, TermsNotFound, TermsVersionExists
from app.kit.calendar import jst_date
from app.kit.request_context import ClientInfo
from app.models.terms import TermsDocument, TermsKind
from app.models.user import User


def terms_statement(*, kind: TermsKind | None = None) -> Select[TermsDocument]:
    statement = select(TermsDocument)
    if kind is not None:
        statement = statement.where(TermsDocument.kind == kind)
    return statement


async def get_terms(session: AsyncSession, document_id: uuid.UUID) -> TermsDocument:
    document = await session.get(TermsDocument, document_id)
    if document is None:
        raise TermsNotFound()
    return document


async def publish_terms(
    session: AsyncSession,
    *,
    actor: User,
    kind: TermsKind,
    version: str,
    effective_on: date,
    title: str,
    body: str,
    now: datetime,
    client: ClientInfo,
) -> TermsDocument:
    today = jst_date(now)
    if effective_on < today:
        raise TermsEffectiveDateInPast(today=today.isoformat())
    document_id = await session.scalar(
        insert(TermsDocument)
        .values(
            id=uuid.uuid4(),
            kind=kind,
            version=version,
            effective_on=effective_on,
            title=title,
            body=body,
        )
        .on_conflict_do_nothing(index_elements=[TermsDocument.kind, TermsDocument.version])
        .returning(TermsDocument.id)
    )
    if document_id is None:
        raise TermsVersionExists(kind=kind.value, version=version)
    document = await get_terms(session, document_id)
    await record_audit_event(
        session,
        action=AuditAction.terms_published,
        now=now,
        actor_user_id=actor.id,
        target_type="terms_document",
        target_id=document.id,
        client=client,
        data={"kind": kind.value, "version": version, "effective_on": effective_on.isoformat()},
    )
    return document
