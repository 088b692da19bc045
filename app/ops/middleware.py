"""Request id (echoed when sent, generated otherwise), access log, metrics, CORS.

One pure-ASGI middleware (`RequestMiddleware`, no `BaseHTTPMiddleware`: that one buffers
streaming responses and breaks context variables) does the per-request work, outside CORS, so
every answer is counted and carries `X-Request-ID`, CORS preflights included. It used to be two
middlewares (metrics, then request id and access log); each layer costs a wrapped `send` and
a coroutine per request, measurable on the hottest endpoints (bench/).

- Request id: `X-Request-ID` is echoed when it is a short token (`[A-Za-z0-9._:-]{1,64}`),
  replaced by a fresh one otherwise; it is in `request.state.request_id`, in the response
  header and in every log line written during the request (`app.ops.logging.request_id_var`).
- Metrics: count and latency by method, route template and status (`app.ops.metrics.record`).
- Access log: ours, since uvicorn's is switched off in `app.ops.logging.configure_logging`, so
  each request is logged once. It records the method, path, route template, status and
  duration — never headers or the query string, which may carry `Authorization`, `X-API-Key` or
  one-time tokens.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.ops import metrics
from app.ops.logging import request_id_var

access_logger = logging.getLogger("manabi.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_REQUEST_ID_HEADER = b"x-request-id"


class RequestMiddleware:
    """Request id, metrics and access log for every HTTP request (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        entry = dict(scope)  # routing mutates the scope; the route template needs the original
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == _REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
                break
        request_id = (
            incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (_REQUEST_ID_HEADER, request_id.encode())
        status = 500  # what the client gets when the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method = scope.get("method", "")
            route = metrics.route_template(scope, entry, status)
            metrics.record(method, route, status, seconds)
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope.get("path"),
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )
            request_id_var.reset(token)


def install_middleware(app: FastAPI, settings: Settings) -> None:
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Idempotent-Replayed", "Retry-After", "Location"],
        )
    app.add_middleware(RequestMiddleware)  # added last = outermost
