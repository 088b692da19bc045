"""FastAPI dependencies of the payments package: the provider adapter.

The adapter (`ProviderClient`, one pooled httpx client) is built from settings on first use and
kept on `app.state.payment_provider`; tests put a client pointed at the simulator there.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request

from app.payments.errors import PaymentProviderUnavailable
from app.payments.provider.client import ProviderClient, build_provider_client

logger = logging.getLogger("manabi.payments")


def get_provider(request: Request) -> ProviderClient:
    provider: ProviderClient | None = getattr(request.app.state, "payment_provider", None)
    if provider is None:
        try:
            provider = build_provider_client(request.app.state.settings)
        except RuntimeError as error:  # no signing key configured
            logger.error("payment provider is not configured: %s", error)
            raise PaymentProviderUnavailable() from error
        request.app.state.payment_provider = provider
    return provider


Provider = Annotated[ProviderClient, Depends(get_provider)]
