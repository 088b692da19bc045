"""Operational endpoints: liveness, readiness (checks the database), Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.ops import metrics

READINESS_TIMEOUT_SECONDS = 3.0

router = APIRouter(tags=["ops"], include_in_schema=True)


@router.get("/healthz", operation_id="ops_get_health", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="ops_get_readiness",
    summary="Readiness: the database answers",
    responses={503: {"description": "The database does not answer"}},
)
async def readyz(request: Request) -> JSONResponse:
    try:
        # A probe must answer quickly: a database that hangs is as unready as one that refuses.
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            async with request.app.state.sessionmaker() as session:
                await session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    """Prometheus text exposition (see app/ops/metrics.py); scrape it from inside the network."""
    body, content_type = metrics.render()
    return Response(content=body, media_type=content_type)
