"""Errors of the provider adapter (R-PAY-1).

These are infrastructure errors, not API refusals: the payment services catch them and decide
what our client sees (usually a problem with a retry hint). A declined charge is *not* an error:
`ProviderClient.create_charge` returns the Charge in state `Declined` with its reason code.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base class of every error the adapter raises."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or kept failing (timeouts, 408/429/5xx) after retries.

    The outcome of the call is unknown: retry later with the *same* idempotency key.
    """

    def __init__(self, message: str, *, status_code: int | None = None, attempts: int) -> None:
        self.status_code = status_code
        self.attempts = attempts
        super().__init__(f"{message} (after {attempts} attempt(s))")


class ProviderRejected(ProviderError):
    """The provider refused the request (4xx): `reason_code` and `message` as it sent them."""

    def __init__(self, *, status_code: int, reason_code: str, message: str) -> None:
        self.status_code = status_code
        self.reason_code = reason_code
        self.message = message
        super().__init__(f"{status_code} {reason_code}: {message}")


class ProviderNotFound(ProviderRejected):
    """The object does not exist at the provider (404 ResourceNotFound)."""


class ProviderIdempotencyConflict(ProviderRejected):
    """The idempotency key was already used for a request with other values."""
