"""GET /metrics: request count and latency by method, route template and status."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.main import create_app


def _samples(text: str, name: str) -> dict[tuple[str, str, str], float]:
    found: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                labels = sample.labels
                found[(labels["method"], labels["route"], labels["status"])] = sample.value
    return found


async def _metrics(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    before = _samples(await _metrics(client), "manabi_http_requests_total")
    for _ in range(3):
        assert (await client.get("/healthz")).status_code == 200
    text = await _metrics(client)
    after = _samples(text, "manabi_http_requests_total")
    key = ("GET", "/healthz", "200")
    assert after[key] - before.get(key, 0.0) == 3
    latency = _samples(text, "manabi_http_request_duration_seconds_count")
    assert latency[key] >= 3


async def test_metrics_use_the_template_not_the_raw_path(settings: Settings) -> None:
    """Ids in paths must not become label values (one series per id would never stop growing)."""
    app: FastAPI = create_app(settings)

    @app.get("/probe/{thing_id}/parts/{part}")
    async def probe(thing_id: str, part: str) -> dict[str, str]:
        return {"thing_id": thing_id}

    files = FastAPI()

    @files.get("/{name}")
    async def file(name: str) -> dict[str, str]:
        return {"name": name}

    app.mount("/files", files)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        before = _samples(await _metrics(client), "manabi_http_requests_total")
        await client.get("/probe/123/parts/a")
        await client.get("/probe/456/parts/b")
        await client.get("/no/such/path/789")
        assert (await client.get("/files/report-321.pdf")).status_code == 200
        assert (await client.get("/docs")).status_code == 200
        text = await _metrics(client)
    after = _samples(text, "manabi_http_requests_total")

    def delta(key: tuple[str, str, str]) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta(("GET", "/probe/{thing_id}/parts/{part}", "200")) == 2
    assert delta(("GET", "<unmatched>", "404")) == 1
    assert delta(("GET", "/files/{name}", "200")) == 1  # the mount's prefix is kept
    assert delta(("GET", "/docs", "200")) == 1  # FastAPI's own (non-API) routes too
    routes = {route for _, route, _ in after}
    for raw in ("123", "456", "789", "321"):
        assert not any(raw in route for route in routes)


async def test_metrics_label_the_hot_routes_by_template(client: httpx.AsyncClient) -> None:
    """The catalog, lesson page and progress routes are mounted at the top level, and the
    progress write has a twin for requests without `Idempotency-Key`: both count under the
    operation's template."""
    before = _samples(await _metrics(client), "manabi_http_requests_total")
    lesson = "/api/v1/lessons/{lesson_id}"
    events = "/api/v1/me/lessons/{lesson_id}/progress-events"
    await client.get(f"/api/v1/lessons/{uuid.uuid4()}")
    await client.post(f"/api/v1/me/lessons/{uuid.uuid4()}/progress-events", json={})
    await client.post(
        f"/api/v1/me/lessons/{uuid.uuid4()}/progress-events",
        json={},
        headers={"Idempotency-Key": "k"},
    )
    after = _samples(await _metrics(client), "manabi_http_requests_total")

    def delta(key: tuple[str, str, str]) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta(("GET", lesson, "401")) == 1
    assert delta(("POST", events, "401")) == 2


async def test_metrics_are_not_in_the_openapi_schema(app: FastAPI) -> None:
    assert "/metrics" not in app.openapi()["paths"]
