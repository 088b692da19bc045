"""`create_simulator_app(config)`: the provider simulator as its own FastAPI app (R-PAY-3).

With `config.state_file`, the state is loaded when the app is built and written after every
request that changed it (`persistence.py`); refunds left settling are resumed at startup."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from app.payments.simulator import control, routes
from app.payments.simulator.config import SimulatorConfig
from app.payments.simulator.requests import SimulatorError
from app.payments.simulator.state import SimulatorState


def create_simulator_app(config: SimulatorConfig | None = None) -> FastAPI:
    state = SimulatorState(config or SimulatorConfig())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.resume()
        yield
        await state.aclose()
        state.persist()

    app = FastAPI(
        title="Manabi payment provider simulator",
        lifespan=lifespan,
        docs_url="/_sim/docs",
        openapi_url="/_sim/openapi.json",
        redoc_url=None,
    )
    app.state.simulator = state

    @app.exception_handler(SimulatorError)
    async def provider_error(request: Request, error: SimulatorError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.middleware("http")
    async def injected_faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        fault = state.take_fault(request.method, request.url.path)
        if fault is None:
            return await call_next(request)
        if fault.when == "after":
            await call_next(request)  # processed, answer lost
        headers = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
        return JSONResponse(fault.body(), status_code=fault.status, headers=headers)

    if state.state_file is not None:

        @app.middleware("http")  # added last, so it runs outermost: after faults' "after" calls
        async def persist_changes(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            try:
                return await call_next(request)
            finally:
                state.persist()

    app.include_router(routes.router)
    app.include_router(control.router)
    return app
