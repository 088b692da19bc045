"""Request dependencies of the commerce routers. The provider adapter comes from
`app.payments.deps.Provider` (one `ProviderClient` per application, on
`app.state.payment_provider`; tests put a client pointed at the simulator there)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.payments.deps import Provider

__all__ = ["AppSettings", "Provider"]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]
