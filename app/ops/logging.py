"""Structured JSON logs with the request id; secrets never logged.

Log records are JSON lines. Secrets are kept out in three layers:

1. Any `extra` key that looks like a secret (password, token, secret, key, authorization, cookie,
   credential, X-API-Key, …) is replaced by "[redacted]" before it is written — also inside
   nested dicts, lists and header-style `(name, value)` pairs.
2. `%`-style arguments that are dicts are redacted the same way before the message is built.
3. Whatever still reaches the text (message, string extras, exception text) is scrubbed of
   bearer credentials (`Bearer …`) and full Manabi API keys (`mk_<prefix>_<secret>` keeps only its
   visible prefix).

The access log (app/ops/middleware.py) never records headers or query strings. uvicorn's own
access log is switched off here so every request is logged once, by us; uvicorn's other messages
go through the same JSON handler.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from app.config import Settings

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

REDACTED = "[redacted]"

_SECRET_MARKERS = (
    "password",
    "passwd",
    "token",
    "secret",
    "authorization",
    "api_key",
    "api-key",
    "apikey",
    "cookie",
    "credential",
    "private_key",
    "signing_key",
    "session_key",
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_API_KEY = re.compile(r"\b(mk_[A-Za-z0-9]+)_[A-Za-z0-9_-]{8,}")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colour codes
}


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in _SECRET_MARKERS)


def scrub(text: str) -> str:
    """Remove credentials that appear inside free text."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _API_KEY.sub(lambda m: f"{m.group(1)}_{REDACTED}", text)


def redact(key: str, value: Any) -> Any:
    """`value` as it may be logged under `key`."""
    if is_secret_key(key):
        return REDACTED
    return _redact_value(value)


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: redact(_as_text(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # Header lists: [(b"authorization", b"Bearer …"), …]
        if (
            len(value) == 2
            and isinstance(value[0], str | bytes)
            and is_secret_key(_as_text(value[0]))
        ):
            return [_as_text(value[0]), REDACTED]
        return [_redact_value(item) for item in value]
    if isinstance(value, bytes):
        return scrub(value.decode("utf-8", "replace"))
    if isinstance(value, str):
        return scrub(value)
    return value


def _as_text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _message(record: logging.LogRecord) -> str:
    args = record.args
    if isinstance(args, dict):
        args = _redact_value(args)
    elif isinstance(args, tuple) and any(isinstance(arg, dict) for arg in args):
        args = tuple(_redact_value(arg) if isinstance(arg, dict) else arg for arg in args)
    message = str(record.msg)
    if args:
        try:
            message = message % args
        except (TypeError, ValueError):
            message = f"{message} {args!r}"
    return scrub(message)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _message(record),
        }
        request_id = request_id_var.get()
        if request_id:
            payload["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = redact(key, value)
        if record.exc_info:
            payload["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False, default=str)


class _PlainFormatter(logging.Formatter):
    """Human-readable lines (MANABI_LOG_JSON=false), scrubbed like the JSON ones."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record)} {record.levelname} {record.name} {_message(record)}"
        extras = {
            key: redact(key, value)
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_")
        }
        if extras:
            line += " " + json.dumps(extras, ensure_ascii=False, default=str)
        if record.exc_info:
            line += "\n" + scrub(self.formatException(record.exc_info))
        return line


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_json else _PlainFormatter())
    level = settings.log_level.upper()

    root = logging.getLogger("manabi")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False

    # Modules that log under their import name (`app.…`) get the same treatment.
    app_logger = logging.getLogger("app")
    app_logger.handlers[:] = [handler]
    app_logger.setLevel(level)
    app_logger.propagate = False

    # uvicorn: our middleware writes the access log, so uvicorn's would be a second (unredacted,
    # unstructured) line per request. Its startup/error messages use our handler.
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.propagate = False
    access.disabled = True
    uvicorn_logger = logging.getLogger("uvicorn")
    uvicorn_logger.handlers[:] = [handler]
    uvicorn_logger.propagate = False
