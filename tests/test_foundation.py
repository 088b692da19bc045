"""The skeleton: problems, request ids, health, the adjustable clock, one transaction per request."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "up"


async def test_unknown_route_is_a_problem_in_japanese_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "not-found"
    assert body["title"] == "見つかりません"
    assert body["status"] == 404


async def test_problem_text_follows_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/no-such-thing", headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert response.json()["title"] == "Not found"
    assert response.headers["content-language"] == "en"


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 32


async def test_dev_clock_freezes_and_advances(client: httpx.AsyncClient) -> None:
    frozen = await client.put("/api/v1/dev/clock", json={"frozen_at": "2027-02-28T23:59:59+09:00"})
    assert frozen.status_code == 200
    assert frozen.json()["frozen"] is True
    assert datetime.fromisoformat(frozen.json()["now"]) == datetime(
        2027, 2, 28, 14, 59, 59, tzinfo=UTC
    )
    advanced = await client.post("/api/v1/dev/clock/advance", json={"seconds": 1})
    assert datetime.fromisoformat(advanced.json()["now"]) == datetime(
        2027, 2, 28, 15, 0, 0, tzinfo=UTC
    )
    read = await client.get("/api/v1/dev/clock")
    assert read.json()["now"] == advanced.json()["now"]
    reset = await client.delete("/api/v1/dev/clock")
    assert reset.status_code == 204
    assert (await client.get("/api/v1/dev/clock")).json()["frozen"] is False


async def test_dev_clock_rejects_naive_datetime(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/dev/clock", json={"frozen_at": "2027-02-28T23:59:59"})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "validation-error"
    assert "body.frozen_at" in body["errors"]


async def test_failed_request_rolls_back(client: httpx.AsyncClient, session: AsyncSession) -> None:
    """A validation failure leaves the clock row untouched (nothing half-written)."""
    before = await session.scalar(text("SELECT count(*) FROM test_clock"))
    await client.put("/api/v1/dev/clock", json={"frozen_at": "not-a-date"})
    after = await session.scalar(text("SELECT count(*) FROM test_clock"))
    assert before == after


async def test_validation_problem_is_localized_per_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/dev/clock/advance", json={"days": -1})
    assert response.status_code == 422
    assert response.json()["errors"]["body.days"] == ["0以上で指定してください。"]
    english = await client.post(
        "/api/v1/dev/clock/advance", json={"days": -1}, headers={"Accept-Language": "en"}
    )
    assert english.json()["errors"]["body.days"] == ["Input should be greater than or equal to 0"]


async def test_unknown_field_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/dev/clock/advance", json={"days": 1, "hours": 2})
    assert response.status_code == 422
    assert "body.hours" in response.json()["errors"]
