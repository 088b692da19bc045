"""No Authorization header, password, token or API key reaches the logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi import FastAPI, Request

from app.config import Settings
from app.main import create_app
from app.ops.logging import JsonFormatter

SECRETS = ("hunter2-password", "tok_abcdef", "Bearer secret", "secret", "mk_x", "refresh-xyz")


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "manabi.test", logging.INFO, __file__, 1, "login attempt", None, None
    )
    record.__dict__.update(extra)
    return record


def test_secret_extras_are_redacted() -> None:
    record = _record(
        password="hunter2-password",
        new_password="hunter2-password",
        access_token="tok_abcdef",
        refresh_token="refresh-xyz",
        authorization="Bearer secret",
        **{"X-API-Key": "mk_x"},
        headers={"Authorization": "Bearer secret", "x-api-key": "mk_x", "accept": "text/html"},
        raw_headers=[(b"authorization", b"Bearer secret"), (b"x-api-key", b"mk_x")],
        body={"email": "a@example.com", "credentials": {"password": "hunter2-password"}},
        user_id="u-1",
    )
    line = JsonFormatter().format(record)
    for secret in SECRETS:
        assert secret not in line
    payload = json.loads(line)
    assert payload["password"] == "[redacted]"
    assert payload["X-API-Key"] == "[redacted]"
    assert payload["headers"] == {
        "Authorization": "[redacted]",
        "x-api-key": "[redacted]",
        "accept": "text/html",
    }
    assert payload["body"]["email"] == "a@example.com"
    assert payload["user_id"] == "u-1"  # ordinary fields stay readable


def test_credentials_inside_text_are_scrubbed() -> None:
    record = logging.LogRecord(
        "manabi.test",
        logging.WARNING,
        __file__,
        1,
        "upstream said %s with %s",
        ("Authorization: Bearer secret", {"password": "hunter2-password"}),
        None,
    )
    record.__dict__["note"] = "key mk_0a1b2c3d_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdef was sent"
    line = JsonFormatter().format(record)
    assert "Bearer secret" not in line
    assert "hunter2-password" not in line
    assert "AbCdEfGhIj" not in line
    assert "mk_0a1b2c3d_[redacted]" in line  # the visible prefix stays, to tell keys apart


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Everything the app's loggers write, at any level, through the production formatter.

    Enter it after `create_app()`: configuring logging replaces the loggers' handlers.
    """
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("manabi", "app", "uvicorn")]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


async def test_request_credentials_never_reach_the_logs(settings: Settings) -> None:
    app: FastAPI = create_app(settings)
    logger = logging.getLogger("manabi.test")

    @app.get("/probe/careless")
    async def careless(request: Request) -> dict[str, str]:
        # What a careless handler might do: log every header, and the raw ASGI header list.
        logger.info("headers", extra={"headers": dict(request.headers)})
        logger.info("scope", extra={"raw_headers": request.scope["headers"]})
        return {"ok": "yes"}

    @app.get("/probe/crash")
    async def crash(request: Request) -> None:
        raise RuntimeError(f"could not use {request.headers['authorization']}")

    headers = {"Authorization": "Bearer secret", "X-API-Key": "mk_x"}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with captured_logs() as captured:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/healthz", headers=headers)).status_code == 200
            assert (await client.get("/probe/careless", headers=headers)).status_code == 200
            assert (await client.get("/probe/crash", headers=headers)).status_code == 500
            await client.get("/api/v1/no-such-thing?token=tok_abcdef", headers=headers)

    output = captured.getvalue()
    assert '"logger": "manabi.access"' in output  # the access log did run
    assert "/probe/careless" in output
    assert '"route": "/probe/careless"' in output
    assert "could not use Bearer [redacted]" in output  # the crash was logged, scrubbed
    assert "Bearer secret" not in output
    assert "secret" not in output
    assert "mk_x" not in output
    assert "tok_abcdef" not in output  # query strings are not logged


def test_uvicorn_access_log_is_off(settings: Settings) -> None:
    """Our middleware logs each request; uvicorn's own access log would be a second line."""
    create_app(settings)
    assert logging.getLogger("uvicorn.access").disabled
