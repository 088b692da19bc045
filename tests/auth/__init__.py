"""Helpers for the member identity tests: terms documents, the customer registry, emails in the
outbox, and a database snapshot to prove that a refused request changed nothing (SPEC §0)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CustomerRecord, EmailOutbox, TermsDocument, TermsKind, User

TERMS_VERSION = "2026-04"
PRIVACY_VERSION = "2026-04p"
TERMS = {"terms_version": TERMS_VERSION, "privacy_version": PRIVACY_VERSION}
# Any instant after the documents took effect; tests that care freeze the clock themselves.
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 10:00 JST

# Every table a member-facing identity operation may write to.
TABLES = (
    "user_account",
    "auth_session",
    "refresh_token",
    "account_token",
    "terms_acceptance",
    "email_outbox",
    "audit_event",
    "login_failure",
    "rate_limit_window",
    "customer_record",
    "procrastinate_jobs",
)


async def make_terms(
    session: AsyncSession,
    *,
    terms_version: str = TERMS_VERSION,
    privacy_version: str = PRIVACY_VERSION,
    effective_on: date = date(2026, 4, 1),
) -> tuple[TermsDocument, TermsDocument]:
    documents = (
        TermsDocument(
            id=uuid.uuid4(),
            kind=TermsKind.terms,
            version=terms_version,
            effective_on=effective_on,
            title=f"利用規約 {terms_version}",
            body="第1条 …",
        ),
        TermsDocument(
            id=uuid.uuid4(),
            kind=TermsKind.privacy,
            version=privacy_version,
            effective_on=effective_on,
            title=f"個人情報の保護と取扱いについて {privacy_version}",
            body="1. …",
        ),
    )
    session.add_all(documents)
    await session.flush()
    return documents


async def make_customer(
    session: AsyncSession,
    *,
    customer_number: str = "01234567890",
    phone: str = "09012345678",
    name: str = "学習 花子",
) -> CustomerRecord:
    record = CustomerRecord(
        id=uuid.uuid4(),
        customer_number=customer_number,
        name=name,
        phone=phone,
        phone_recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.add(record)
    await session.flush()
    return record


async def snapshot(session: AsyncSession) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row, per table: equal snapshots mean nothing changed."""
    result: dict[str, tuple[int, str]] = {}
    for table in TABLES:
        row = (
            await session.execute(
                text(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f"FROM {table} t"
                )
            )
        ).one()
        result[table] = (int(row[0]), str(row[1]))
    return result


async def count(session: AsyncSession, table: str, where: str = "true", **params: Any) -> int:
    value = await session.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}"), params)
    return int(value or 0)


async def emails(session: AsyncSession, template: str | None = None) -> list[EmailOutbox]:
    statement = select(EmailOutbox).order_by(EmailOutbox.created_at, EmailOutbox.id)
    if template is not None:
        statement = statement.where(EmailOutbox.template == template)
    return list(await session.scalars(statement.execution_options(populate_existing=True)))


async def email_ids(session: AsyncSession) -> set[uuid.UUID]:
    return set(await session.scalars(select(EmailOutbox.id)))


async def new_emails(
    session: AsyncSession, before: set[uuid.UUID], template: str | None = None
) -> list[EmailOutbox]:
    """Emails written since `before` was taken (outbox rows of one test transaction share
    their database `created_at`, so they cannot be ordered by it)."""
    return [mail for mail in await emails(session, template) if mail.id not in before]


def link_token(body: str, path: str) -> str:
    """The token of the front-end link `path` in an email body."""
    match = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_\-]+)", body)
    assert match, f"no {path} link in: {body}"
    return match.group(1)


async def reload(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.scalar(
        select(User).where(User.id == user_id).execution_options(populate_existing=True)
    )
    assert user is not None
    return user


async def log_in(
    client: httpx.AsyncClient, login_id: str, password: str, **headers: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"login_id": login_id, "password": password}, headers=headers
    )


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_problem(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == type_, body
    return body
