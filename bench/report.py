"""The ratio table: each scenario against its ceiling, with its target and whether it was met."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import CpuShare
from bench.scenarios import Scenario
from bench.wrk import WrkResult


@dataclass
class Outcome:
    scenario: Scenario
    result: WrkResult | None = None
    skipped: str | None = None  # why it was not measured
    cpu: CpuShare | None = None  # CPU time by group during the measured run

    @property
    def other_cpu(self) -> float | None:
        """Share of the machine's CPU time used by processes outside the run."""
        return None if self.cpu is None else self.cpu.others_share

    def cpu_ms_per_request(self, group: str) -> float | None:
        if self.cpu is None or self.result is None or not self.result.requests:
            return None
        if group not in self.cpu.groups:
            return None
        return self.cpu.groups[group] * 1000 / self.result.requests


@dataclass
class Row:
    outcome: Outcome
    ratio: float | None
    p99_factor: float | None
    met: str

    def as_dict(self) -> dict[str, Any]:
        scenario = self.outcome.scenario
        return {
            "scenario": scenario.name,
            "server": scenario.server,
            "method": scenario.method,
            "path": scenario.path,
            "baseline": scenario.baseline,
            "target": scenario.target_text,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "p99_factor": None if self.p99_factor is None else round(self.p99_factor, 3),
            "met": self.met,
            "skipped": self.outcome.skipped,
            "other_cpu_share": self.outcome.other_cpu,
            "cpu_seconds": None if self.outcome.cpu is None else self.outcome.cpu.groups,
            "server_cpu_ms_per_request": self.outcome.cpu_ms_per_request("server"),
            "postgres_cpu_ms_per_request": self.outcome.cpu_ms_per_request("postgres"),
            "wrk": None if self.outcome.result is None else self.outcome.result.as_dict(),
        }


def rows(outcomes: list[Outcome]) -> list[Row]:
    measured = {o.scenario.name: o.result for o in outcomes if o.result is not None}
    table: list[Row] = []
    for outcome in outcomes:
        scenario, result = outcome.scenario, outcome.result
        base = measured.get(scenario.baseline) if scenario.baseline else None
        ratio = p99_factor = None
        if result is not None and base is not None and base.requests_per_second:
            ratio = result.requests_per_second / base.requests_per_second
            p99_factor = result.p99_us / base.p99_us if base.p99_us else None
        table.append(Row(outcome, ratio, p99_factor, _met(outcome, ratio, p99_factor, base)))
    return table


def median_rows(rounds: list[list[Outcome]]) -> list[Row]:
    """One row per scenario from several rounds of the same scenarios (a busy or drifting
    machine moves whole rounds): the round with the median ratio — each ratio pairs a scenario
    with its ceiling measured in the same round — or, for ceilings, the median requests/s.
    With an even number of rounds, the lower median."""
    tables = [rows(outcomes) for outcomes in rounds]
    return [_median([table[index] for table in tables]) for index in range(len(tables[0]))]


def _median(candidates: list[Row]) -> Row:
    measured = [row for row in candidates if row.outcome.result is not None]
    if not measured:
        return candidates[0]
    if all(row.ratio is not None for row in measured):
        ordered = sorted(measured, key=lambda row: row.ratio or 0.0)
    else:
        ordered = sorted(
            measured,
            key=lambda row: row.outcome.result.requests_per_second if row.outcome.result else 0.0,
        )
    return ordered[(len(ordered) - 1) // 2]


def round_ratios(rounds: list[list[Outcome]]) -> dict[str, list[float | None]]:
    """Each scenario's ratio in every round (for the log and the JSON)."""
    found: dict[str, list[float | None]] = {}
    for outcomes in rounds:
        for row in rows(outcomes):
            if row.outcome.scenario.baseline:
                ratio = None if row.ratio is None else round(row.ratio, 3)
                found.setdefault(row.outcome.scenario.name, []).append(ratio)
    return found


def _met(
    outcome: Outcome, ratio: float | None, p99_factor: float | None, base: WrkResult | None
) -> str:
    scenario = outcome.scenario
    if outcome.result is None:
        return "skipped"
    if outcome.result.errors_status:
        return "INVALID (non-2xx)"  # a benchmark of error responses measures nothing
    if scenario.min_ratio is None and scenario.max_p99_factor is None:
        return "-"
    if base is None or ratio is None:
        return "no baseline"
    ok = scenario.min_ratio is None or ratio >= scenario.min_ratio
    if scenario.max_p99_factor is not None:
        ok = ok and p99_factor is not None and p99_factor <= scenario.max_p99_factor
    if outcome.result.socket_errors:  # timeouts or resets: the server did not keep up
        return "no (socket errors)"
    return "yes" if ok else "no"


COLUMNS = (
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "non-2xx",
    "sock err",
    "srv CPU ms/req",
    "pg CPU ms/req",
    "other CPU",
    "ratio",
    "p99 ×",
    "target",
    "met",
)
LEFT_ALIGNED = {0, len(COLUMNS) - 2, len(COLUMNS) - 1}


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def format_table(table: list[Row]) -> str:
    """The ratio table. "srv/pg CPU ms/req": CPU time the server process and PostgreSQL spent
    per request, steadier than requests/s on a busy machine; "other CPU": the share of the
    machine's CPU time that went to processes outside the run (should be near 0%)."""
    lines: list[tuple[str, ...]] = [COLUMNS]
    notes: list[str] = []
    for row in table:
        outcome = row.outcome
        result, scenario = outcome.result, outcome.scenario
        if result is None:
            lines.append(
                (scenario.name, *("-",) * (len(COLUMNS) - 3), scenario.target_text, row.met)
            )
            notes.append(f"{scenario.name}: {outcome.skipped}")
            continue
        lines.append(
            (
                scenario.name,
                f"{result.requests_per_second:,.0f}",
                f"{result.p50_us / 1000:.2f}",
                f"{result.p99_us / 1000:.2f}",
                str(result.errors_status),
                str(result.socket_errors),
                _ms(outcome.cpu_ms_per_request("server")),
                _ms(outcome.cpu_ms_per_request("postgres")),
                "?" if outcome.other_cpu is None else f"{outcome.other_cpu:.0%}",
                "-" if row.ratio is None else f"{row.ratio:.0%}",
                "-" if row.p99_factor is None else f"{row.p99_factor:.2f}",
                scenario.target_text,
                row.met,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    text = [
        "  ".join(
            cell.ljust(widths[i]) if i in LEFT_ALIGNED else cell.rjust(widths[i])
            for i, cell in enumerate(line)
        ).rstrip()
        for line in lines
    ]
    text.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(text + [f"  * {note}" for note in notes])


def write_json(path: Path, table: list[Row], meta: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({**meta, "results": [row.as_dict() for row in table]}, indent=2, default=str)
        + "\n"
    )
    return path
