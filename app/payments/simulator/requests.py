"""Request validation for the simulator's provider API (R-PAY-3): errors in the provider's shape.

Every refusal is `SimulatorError(status, reason_code, message)`, rendered as
`{"reasonCode": …, "message": …}` like the real API.
"""

from __future__ import annotations

import json
import re
from typing import Any

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
WHOLE_YEN = re.compile(r"^[0-9]{1,10}$")


class SimulatorError(Exception):
    def __init__(self, status: int, reason_code: str, message: str) -> None:
        self.status = status
        self.reason_code = reason_code
        self.message = message
        super().__init__(f"{status} {reason_code}: {message}")

    def body(self) -> dict[str, str]:
        return {"reasonCode": self.reason_code, "message": self.message}


def not_found(kind: str, object_id: str) -> SimulatorError:
    return SimulatorError(404, "ResourceNotFound", f"{kind} {object_id} does not exist")


def require(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise SimulatorError(400, "MissingParameterValue", f"{name} is required")
    return value


def require_text(body: dict[str, Any], name: str) -> str:
    value = require(body, name)
    if not isinstance(value, str):
        raise SimulatorError(400, "InvalidParameterValue", f"{name} must be a string")
    return value


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SimulatorError(400, "InvalidParameterValue", f"{name} must be an object")
    return value


def whole_yen(body: dict[str, Any], name: str) -> int:
    """A positive JPY price `{"amount": "980", "currencyCode": "JPY"}` as int yen."""
    price = require(body, name)
    if not isinstance(price, dict):
        raise SimulatorError(400, "InvalidParameterValue", f"{name} must be a price object")
    if price.get("currencyCode") != "JPY":
        raise SimulatorError(400, "CurrencyMismatch", f"{name}.currencyCode must be JPY")
    amount = price.get("amount")
    if not isinstance(amount, str) or not WHOLE_YEN.match(amount):
        raise SimulatorError(
            400, "InvalidParameterValue", f"{name}.amount must be a whole number of yen"
        )
    if int(amount) <= 0:
        raise SimulatorError(400, "InvalidParameterValue", f"{name}.amount must be positive")
    return int(amount)


def json_object(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise SimulatorError(400, "InvalidRequestFormat", "the body is not JSON") from error
    if not isinstance(document, dict):
        raise SimulatorError(400, "InvalidRequestFormat", "the body must be a JSON object")
    return document


def idempotency_key(headers: dict[str, str], *, required: bool) -> str | None:
    key = headers.get("x-amz-pay-idempotency-key")
    if key is None:
        if required:
            raise SimulatorError(400, "MissingHeaderValue", "x-amz-pay-idempotency-key is required")
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise SimulatorError(
            400,
            "InvalidHeaderValue",
            "x-amz-pay-idempotency-key must be 1-32 characters of [A-Za-z0-9_-]",
        )
    return key
