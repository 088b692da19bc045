"""Versioned terms and acceptances (R-ID-1, R-ID-10)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from tests.auth import assert_problem, make_terms, snapshot
from tests.factories import bearer_for, make_user


async def test_r_id_10_terms_are_public_and_current_per_jst_date(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await make_terms(
        session, terms_version="1", privacy_version="p1", effective_on=date(2026, 4, 1)
    )
    await make_terms(
        session, terms_version="2", privacy_version="p2", effective_on=date(2026, 12, 1)
    )

    # 2026-11-30 23:59:59 JST: the December version is not in effect yet.
    await freeze_time(datetime(2026, 11, 30, 14, 59, 59, tzinfo=UTC))
    body = (await client.get("/api/v1/terms")).json()
    assert body["terms"]["version"] == "1" and body["privacy"]["version"] == "p1"
    assert body["terms"]["effective_on"] == "2026-04-01" and body["terms"]["body"]

    # 2026-12-01 00:00 JST (still November 30 in UTC): it is.
    await freeze_time(datetime(2026, 11, 30, 15, 0, 0, tzinfo=UTC))
    body = (await client.get("/api/v1/terms")).json()
    assert body["terms"]["version"] == "2" and body["privacy"]["version"] == "p2"


async def test_r_id_10_no_terms_published(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/terms")).json() == {"terms": None, "privacy": None}


async def test_r_id_10_members_accept_the_current_versions_and_see_their_history(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    headers = await bearer_for(session, user, settings)
    await make_terms(
        session, terms_version="1", privacy_version="p1", effective_on=date(2026, 1, 1)
    )
    await make_terms(
        session, terms_version="2", privacy_version="p1b", effective_on=date(2026, 6, 1)
    )
    await session.commit()

    before = await snapshot(session)
    outdated = await client.post(
        "/api/v1/me/terms-acceptances",
        json={"terms_version": "1", "privacy_version": "p1"},
        headers=headers,
    )
    body = assert_problem(outdated, 409, "terms-version-outdated")
    assert (body["current_terms_version"], body["current_privacy_version"]) == ("2", "p1b")
    assert await snapshot(session) == before

    current = {"terms_version": "2", "privacy_version": "p1b"}
    created = await client.post("/api/v1/me/terms-acceptances", json=current, headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/v1/me/terms-acceptances"
    assert created.json()["status"]["needs_terms_acceptance"] is False
    assert {(i["kind"], i["version"]) for i in created.json()["items"]} == {
        ("terms", "2"),
        ("privacy", "p1b"),
    }

    again = await client.post("/api/v1/me/terms-acceptances", json=current, headers=headers)
    assert again.status_code == 200
    listed = await client.get("/api/v1/me/terms-acceptances", headers=headers)
    assert listed.json() == again.json()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"terms_version": "1"},
        {"terms_version": "", "privacy_version": "p1"},
        {"terms_version": 1, "privacy_version": "p1"},
    ],
)
async def test_r_id_10_malformed_acceptances_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, payload: dict[str, Any]
) -> None:
    user = await make_user(session)
    headers = await bearer_for(session, user, settings)
    await make_terms(
        session, terms_version="1", privacy_version="p1", effective_on=date(2026, 1, 1)
    )
    await session.commit()
    before = await snapshot(session)
    response = await client.post("/api/v1/me/terms-acceptances", json=payload, headers=headers)
    assert_problem(response, 422, "validation-error")
    assert await snapshot(session) == before
