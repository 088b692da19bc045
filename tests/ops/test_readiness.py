"""/readyz answers 503 when the database does not answer (and /healthz still answers 200)."""

from __future__ import annotations

import socket

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.config import Settings
from app.main import create_app


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens here once the socket is closed


async def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    url = f"postgresql+asyncpg://manabi:unused@127.0.0.1:{_closed_port()}/manabi"
    app = create_app(settings.model_copy(update={"database_url": url}))
    engine = create_async_engine(url, pool_pre_ping=True)
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json() == {"status": "unavailable", "database": "down"}
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await engine.dispose()
