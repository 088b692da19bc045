"""`Idempotency-Key` for POSTs that must not happen twice: retries replay the first response.

SPEC §0 Idempotency and API.md: every POST that creates money movement, a submission, a question
or a progress event accepts an `Idempotency-Key` header; a retry with the same key returns the
first response with `Idempotent-Replayed: true` and creates nothing new; the same key with a
different request is refused (`idempotency-key-reused`, 422). Mobile clients on flaky networks
retry a POST whose answer they never saw; without this, they double-pay or double-submit.

Usage — below the router decorator, with the route's success status::

    @router.post("/questions", status_code=201)
    @idempotent(status_code=201)
    async def create_question(body: QuestionIn, session: DbSession, response: Response) -> ...:
        ...
        response.headers["Location"] = f"/api/v1/questions/{question.id}"
        return QuestionOut.model_validate(question)

How it works:

- The decorator adds parameters to the endpoint's signature (FastAPI reads `__signature__`): the
  `Request`, the request session through the same `DbSession` alias (FastAPI's dependency cache
  hands the endpoint and the decorator one session, hence one transaction), the sub-`Response`
  (for `Location`), and an optional `Idempotency-Key` header so OpenAPI documents it. It strips
  them before calling the endpoint.
- No key: the endpoint runs as if undecorated.
- With a key, scoped to the caller (`request.state.idempotency_scope`, set by the auth dependency
  through `set_idempotency_scope`; "anonymous" otherwise) and fingerprinted (SHA-256 of method,
  path with query and body), a placeholder row is claimed with
  `INSERT … ON CONFLICT (scope, key) DO UPDATE … WHERE expires_at <= now` in the request's
  transaction. A concurrent duplicate blocks on the unique index until the first transaction
  ends: after a commit it finds the finished record and replays it; after a rollback it claims
  the key itself. An expired record (24 h) is replaced in the same statement.
- The winner runs the endpoint, serializes the result once (with the endpoint's return type, as
  FastAPI would), stores status, body and `Location` on the placeholder and answers with exactly
  that body, so the first answer and every replay are the same JSON.
- Any error rolls the whole transaction back, placeholder included: a failed request is not
  cached and may be retried with the same key. (`ProblemError`s with `keeps_writes` commit, so the
  placeholder is deleted explicitly for those.)

Replays hold the record's row lock until their (read-only) transaction ends, so concurrent
replays of one key are serialized — harmless at retry rates.

Responses are JSON (or 204). Route options that reshape the answer after the endpoint returns
(`response_model_exclude_none`, …) do not apply to idempotent calls; pass `response_model=` to
the decorator when the route's `response_model` differs from the return annotation.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, ParamSpec, TypeVar, cast

from fastapi import Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from app.config import Settings
from app.db import DbSession
from app.kit.clock import read_now
from app.kit.errors import (
    Conflict,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    ProblemError,
)
from app.models.platform import IdempotencyRecord

RECORD_TTL = timedelta(hours=24)
ANONYMOUS_SCOPE = "anonymous"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_HEADER = "Idempotency-Key"

_PENDING_STATUS = 0  # placeholder: claimed, endpoint not finished (never visible once committed)
_MAX_SCOPE_LENGTH = 80  # IdempotencyRecord.scope
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_STORED_HEADERS = ("location",)  # only these are replayed; never Set-Cookie and the like

# Names of the parameters the decorator injects; unlikely to clash with an endpoint's own.
_REQUEST_PARAM = "idempotency_request__"
_RESPONSE_PARAM = "idempotency_response__"
_SESSION_PARAM = "idempotency_session__"
_KEY_PARAM = "idempotency_key__"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=KEY_HEADER,
        description=(
            "Optional. A unique value per operation (e.g. a UUID), 1–255 printable ASCII "
            "characters. Retrying with the same key returns the first response with "
            "`Idempotent-Replayed: true` for 24 hours; reusing it for a different request is "
            "refused with `idempotency-key-reused`."
        ),
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


class IdempotencyRequestInProgress(Conflict):
    """The record vanished or is still pending when read: purged at the instant it expired, or
    a placeholder that escaped its rollback. Rare; the client retries."""

    type = "idempotency-request-in-progress"
    title = {
        "ja": "同じ Idempotency-Key のリクエストを処理中です",
        "en": "A request with this Idempotency-Key is still being processed",
    }


IDEMPOTENCY_ERRORS: tuple[type[ProblemError], ...] = (
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
)
"""Declare on idempotent routes: `responses=problem_responses(*IDEMPOTENCY_ERRORS, ...)`."""


def set_idempotency_scope(request: Request, scope: str) -> None:
    """Called by auth dependencies: keys are unique per caller ("user:<id>", "api_key:<id>")."""
    if not 1 <= len(scope) <= _MAX_SCOPE_LENGTH:
        raise ValueError(f"idempotency scope must be 1..{_MAX_SCOPE_LENGTH} characters")
    request.state.idempotency_scope = scope


# --- The decorator ------------------------------------------------------------------------------


def idempotent(
    *, status_code: int, response_model: Any = None
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Make a POST endpoint honour `Idempotency-Key`. Apply below the router decorator.

    `status_code` must match the route's (the decorator cannot see the route); an endpoint that
    sets `response.status_code` itself wins. `response_model` defaults to the return annotation.
    """

    def decorate(endpoint: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        if not inspect.iscoroutinefunction(endpoint):
            raise TypeError("@idempotent endpoints must be `async def`")
        signature = inspect.signature(endpoint, eval_str=True)
        injected = _Injected.for_signature(signature)
        model = signature.return_annotation if response_model is None else response_model
        serialize = _serializer(model)

        @functools.wraps(endpoint)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request, response, session, key = injected.pop(kwargs)
            if key is None:
                return await endpoint(*args, **kwargs)

            async def call() -> Any:
                return await endpoint(*args, **kwargs)

            answer = await _run_once(
                request=request,
                response=response,
                session=session,
                key=key,
                call=call,
                serialize=serialize,
                default_status=status_code,
            )
            return cast(R, answer)

        wrapper.__signature__ = injected.extend(signature)  # type: ignore[attr-defined]
        return wrapper

    return decorate


@dataclass(frozen=True)
class _Injected:
    """Which request/response parameters the endpoint already has, and which we add."""

    request_name: str
    response_name: str
    adds_request: bool
    adds_response: bool

    @classmethod
    def for_signature(cls, signature: inspect.Signature) -> _Injected:
        # FastAPI fills only one parameter per special type, so reuse the endpoint's own.
        request_name = _param_of_type(signature, Request)
        response_name = _param_of_type(signature, Response)
        return cls(
            request_name=request_name or _REQUEST_PARAM,
            response_name=response_name or _RESPONSE_PARAM,
            adds_request=request_name is None,
            adds_response=response_name is None,
        )

    def extend(self, signature: inspect.Signature) -> inspect.Signature:
        keyword = inspect.Parameter.KEYWORD_ONLY
        extra = [
            inspect.Parameter(_SESSION_PARAM, keyword, annotation=DbSession),
            inspect.Parameter(_KEY_PARAM, keyword, annotation=IdempotencyKeyHeader, default=None),
        ]
        if self.adds_request:
            extra.append(inspect.Parameter(_REQUEST_PARAM, keyword, annotation=Request))
        if self.adds_response:
            extra.append(inspect.Parameter(_RESPONSE_PARAM, keyword, annotation=Response))
        return signature.replace(parameters=[*signature.parameters.values(), *extra])

    def pop(self, kwargs: dict[str, Any]) -> tuple[Request, Response, AsyncSession, str | None]:
        session = kwargs.pop(_SESSION_PARAM)
        key = kwargs.pop(_KEY_PARAM)
        request = kwargs.pop(_REQUEST_PARAM) if self.adds_request else kwargs[self.request_name]
        response = kwargs.pop(_RESPONSE_PARAM) if self.adds_response else kwargs[self.response_name]
        return request, response, session, key


def _param_of_type(signature: inspect.Signature, kind: type) -> str | None:
    for parameter in signature.parameters.values():
        annotation = parameter.annotation
        if isinstance(annotation, type) and issubclass(annotation, kind):
            return parameter.name
    return None


def _serializer(model: Any) -> Callable[[Any], Any]:
    """JSON-ready data the way FastAPI's response model would produce it."""
    if model in (None, Any, inspect.Signature.empty) or (
        isinstance(model, type) and issubclass(model, Response)
    ):
        return jsonable_encoder
    adapter: TypeAdapter[Any] = TypeAdapter(model)

    def serialize(result: Any) -> Any:
        validated = adapter.validate_python(result, from_attributes=True)
        return adapter.dump_python(validated, mode="json", by_alias=True)

    return serialize


# --- One idempotent call ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    status_code: int
    body: Any
    headers: dict[str, str]


async def _run_once(
    *,
    request: Request,
    response: Response,
    session: AsyncSession,
    key: str,
    call: Callable[[], Awaitable[Any]],
    serialize: Callable[[Any], Any],
    default_status: int,
) -> Response:
    if not _VALID_KEY.fullmatch(key):
        raise IdempotencyKeyInvalid()
    scope = _scope_of(request)
    fingerprint = await request_fingerprint(request)
    settings: Settings = request.app.state.settings
    now = await read_now(session, settings)

    record_id = await _claim(session, scope=scope, key=key, fingerprint=fingerprint, now=now)
    if record_id is None:
        return await _replay(session, scope=scope, key=key, fingerprint=fingerprint)

    try:
        result = await call()
    except ProblemError as error:
        if error.keeps_writes:  # the transaction commits: take the placeholder out by hand
            await _release(session, record_id)
        raise
    stored = _capture(result, response, serialize, default_status)
    await session.flush()
    await _store(session, record_id, stored)
    if isinstance(result, Response):
        return result
    return _render(stored, extra_headers=response.headers.raw)


def _scope_of(request: Request) -> str:
    scope = getattr(request.state, "idempotency_scope", None)
    return str(scope) if scope else ANONYMOUS_SCOPE


async def request_fingerprint(request: Request) -> str:
    """SHA-256 over method, path with query string and body (form fields when multipart)."""
    digest = hashlib.sha256()
    _update(digest, request.method.encode())
    _update(digest, request.url.path.encode())
    _update(digest, request.url.query.encode())
    try:
        _update(digest, await request.body())
    except RuntimeError:
        # FastAPI parsed a form from the stream, so the raw bytes are gone; the parsed form
        # (cached on the request) identifies the request as well.
        await _update_with_form(digest, request)
    return digest.hexdigest()


def _update(digest: Any, part: bytes) -> None:
    # Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
    digest.update(len(part).to_bytes(8, "big"))
    digest.update(part)


async def _update_with_form(digest: Any, request: Request) -> None:
    form = await request.form()
    for name, value in form.multi_items():
        _update(digest, name.encode())
        if isinstance(value, UploadFile):
            _update(digest, (value.filename or "").encode())
            _update(digest, (value.content_type or "").encode())
            await value.seek(0)
            _update(digest, await value.read())
            await value.seek(0)
        else:
            _update(digest, value.encode())


async def _claim(
    session: AsyncSession, *, scope: str, key: str, fingerprint: str, now: datetime
) -> uuid.UUID | None:
    """The new placeholder's id, or None when a live record for (scope, key) already exists."""
    values = insert(IdempotencyRecord).values(
        id=uuid.uuid4(),
        scope=scope,
        key=key,
        request_fingerprint=fingerprint,
        status_code=_PENDING_STATUS,
        response_body=None,
        response_headers={},
        expires_at=now + RECORD_TTL,
    )
    statement = values.on_conflict_do_update(
        index_elements=[IdempotencyRecord.scope, IdempotencyRecord.key],
        set_={
            "request_fingerprint": values.excluded.request_fingerprint,
            "status_code": values.excluded.status_code,
            "response_body": values.excluded.response_body,
            "response_headers": values.excluded.response_headers,
            "expires_at": values.excluded.expires_at,
            "created_at": func.now(),
            "updated_at": func.now(),
        },
        where=IdempotencyRecord.expires_at <= now,  # expired records count as absent
    ).returning(IdempotencyRecord.id)
    return (await session.execute(statement)).scalar_one_or_none()


async def _replay(session: AsyncSession, *, scope: str, key: str, fingerprint: str) -> Response:
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    )
    if record is None or record.status_code == _PENDING_STATUS:
        # Purged between our claim and this read, or a leaked placeholder: ask for a retry.
        raise IdempotencyRequestInProgress()
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    stored = _Stored(record.status_code, record.response_body, dict(record.response_headers))
    replay = _render(stored)
    replay.headers[REPLAYED_HEADER] = "true"
    return replay


def _capture(
    result: Any, response: Response, serialize: Callable[[Any], Any], default_status: int
) -> _Stored:
    if isinstance(result, Response):
        body = json.loads(bytes(result.body)) if result.body else None
        return _Stored(result.status_code, body, _kept_headers(result))
    status = response.status_code or default_status
    return _Stored(status, serialize(result), _kept_headers(response))


def _kept_headers(response: Response) -> dict[str, str]:
    return {
        name.title(): response.headers[name] for name in _STORED_HEADERS if name in response.headers
    }


def _render(stored: _Stored, extra_headers: list[tuple[bytes, bytes]] | None = None) -> Response:
    if stored.status_code in (204, 304):
        answer = Response(status_code=stored.status_code)
    else:
        answer = JSONResponse(stored.body, status_code=stored.status_code)
    if extra_headers is not None:
        # The first answer carries every header the endpoint set (cookies included); replays
        # carry only the stored ones.
        answer.headers.raw.extend(extra_headers)
    else:
        answer.headers.update(stored.headers)
    return answer


async def _store(session: AsyncSession, record_id: uuid.UUID, stored: _Stored) -> None:
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(
            status_code=stored.status_code,
            response_body=stored.body,
            response_headers=stored.headers,
            updated_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )


async def _release(session: AsyncSession, record_id: uuid.UUID) -> None:
    await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .execution_options(synchronize_session=False)
    )


# --- Housekeeping -------------------------------------------------------------------------------


async def purge_expired_idempotency_records(session: AsyncSession, now: datetime) -> int:
    """Delete records whose 24 h have passed; returns how many. For a periodic job."""
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
