"""Prometheus metrics: request count and latency by method, route template and status.

`app.ops.middleware.RequestMiddleware` (pure ASGI) calls `record` once per request. It labels
each request with the *route template* the router matched (`/api/v1/courses/{course_id}`), never
the raw path: raw paths carry ids, and one label value per id would grow the series without
bound. Requests no route matched (scanners, typos)
share the single label `<unmatched>` for the same reason.

`GET /metrics` (app/ops/router.py) renders the text exposition format; it is left out of the
OpenAPI schema. Keep it off the public internet at the load balancer (scrape it from inside).

Several uvicorn workers (`--workers N`, the Dockerfile's `WEB_CONCURRENCY`) are separate
processes, each with its own counters: a scrape would see whichever worker answered. For that
case prometheus-client has a multiprocess mode: set `PROMETHEUS_MULTIPROC_DIR` to an empty,
writable directory *before* the workers start (wipe it on every deploy/start), and the workers
write their samples to files there which `render()` aggregates. Without the variable, metrics are
per process, which is right for one worker and for tests.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.routing import Match, Mount
from starlette.types import Scope

UNMATCHED = "<unmatched>"

REQUESTS = Counter(
    "manabi_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "manabi_http_request_duration_seconds",
    "Time from receiving a request to the end of its response, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# Methods outside this set (anything a client invents) are folded into one label value.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _template_of(route: object) -> str | None:
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return None
    if isinstance(route, Mount):  # a mount answered itself (no inner route matched)
        template = template.removesuffix("/{path}") + "/{path}"
    return template


def route_template(scope: Scope, entry: Scope, status: int) -> str:
    """The path template of the route that answered, with any mount prefixes.

    `entry` is a copy of the scope as it reached the middleware (routing mutates the scope).
    FastAPI records the matched route in `scope["route"]` for its own routes (`APIRoute`); the
    plain Starlette routes it adds itself (/docs, /openapi.json) and mounts are found again the
    way the router found them — except for 404s, which cannot have matched anything.
    """
    route = scope.get("route")
    if route is not None and (template := _template_of(route)) is not None:
        # Mounts extend root_path on their way down; what they added is part of the template.
        prefix = (scope.get("root_path") or "").removeprefix(entry.get("root_path") or "")
        return (prefix + template) or "/"
    if status == 404:
        return UNMATCHED
    router = getattr(scope.get("app"), "router", None)
    for candidate in getattr(router, "routes", ()):
        match, _ = candidate.matches(entry)
        if match is Match.FULL and (template := _template_of(candidate)) is not None:
            return template
    return UNMATCHED


_Children = tuple[Any, Any]
_children: dict[tuple[str, str, str], _Children] = {}


def record(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and observe its latency. The labelled children are looked up
    once per (method, route template, status) — a bounded set — and kept: `labels()` validates
    and locks on every call, a measurable share of a hot request (bench/)."""
    key = (method if method in _METHODS else "OTHER", route, str(status))
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUESTS.labels(*key), LATENCY.labels(*key))
    children[0].inc()
    children[1].observe(seconds)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type (aggregated across workers in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
