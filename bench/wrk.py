"""wrk: find or install it, run it with bench/lua/load.lua, parse what its done() prints."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "load.lua"
RESULT_MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_us: int
    bytes: int
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float
    mean_us: float
    errors_connect: int
    errors_read: int
    errors_write: int
    errors_status: int
    errors_timeout: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / (self.duration_us / 1_000_000) if self.duration_us else 0.0

    @property
    def socket_errors(self) -> int:
        return self.errors_connect + self.errors_read + self.errors_write + self.errors_timeout

    def as_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "requests_per_second": round(self.requests_per_second, 1)}


class WrkError(RuntimeError):
    pass


def parse_output(stdout: str) -> WrkResult:
    """The `BENCH_RESULT {json}` line of bench/lua/load.lua's done()."""
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            data = json.loads(line.removeprefix(RESULT_MARKER))
            return WrkResult(
                requests=int(data["requests"]),
                duration_us=int(data["duration_us"]),
                bytes=int(data["bytes"]),
                p50_us=float(data["p50_us"]),
                p90_us=float(data["p90_us"]),
                p99_us=float(data["p99_us"]),
                max_us=float(data["max_us"]),
                mean_us=float(data["mean_us"]),
                errors_connect=int(data["errors_connect"]),
                errors_read=int(data["errors_read"]),
                errors_write=int(data["errors_write"]),
                errors_status=int(data["errors_status"]),
                errors_timeout=int(data["errors_timeout"]),
            )
    raise WrkError(f"wrk printed no {RESULT_MARKER.strip()} line:\n{stdout[-2000:]}")


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's packages when missing and we may (root or sudo)."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    prefix: list[str] | None = None
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        prefix = []
    elif apt and shutil.which("sudo") and _sudo_without_password():
        prefix = ["sudo", "-n"]
    if prefix is None:
        raise SystemExit(
            "[bench] wrk is not installed and cannot be installed from here (needs root or "
            "password-less sudo with apt-get). Install it — Debian/Ubuntu: `sudo apt-get install "
            "wrk`, macOS: `brew install wrk` — and run `make bench` again."
        )
    print("[bench] wrk is missing: apt-get install -y wrk", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run([*prefix, "apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("[bench] apt-get installed wrk but it is not on PATH")
    return found


def _sudo_without_password() -> bool:
    probe = subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def run(
    wrk: str,
    base_url: str,
    *,
    rows_file: Path,
    method: str,
    path: str,
    body_file: Path | None,
    auth: bool,
    connections: int,
    threads: int,
    duration_seconds: float,
    timeout_seconds: float = 10.0,  # wrk leaves timed-out requests out of its latencies
) -> WrkResult:
    """One bounded wrk run against a loopback URL."""
    if not base_url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise WrkError(f"the benchmark only loads loopback addresses, not {base_url}")
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_seconds))}s",
        f"--timeout={timeout_seconds:g}s",
        "-s",
        str(LUA_SCRIPT),
        base_url,
        "--",
        str(rows_file),
        method,
        path,
        str(body_file) if body_file else "-",
        secrets.token_hex(4),  # fresh per invocation: event ids never repeat across runs
        "1" if auth else "0",
    ]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=duration_seconds + timeout_seconds + 30,
    )
    if completed.returncode != 0:
        raise WrkError(f"wrk exited {completed.returncode}: {completed.stderr.strip()[-2000:]}")
    return parse_output(completed.stdout)
