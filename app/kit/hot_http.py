"""Request parsing and response rendering built once, for the platform's hottest endpoints.

FastAPI validates path parameters and bodies, and serializes return values, through generic
machinery that is rebuilt around every request; on the lesson page and the progress write that
machinery cost more CPU than the endpoint's own work (bench/). The pieces here do the same jobs
with pydantic `TypeAdapter`s built at import:

- `JsonAnswer(Schema).response(value)`: the JSON FastAPI would send for `response_model=Schema`
  (`dump_json` by alias: same bytes), as a ready `Response`. Declare `response_model=Schema` on
  the route so the OpenAPI document is unchanged; FastAPI passes a returned `Response` through.
- `JsonBody(Schema).read(request)` then `.validate(document, path_errors)`: the body FastAPI
  would parse for a `Schema` parameter — JSON only when the content type says so,
  `from_attributes` validation — with the same errors (`body.…` locations, `json_invalid` with
  its position, `missing` for no body) in the same order, raised as `RequestValidationError` so
  the 422 problem is the one every endpoint gives.
- `path_uuid(request, name)`: a UUID path parameter and FastAPI's error for a malformed one.
- `route_without_header(name)`: a route class for a fast twin of a documented route, taking
  only the requests without a header (the documented route keeps the others).

Use them only where a benchmark shows the need; everywhere else FastAPI's own handling is right.
"""

from __future__ import annotations

import email.message
import json
import uuid
from typing import Any, Generic, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.routing import Match
from starlette.types import Scope

T = TypeVar("T")

_JSON = "application/json"
_UUID: TypeAdapter[uuid.UUID] = TypeAdapter(uuid.UUID)

MISSING: Any = object()
"""`JsonBody.read` of an empty body."""


class JsonAnswer(Generic[T]):
    """Serialize one response schema as FastAPI's `response_model` would, without re-validating
    a value the endpoint just built."""

    def __init__(self, schema: type[T]) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(schema)

    def response(self, value: T, *, status_code: int = 200) -> Response:
        return Response(
            self._adapter.dump_json(value, by_alias=True),
            status_code=status_code,
            media_type=_JSON,
        )


class JsonBody(Generic[T]):
    """Parse and validate a small JSON request body as FastAPI would for a `schema` parameter,
    in FastAPI's two steps: `read` before authentication (a body that is not JSON is answered
    first), `validate` after it, together with the path parameters' errors."""

    def __init__(self, schema: type[T]) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(schema)

    async def read(self, request: Request) -> Any:
        """The decoded JSON document; the raw bytes when the content type is not JSON; `MISSING`
        for an empty body. A body that does not decode raises FastAPI's `json_invalid` error."""
        raw = await request.body()
        if not raw:
            return MISSING
        if not _is_json(request.headers.get("content-type")):
            return raw  # validated as the bytes they are (and refused)
        try:
            return json.loads(raw)
        except json.JSONDecodeError as error:
            raise RequestValidationError(
                [
                    {
                        "type": "json_invalid",
                        "loc": ("body", error.pos),
                        "msg": "JSON decode error",
                        "input": {},
                        "ctx": {"error": error.msg},
                    }
                ],
                body=error.doc,
            ) from error

    def validate(self, document: Any, path_errors: list[dict[str, Any]]) -> T:
        """`document` (from `read`) as `schema`; `RequestValidationError` with `path_errors`
        (from `path_uuid`) first and the body's errors after, as FastAPI orders them."""
        errors = list(path_errors)
        if document is MISSING:
            errors.append(
                {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
            )
        else:
            try:
                value = self._adapter.validate_python(document, from_attributes=True)
            except ValidationError as error:
                errors.extend(
                    {**detail, "loc": ("body", *detail["loc"])}
                    for detail in error.errors(include_url=False)
                )
        if errors:
            raise RequestValidationError(errors, body=None if document is MISSING else document)
        return value


def path_uuid(request: Request, name: str) -> tuple[uuid.UUID | None, list[dict[str, Any]]]:
    """The UUID path parameter `name`, or None and FastAPI's error for it."""
    raw = request.path_params[name]
    try:
        return _UUID.validate_python(raw), []
    except ValidationError as error:
        return None, [
            {**detail, "loc": ("path", name, *detail["loc"])}
            for detail in error.errors(include_url=False)
        ]


def route_without_header(header: str) -> type[APIRoute]:
    """A route class that matches only requests WITHOUT `header` (any case). Declared ahead of
    a documented route at the same path and method, it takes the plain requests on a faster
    path and lets requests carrying the header fall through to the documented route (e.g. a
    POST's `Idempotency-Key`). Declare it `include_in_schema=False`: the documented route is
    the operation."""
    name = header.lower().encode("latin-1")

    class RouteWithoutHeader(APIRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            for key, _ in scope.get("headers", ()):
                if key == name:
                    return Match.NONE, {}
            return super().matches(scope)

    RouteWithoutHeader.__name__ = RouteWithoutHeader.__qualname__ = (
        f"RouteWithout{header.title().replace('-', '')}"
    )
    return RouteWithoutHeader


def _is_json(content_type: str | None) -> bool:
    """FastAPI's test: `application/json` or `application/*+json`, parameters allowed. A body
    without a content type is not parsed (FastAPI's strict default)."""
    if content_type is None:
        return False
    if content_type == _JSON:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")
