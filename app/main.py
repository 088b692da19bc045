"""The application factory: settings, database, middleware, problem handlers, routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api import api_router, mount_hot_routes
from app.config import Settings, get_settings
from app.db import (
    create_engine,
    create_hot_pool,
    create_read_sessionmaker,
    create_sessionmaker,
)
from app.kit.problems import Problem, install_problem_handlers
from app.ops.logging import configure_logging
from app.ops.middleware import install_middleware
from app.ops.router import router as ops_router

DESCRIPTION = """
Manabi — the backend of a Japanese e-learning platform.

* Errors are `application/problem+json` (RFC 9457) with a stable `type`; text follows
  `Accept-Language` (`ja` default, `en`).
* Lists take `limit` (≤ 100) and `cursor`, and answer `{"items": [...], "next_cursor": ...}`.
* People authenticate with `Authorization: Bearer <access token>`; partner systems with
  `X-API-Key`.
* POSTs that create money movement, submissions, questions or progress events accept an
  `Idempotency-Key`; a retry answers the first response with `Idempotent-Replayed: true`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Tests may install their own sessionmaker (bound to a rolled-back transaction).
        if getattr(app.state, "sessionmaker", None) is None:
            engine = create_engine(settings)
            app.state.engine = engine
            app.state.sessionmaker = create_sessionmaker(engine)
            app.state.read_sessionmaker = create_read_sessionmaker(engine)
            app.state.hot_pool = await create_hot_pool(settings)
            settle_heap()
            try:
                yield
            finally:
                await app.state.hot_pool.close()
                await engine.dispose()
        else:
            yield

    app = FastAPI(
        title="Manabi API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's built-in OpenTelemetry hooks probe the tracer/meter providers on every
        # request (measured in bench/); Manabi exports Prometheus metrics of its own.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url="/redoc" if settings.docs_enabled else None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.sessionmaker = None
    app.state.read_sessionmaker = None
    app.state.hot_pool = None
    install_middleware(app, settings)
    install_problem_handlers(app)
    mount_hot_routes(app)
    app.include_router(ops_router)
    app.include_router(api_router(settings))
    _register_problem_schema(app)
    return app


def settle_heap() -> None:
    """Move everything alive after start-up (modules, models, compiled statements, routes: some
    250,000 objects) out of the garbage collector's sight. Without this, each full collection
    walks them all — about 100 ms with every request in flight stalled behind it, the p99 of a
    hot endpoint under load (bench/). Requests' own objects are still collected as usual."""
    gc.collect()
    gc.freeze()


def _register_problem_schema(app: FastAPI) -> None:
    """Make `#/components/schemas/Problem` exist even for operations that only reference it."""
    original = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas.setdefault(
            "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
