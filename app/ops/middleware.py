"""Request id (echoed when sent, generated otherwise), access log, metrics, CORS.

Order, outermost first: metrics (counts every answer, CORS preflights included) → request id and
access log → CORS → the app. The access log is ours; uvicorn's own is switched off in
`app.ops.logging.configure_logging` so each request is logged once. It records the method, path,
route template, status and duration — never headers or the query string, which may carry
`Authorization`, `X-API-Key` or one-time tokens.
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
from app.ops.logging import request_id_var
from app.ops.metrics import MetricsMiddleware, route_template

access_logger = logging.getLogger("manabi.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): sets request.state.request_id and X-Request-ID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = (
            incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = request_id
        entry = dict(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "route": route_template(scope, entry, status_holder["status"]),
                    "status": status_holder["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
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
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(MetricsMiddleware)  # added last = outermost
