"""Signed HTTP calls to the provider with bounded retries (R-PAY-1).

`SignedTransport.request` serializes the body once, signs every attempt with a fresh
`x-amz-pay-date`, keeps the idempotency key across attempts, retries 408/429/5xx and transport
errors with exponential backoff (honouring `Retry-After`, capped) and raises
`ProviderUnavailable` when attempts run out; other 4xx raise `ProviderRejected` at once.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import ValidationError

from app.payments.provider.errors import (
    ProviderIdempotencyConflict,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from app.payments.provider.objects import ProviderErrorBody
from app.payments.provider.signing import format_pay_date, load_private_key, sign_request

RETRYABLE_STATUSES = frozenset({408, 429})


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def rejected(response: httpx.Response) -> ProviderRejected:
    try:
        error = ProviderErrorBody.model_validate(response.json())
        reason_code, message = error.reason_code, error.message
    except (ValueError, ValidationError):
        reason_code, message = "Unknown", response.text[:200]
    status = response.status_code
    if reason_code == "DuplicateIdempotencyKey":
        return ProviderIdempotencyConflict(
            status_code=status, reason_code=reason_code, message=message
        )
    if status == 404:
        return ProviderNotFound(status_code=status, reason_code=reason_code, message=message)
    return ProviderRejected(status_code=status, reason_code=reason_code, message=message)


class SignedTransport:
    def __init__(
        self,
        *,
        base_url: str,
        public_key_id: str,
        private_key_pem: str,
        region: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 4,
        backoff_seconds: float = 0.2,
        timeout_seconds: float = 10,
        max_retry_after_seconds: float = 30,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.public_key_id = public_key_id
        self.region = region
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_retry_after_seconds = max_retry_after_seconds
        self._private_key = load_private_key(private_key_pem)
        self.http = httpx.AsyncClient(transport=transport, timeout=timeout_seconds)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one signed call (with retries) and return the decoded JSON answer."""
        url = httpx.URL(f"{self.base_url}/{path.lstrip('/')}")
        # Serialized once: every retry sends the same bytes under the same idempotency key.
        content = (
            json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            if body is not None
            else b""
        )
        last_status: int | None = None
        last_problem = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            headers = self.signed_headers(method, url, content, idempotency_key)
            delay = self.backoff_seconds * (2 ** (attempt - 1))
            try:
                response = await self.http.request(
                    method, url, content=content or None, headers=headers
                )
            except httpx.TransportError as error:
                last_status, last_problem = None, f"{type(error).__name__}: {error}"
            else:
                status = response.status_code
                if status < 400:
                    try:
                        return response.json()
                    except ValueError as error:
                        raise ProviderUnavailable(
                            f"{method} {url.path}: unreadable answer",
                            status_code=status,
                            attempts=attempt,
                        ) from error
                if status not in RETRYABLE_STATUSES and status < 500:
                    raise rejected(response)
                last_status, last_problem = status, f"provider answered {status}"
                retry_after = _retry_after_seconds(response)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, self.max_retry_after_seconds))
            if attempt < self.max_attempts:
                await asyncio.sleep(delay)
        raise ProviderUnavailable(
            f"{method} {url.path}: {last_problem}",
            status_code=last_status,
            attempts=self.max_attempts,
        )

    def signed_headers(
        self, method: str, url: httpx.URL, content: bytes, idempotency_key: str | None
    ) -> dict[str, str]:
        headers = {
            "accept": "application/json",
            "content-type": "application/json",
            "x-amz-pay-date": format_pay_date(datetime.now(UTC)),
            "x-amz-pay-host": url.netloc.decode("ascii"),
            "x-amz-pay-region": self.region,
        }
        if idempotency_key is not None:
            headers["x-amz-pay-idempotency-key"] = idempotency_key
        raw_path = url.raw_path.decode("ascii").split("?", 1)[0]
        headers.update(
            sign_request(
                method=method,
                path=raw_path,
                query=url.query.decode("ascii"),
                headers=headers,
                body=content,
                public_key_id=self.public_key_id,
                private_key=self._private_key,
            )
        )
        return headers
