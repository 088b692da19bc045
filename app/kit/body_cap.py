"""A route's `max_body_size` refusal as a problem document (413 with the route's stable `type`).

FastAPI's `max_body_size=` route option puts Starlette's `RequestBodyLimitMiddleware` around
the route. It refuses an over-cap body in one of two ways, neither of them ours:

- a declared `Content-Length` over the cap: the route runs, its first read of the body fails, and
  whatever it answers is replaced at `http.response.start` by Starlette's own `text/plain`
  "Content Too Large" — no exception handler or app middleware can change that answer;
- a body that streams past the cap (chunked, no `Content-Length`): the read raises a bare 413
  `HTTPException`, which `app.kit.problems` can only render as the generic `payload-too-large`.

`capped_body_route(too_large)` is a route class that answers both with `too_large()`, the same
`ProblemError` whichever way the body came: a declared length over the cap is refused before the
route (and Starlette's limiter) runs, without reading the body; a 413 raised while the body
streams in becomes that error. Nothing of the request has been parsed either way, so nothing is
written or stored. Routes of the class without `max_body_size` run as plain `APIRoute`s, and
routers that do not use the class (the hot paths) are untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from app.kit.errors import ProblemError
from app.kit.problems import handle_problem

_CONTENT_LENGTH = b"content-length"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == _CONTENT_LENGTH:
            return int(value) if value.isdigit() else None
    return None


def capped_body_route(too_large: Callable[[], ProblemError]) -> type[APIRoute]:
    """A route class whose `max_body_size` refusals are `too_large()` (module docstring)."""

    class CappedBodyRoute(APIRoute):
        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            cap = self.max_body_size
            if (
                cap is not None
                and scope["type"] == "http"
                and scope["method"] in (self.methods or ())
                and (declared := _declared_length(scope)) is not None
                and declared > cap
            ):
                response = await handle_problem(Request(scope, receive), too_large())
                await response(scope, receive, send)
                return
            await super().handle(scope, receive, send)

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()
            if self.max_body_size is None:
                return handler

            async def refuse_as_problem(request: Request) -> Response:
                try:
                    return await handler(request)
                except HTTPException as error:
                    if error.status_code == 413:  # the only 413 such a route raises: the cap
                        raise too_large() from error
                    raise

            return refuse_as_problem

    return CappedBodyRoute
