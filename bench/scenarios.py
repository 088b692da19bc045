"""The measured requests, in one list: add a scenario here and the runner measures and reports it.

Reads are compared with the ceiling's single-row read, writes with its single INSERT; targets
(issue 3): the lesson page (entitlement check included) reaches ≥ 60% of the ceiling read's
requests/s with a p99 no worse than 1.5× the ceiling's, and a progress write ≥ 50% of the bare
insert's requests/s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Server = Literal["app", "ceiling"]


@dataclass(frozen=True)
class Scenario:
    name: str
    server: Server
    method: str
    path: str  # "{id}" is replaced by the row's lesson id
    # JSON template: "{id}" → lesson id, "{event_id}" → a UUID unique per request, "{now}" → the
    # run's start time (RFC 3339).
    body: str | None = None
    auth: bool = True  # send the row's member token
    expect: int = 200  # the status a sample request must answer before the load starts
    baseline: str | None = None  # the ceiling scenario this one is a ratio of
    min_ratio: float | None = None  # target: requests/s ≥ min_ratio × baseline's
    max_p99_factor: float | None = None  # target: p99 ≤ factor × baseline's p99
    video_lessons_only: bool = False  # rows whose lesson has media (progress events)

    @property
    def target_text(self) -> str:
        parts = []
        if self.min_ratio is not None:
            parts.append(f"≥{self.min_ratio:.0%} rps")
        if self.max_p99_factor is not None:
            parts.append(f"p99≤{self.max_p99_factor:g}×")
        return ", ".join(parts) or "-"


CEILING_READ = "ceiling read"
CEILING_INSERT = "ceiling insert"

SCENARIOS: tuple[Scenario, ...] = (
    # Each target scenario runs right after its ceiling: on a machine whose speed drifts, a
    # ratio of two runs seconds apart is worth more than one of runs a minute apart.
    Scenario(CEILING_READ, "ceiling", "GET", "/read/{id}", auth=False),
    Scenario(
        "lesson page",
        "app",
        "GET",
        "/api/v1/lessons/{id}",
        baseline=CEILING_READ,
        min_ratio=0.60,
        max_p99_factor=1.5,
    ),
    Scenario(
        CEILING_INSERT,
        "ceiling",
        "POST",
        "/insert",
        body='{"event_id": "{event_id}", "lesson_id": "{id}", "position_seconds": 120}',
        auth=False,
        expect=201,
    ),
    Scenario(
        "progress write",
        "app",
        "POST",
        "/api/v1/me/lessons/{id}/progress-events",
        body='{"event_id": "{event_id}", "occurred_at": "{now}", "position_seconds": 130, '
        '"watched": {"from_seconds": 120, "to_seconds": 130}}',
        expect=200,
        baseline=CEILING_INSERT,
        min_ratio=0.50,
        video_lessons_only=True,
    ),
    Scenario("member dashboard", "app", "GET", "/api/v1/me/dashboard", baseline=CEILING_READ),
    Scenario("catalog list", "app", "GET", "/api/v1/courses?limit=20", baseline=CEILING_READ),
)


def by_name(name: str) -> Scenario:
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(name)
