"""Domain errors that carry their HTTP status and a stable RFC 9457 problem `type`.

Every refusal in Manabi is a subclass of `ProblemError`. A subclass names:

- `type`: a stable slug clients can switch on (`question-daily-quota-exceeded`); never reworded;
- `status`: the HTTP status;
- `title` / `detail`: Japanese and English text; `detail` may use `{placeholders}` filled from
  the keyword arguments given when raising.

Raise them anywhere (services, dependencies); `app.kit.problems` renders them. Routers list the
errors an operation can return with `responses=problem_responses(...)` so they reach OpenAPI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

Text = Mapping[str, str]  # {"ja": ..., "en": ...}


class ProblemError(Exception):
    type: ClassVar[str] = "about:blank"
    status: ClassVar[int] = 400
    title: ClassVar[Text] = {
        "ja": "リクエストを処理できません",
        "en": "The request cannot be processed",
    }
    detail: ClassVar[Text | None] = None
    keeps_writes: ClassVar[bool] = False
    """Commit the request's writes even though the request is refused (security records only)."""

    def __init__(
        self,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        self.params = params
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers) if headers else {}
        self.extensions = dict(extensions) if extensions else {}
        super().__init__(self.type)

    def render_title(self, language: str) -> str:
        return self.title.get(language) or self.title["en"]

    def render_detail(self, language: str) -> str | None:
        if self.detail is None:
            return None
        template = self.detail.get(language) or self.detail["en"]
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template


# --- Generic errors by status. Domains subclass these with their own `type`. -------------------


class BadRequest(ProblemError):
    type = "bad-request"
    status = 400


class ValidationFailed(ProblemError):
    """A well-formed request whose values break a rule (not a malformed payload: that is 422)."""

    type = "validation-failed"
    status = 400
    title = {"ja": "入力内容に誤りがあります", "en": "Some values are not valid"}


class Unauthorized(ProblemError):
    type = "unauthorized"
    status = 401
    title = {"ja": "認証が必要です", "en": "Authentication is required"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(ProblemError):
    type = "forbidden"
    status = 403
    title = {"ja": "この操作は許可されていません", "en": "This operation is not allowed"}


class NotFound(ProblemError):
    type = "not-found"
    status = 404
    title = {"ja": "見つかりません", "en": "Not found"}


class Conflict(ProblemError):
    type = "conflict"
    status = 409
    title = {"ja": "現在の状態では実行できません", "en": "Conflicts with the current state"}


class QuotaExceeded(ProblemError):
    """A business quota is used up (not a rate limit: that is `TooManyRequests`)."""

    type = "quota-exceeded"
    status = 409
    title = {"ja": "上限に達しています", "en": "The limit has been reached"}


class TooManyRequests(ProblemError):
    type = "too-many-requests"
    status = 429
    title = {"ja": "リクエストが多すぎます", "en": "Too many requests"}

    def __init__(self, *, retry_after_seconds: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after_seconds = max(1, int(retry_after_seconds))
        self.headers["Retry-After"] = str(self.retry_after_seconds)
        self.params.setdefault("retry_after", self.retry_after_seconds)


class ServiceUnavailable(ProblemError):
    type = "service-unavailable"
    status = 503
    title = {"ja": "一時的に利用できません", "en": "Temporarily unavailable"}


class InvalidCursor(BadRequest):
    type = "invalid-cursor"
    title = {"ja": "ページ指定が正しくありません", "en": "The cursor is not valid"}
    detail = {
        "ja": "cursor には前のページの next_cursor をそのまま指定してください。",
        "en": "Pass the previous page's next_cursor unchanged.",
    }


class IdempotencyKeyReused(ProblemError):
    type = "idempotency-key-reused"
    status = 422
    title = {
        "ja": "Idempotency-Key が別のリクエストで使われています",
        "en": "The Idempotency-Key was used for a different request",
    }
    detail = {
        "ja": "同じキーは同じ内容のリクエストの再送にだけ使えます。新しい操作には新しいキーを指定してください。",
        "en": "A key may only be reused to retry the identical request. Use a new key.",
    }


class IdempotencyKeyInvalid(BadRequest):
    type = "idempotency-key-invalid"
    title = {"ja": "Idempotency-Key が正しくありません", "en": "The Idempotency-Key is not valid"}
    detail = {
        "ja": "1〜255文字の英数字・記号で指定してください。",
        "en": "Use 1 to 255 printable ASCII characters.",
    }
