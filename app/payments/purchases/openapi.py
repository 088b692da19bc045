"""OpenAPI helpers shared by the commerce routers (products, purchases, points, refunds)."""

from __future__ import annotations

from typing import Any

from app.auth.errors import PERSON_AUTH_ERRORS
from app.kit.errors import ProblemError
from app.kit.problems import problem_responses

TAG = "payments"


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """The problems of a signed-in operation: authentication ones plus `errors`."""
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


def created(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    responses = problems(*errors)
    responses[201] = {
        "description": "Created",
        "headers": {"Location": {"description": "The new resource", "schema": {"type": "string"}}},
    }
    return responses
