"""Who is on the other end of the wire: client address, user agent, request id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request


@dataclass(frozen=True)
class ClientInfo:
    ip_address: str
    user_agent: str | None
    request_id: str | None


def client_info(request: Request) -> ClientInfo:
    settings = request.app.state.settings
    address = request.client.host if request.client else "unknown"
    if settings.trust_forwarded_for:
        # The rightmost entry is the one our own load balancer appended; entries to its left
        # come from the client and can be forged (a forged one would dodge per-address limits).
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            address = forwarded.split(",")[-1].strip() or address
    agent = request.headers.get("user-agent")
    return ClientInfo(
        ip_address=address[:64],
        user_agent=agent[:300] if agent else None,
        request_id=getattr(request.state, "request_id", None),
    )


Client = Annotated[ClientInfo, Depends(client_info)]
