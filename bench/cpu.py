"""Who used the CPUs during a measurement: us (wrk, the servers, our PostgreSQL) or others.

A benchmark on a shared 2-core machine is only as good as its quiet: a test suite running next
to it takes cores from both sides of a ratio at different moments. `CpuWatch` reads /proc (Linux
only; elsewhere it reports nothing) and gives the share of the machine's CPU time that went to
processes that are not part of the run ("other CPU" in the table).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ..." — comm may hold spaces and parentheses: split after the last ")".
    return text[text.rindex(")") + 2 :].split()


def process_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def _comm(pid: int) -> str:
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is not None:
            parents[pid] = int(fields[1])
    found = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def machine_busy_seconds() -> float:
    """CPU time spent by everything (all cores), idle and iowait excluded."""
    fields = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuShare:
    busy_seconds: float  # the whole machine, all cores
    groups: dict[str, float]  # CPU seconds of each watched group ("wrk" = waited children)

    @property
    def ours_seconds(self) -> float:
        return sum(self.groups.values())

    @property
    def others_share(self) -> float:
        """Share of the machine's busy CPU time used by processes outside the run."""
        if self.busy_seconds <= 0:
            return 0.0
        return max(0.0, self.busy_seconds - self.ours_seconds) / self.busy_seconds


class CpuWatch:
    """`start()` before a measured run, `stop()` after.

    `groups` name our long-lived processes (e.g. {"server": [pid], "postgres": [postmaster]});
    each root's descendants count with it. wrk, a child we wait for, is counted through
    RUSAGE_CHILDREN (as "wrk"), this process as "runner". With `any_postgres` (a server of
    DATABASE_URL on this machine) every process named `postgres` counts as "postgres".
    """

    def __init__(self, groups: dict[str, list[int]], *, any_postgres: bool = False) -> None:
        self.available = (PROC / "stat").exists()
        self.groups = groups
        self.any_postgres = any_postgres
        self._start: tuple[float, float, dict[str, dict[int, float]]] | None = None

    def _sample(self) -> dict[str, dict[int, float]]:
        sample: dict[str, dict[int, float]] = {"runner": {os.getpid(): 0.0}}
        for name, roots in self.groups.items():
            members: set[int] = set()
            for root in roots:
                members |= descendants(root)
            sample[name] = {pid: 0.0 for pid in members}
        if self.any_postgres:
            found = {pid: 0.0 for pid in _all_pids() if _comm(pid) == "postgres"}
            sample.setdefault("postgres", {}).update(found)
        for seconds in sample.values():
            for pid in seconds:
                seconds[pid] = process_seconds(pid)
        return sample

    def start(self) -> None:
        if self.available:
            self._start = (machine_busy_seconds(), _children_seconds(), self._sample())

    def stop(self) -> CpuShare | None:
        if not self.available or self._start is None:
            return None
        busy0, children0, before = self._start
        after = self._sample()
        groups = {
            name: sum(seconds - before.get(name, {}).get(pid, 0.0) for pid, seconds in pids.items())
            for name, pids in after.items()
        }
        groups["wrk"] = _children_seconds() - children0
        return CpuShare(machine_busy_seconds() - busy0, groups)
