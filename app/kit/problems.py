"""RFC 9457 rendering: one handler for every refusal, and OpenAPI declarations for routers.

- `ProblemError` subclasses render with their own `type`, status, headers and localized text.
- Malformed payloads (FastAPI's `RequestValidationError`) render as 422 `validation-error` with
  `errors: {"body.email": ["..."]}`.
- Starlette HTTP errors (unknown route, wrong method) render as problems too.
- Anything unexpected renders as 500 `internal-error` without leaking its message; it is logged
  with the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.kit.errors import ProblemError
from app.kit.i18n import negotiate_language, validation_message

logger = logging.getLogger("manabi.problems")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="Stable machine-readable slug; switch on this, not on text.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: dict[str, list[str]] | None = Field(
        default=None, description="Field path → messages, for validation problems."
    )
    request_id: str | None = None


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def _language(request: Request) -> str:
    return negotiate_language(request.headers.get("accept-language"))


def _request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return str(value) if value else None


def _render(
    request: Request,
    *,
    status: int,
    type_: str,
    title: str,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "instance": request.url.path,
        "request_id": _request_id(request),
    }
    if detail is not None:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if extensions:
        body.update(extensions)
    response = ProblemResponse(body, status_code=status, headers=headers)
    response.headers["Content-Language"] = _language(request)
    return response


async def handle_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ProblemError)
    language = _language(request)
    return _render(
        request,
        status=exc.status,
        type_=exc.type,
        title=exc.render_title(language),
        detail=exc.render_detail(language),
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


def _field_path(location: Iterable[Any]) -> str:
    return ".".join(str(part) for part in location)


async def handle_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    language = _language(request)
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        path = _field_path(error.get("loc", ()))
        message = validation_message(
            str(error.get("type", "")), str(error.get("msg", "")), error.get("ctx"), language
        )
        errors.setdefault(path, []).append(message)
    title = "入力内容の形式が正しくありません" if language == "ja" else "The request is malformed"
    detail = (
        "errors に項目ごとの理由があります。"
        if language == "ja"
        else "See errors for the reason per field."
    )
    return _render(
        request, status=422, type_="validation-error", title=title, detail=detail, errors=errors
    )


_HTTP_TYPES = {
    400: ("bad-request", "リクエストが正しくありません", "Bad request"),
    401: ("unauthorized", "認証が必要です", "Authentication is required"),
    403: ("forbidden", "この操作は許可されていません", "This operation is not allowed"),
    404: ("not-found", "見つかりません", "Not found"),
    405: ("method-not-allowed", "このメソッドは使えません", "Method not allowed"),
    413: ("payload-too-large", "リクエストが大きすぎます", "Payload too large"),
    415: ("unsupported-media-type", "この形式は受け付けられません", "Unsupported media type"),
}


async def handle_http(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    type_, title_ja, title_en = _HTTP_TYPES.get(
        exc.status_code, ("http-error", "リクエストを処理できません", "The request failed")
    )
    language = _language(request)
    return _render(
        request,
        status=exc.status_code,
        type_=type_,
        title=title_ja if language == "ja" else title_en,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def handle_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    language = _language(request)
    return _render(
        request,
        status=500,
        type_="internal-error",
        title="サーバーでエラーが発生しました" if language == "ja" else "Internal server error",
        detail=(
            "時間をおいて再度お試しください。request_id をお問い合わせ時にお伝えください。"
            if language == "ja"
            else "Please try again later and quote the request_id when contacting support."
        ),
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, handle_problem)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(StarletteHTTPException, handle_http)
    app.add_exception_handler(Exception, handle_unexpected)


def problem_responses(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the errors an operation can return, grouped by status."""
    by_status: dict[int, list[type[ProblemError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    by_status.setdefault(422, [])
    responses: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        types = sorted(
            {error.type for error in group} | ({"validation-error"} if status == 422 else set())
        )
        responses[status] = {
            "model": Problem,
            "description": "Problem: " + ", ".join(f"`{t}`" for t in types),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return responses
