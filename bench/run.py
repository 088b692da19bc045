"""`make bench`: the app against the bare FastAPI + asyncpg ceiling, in one run, as ratios.

    python bench/run.py [--quick] [--duration S] [--warmup S] [--connections N] [--threads N]
                        [--workers N] [--scenario NAME ...] [--regenerate] [--profile NAME]
                        [--rounds N] [--plain-ceiling]

1. wrk (installed from Debian's packages when missing and we are root or have sudo);
2. PostgreSQL: the embedded server under .benchdb/ (tuned, see bench/database.py), or the
   server of DATABASE_URL; the dataset lives in its own database `manabi_bench_<scale>`;
3. the dataset (bench/generate.py, COPY; bench/dataset.py), generated once and reused while the
   migrations, the generator, the scale and the seed are unchanged (`--regenerate` forces it);
4. tokens minted for the load members and (token, lesson) rows for wrk to rotate through;
5. the app (production settings) and the ceiling (bench/ceiling.py: one statement per request,
   first come first served; `--plain-ceiling` for asyncpg's pool as shipped) under uvicorn on
   127.0.0.1;
6. per scenario (bench/scenarios.py): the route must exist (else "endpoint not available yet"),
   a sample request must answer the expected status (a benchmark of 401s is worthless), then a
   warm-up and a measured wrk run at `--connections` (`--profile NAME`: py-spy meanwhile,
   bench/profile.py); with `--rounds N` every scenario is measured N times, ceilings and app
   alternating, and each scenario's median round is reported (its ratio pairs it with the
   ceiling of the same round: steadier on a machine whose speed drifts);
7. the ratio table, also written to bench/results/<timestamp>.json;
8. webhook intake (bench/webhook_intake.py): signed notifications accepted per second, none lost.

Exit status: 0 when every available scenario was measured (targets not met, and timeouts of an
overloaded server, are reported, not failures); 1 when a scenario failed its sample request or
answered non-2xx under load.
Full scale on 2 cores: ~1–2 minutes to generate the dataset the first time (reused afterwards),
~1.5 minutes of load per round; ~3 minutes in all with one round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from bench import cpu, database, generate, loadset, report, servers, webhook_intake, wrk  # noqa: E402
from bench.ceiling import STRICT_ENV  # noqa: E402
from bench.console import say  # noqa: E402
from bench.dataset import prepare_dataset, prepare_load  # noqa: E402
from bench.profile import finish_profiler, start_profiler  # noqa: E402
from bench.scenarios import SCENARIOS, Scenario  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SEED = 20261123
OTHER_CPU_WARNING = 0.10


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small dataset, short runs")
    parser.add_argument("--duration", type=float, help="seconds measured per scenario (12)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per scenario (3)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (app and ceiling)")
    parser.add_argument(
        "--scenario", action="append", help="only these scenarios (their ceilings always run)"
    )
    parser.add_argument("--regenerate", action="store_true", help="rebuild the dataset")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--profile", metavar="SCENARIO", help="py-spy the app worker during this scenario"
    )
    parser.add_argument(
        "--keep-server", action="store_true", help="leave the embedded PostgreSQL running"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every scenario this many times, app and ceiling alternating; the table "
        "shows each scenario's median round (3 is steadier on a busy machine)",
    )
    parser.add_argument(
        "--plain-ceiling",
        action="store_true",
        help="run the ceiling on asyncpg's pool as shipped (a reset query on every release, "
        "newcomers may overtake waiters) instead of the app's pool discipline (bench/ceiling.py)",
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (5.0 if args.quick else 12.0)
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 3.0)
    return args


WEBHOOK_INTAKE = "webhook intake"  # measured by bench/webhook_intake.py after the table


def selected(names: list[str] | None) -> list[Scenario]:
    if not names:
        return list(SCENARIOS)
    names = [n for n in names if n != WEBHOOK_INTAKE]
    if not names:
        return []
    known = {s.name for s in SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(
            f"[bench] unknown scenario(s) {unknown}; known: {sorted(known | {WEBHOOK_INTAKE})}"
        )
    wanted = set(names) | {s.baseline for s in SCENARIOS if s.name in names and s.baseline}
    return [s for s in SCENARIOS if s.name in wanted]


# --- dataset ---------------------------------------------------------------------------------


class LoadFiles:
    """The rows files wrk reads: all rows, and rows whose lesson has a video."""

    def __init__(self, rows: list[loadset.LoadRow], directory: Path) -> None:
        video = [row for row in rows if row.has_video]
        self.all = (loadset.write_rows(rows, directory / "rows.tsv"), rows[0])
        self.video = (loadset.write_rows(video, directory / "rows-video.tsv"), video[0])

    def for_scenario(self, scenario: Scenario) -> tuple[Path, loadset.LoadRow]:
        return self.video if scenario.video_lessons_only else self.all


# --- scenarios -------------------------------------------------------------------------------


def app_operations(database_url: str) -> list[tuple[str, re.Pattern[str]]]:
    """(METHOD, path regex) of every operation in the app's OpenAPI document."""
    from app.config import Environment, Settings
    from app.main import create_app

    settings = Settings(
        environment=Environment.development,  # the document is served outside production only
        database_url=database_url,
        test_clock_enabled=False,
        log_level="WARNING",
    )
    operations = []
    for path, item in create_app(settings).openapi()["paths"].items():
        parts = re.split(r"\{[^}]+\}", path)
        regex = re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "$")
        operations += [(method.upper(), regex) for method in item]
    return operations


def route_exists(scenario: Scenario, operations: list[tuple[str, re.Pattern[str]]]) -> bool:
    """Does the app have an operation for this method and path? (None = not built yet.)"""
    if scenario.server != "app":
        return True
    path = scenario.path.split("?", 1)[0].replace("{id}", str(uuid.uuid4()))
    return any(method == scenario.method and regex.match(path) for method, regex in operations)


def body_template(scenario: Scenario, now: str) -> str | None:
    return None if scenario.body is None else scenario.body.replace("{now}", now)


def sample_request(
    base_url: str, scenario: Scenario, row: loadset.LoadRow, now: str
) -> tuple[int, str]:
    """One request like the load's; (status, body excerpt)."""
    headers = {"Accept-Language": "ja"}
    if scenario.auth:
        headers["Authorization"] = f"Bearer {row.token}"
    data = None
    template = body_template(scenario, now)
    if template is not None:
        headers["Content-Type"] = "application/json"
        body = template.replace("{id}", str(row.lesson_id))
        data = body.replace("{event_id}", str(uuid.uuid4())).encode()
    request = urllib.request.Request(
        base_url + scenario.path.replace("{id}", str(row.lesson_id)),
        data=data,
        headers=headers,
        method=scenario.method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(300).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(300).decode(errors="replace")


def measure(
    scenario: Scenario,
    server: servers.RunningServer,
    args: argparse.Namespace,
    wrk_binary: str,
    files: LoadFiles,
    workdir: Path,
    stamp: str,
    postmaster: int | None,
    *,
    warmup: float,
    profile: bool,
) -> report.Outcome:
    """Sample request, warm-up, measured run (CPU watched: the server, PostgreSQL, others)."""
    rows_file, sample_row = files.for_scenario(scenario)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    status, body = sample_request(server.base_url, scenario, sample_row, now)
    if status != scenario.expect:
        return report.Outcome(
            scenario,
            skipped=f"sample request answered {status} (expected {scenario.expect}): "
            f"{' '.join(body.split())[:200]}",
        )
    body_file = None
    template = body_template(scenario, now)
    if template is not None:
        body_file = workdir / f"{scenario.name.replace(' ', '-')}.json"
        body_file.write_text(template)

    def run_wrk(seconds: float) -> wrk.WrkResult:
        return wrk.run(
            wrk_binary,
            server.base_url,
            rows_file=rows_file,
            method=scenario.method,
            path=scenario.path,
            body_file=body_file,
            auth=scenario.auth,
            connections=args.connections,
            threads=args.threads,
            duration_seconds=seconds,
        )

    if warmup > 0:
        run_wrk(warmup)
    profiler = None
    if profile:
        output = RESULTS / f"{stamp}-{scenario.name.replace(' ', '-')}.txt"
        profiler = start_profiler(server, scenario.name, args.duration, output)
    groups = {"server": [server.pid]}
    if postmaster:
        groups["postgres"] = [postmaster]
    watch = cpu.CpuWatch(groups, any_postgres=postmaster is None)
    watch.start()
    result = run_wrk(args.duration)
    share = watch.stop()
    if profiler is not None:
        finish_profiler(*profiler)
    other = None if share is None else share.others_share
    if other is not None and other > OTHER_CPU_WARNING:
        say(
            f"{scenario.name}: other processes used {other:.0%} of the CPU time during the "
            "measurement — the machine was not quiet; ratios are unreliable"
        )
    return report.Outcome(scenario, result=result, cpu=share)


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = generate.QUICK if args.quick else generate.FULL
    scenarios = selected(args.scenario)
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    wrk_binary = wrk.ensure_wrk()

    admin_url, embedded = database.server_url()
    say(
        "database: "
        + ("embedded PostgreSQL under .benchdb/" if embedded else database.masked(admin_url))
    )
    try:
        return _run(args, scale, scenarios, wrk_binary, admin_url, embedded, stamp, started)
    finally:
        if embedded and not args.keep_server:
            database.stop_embedded()


def _run(
    args: argparse.Namespace,
    scale: generate.Scale,
    scenarios: list[Scenario],
    wrk_binary: str,
    admin_url: str,
    embedded: bool,
    stamp: str,
    started: float,
) -> int:
    from app.config import Environment, Settings

    url = asyncio.run(prepare_dataset(admin_url, scale, seed=args.seed, regenerate=args.regenerate))
    pg_settings = asyncio.run(database.server_settings(url))
    say("postgres: " + ", ".join(f"{k}={v}" for k, v in sorted(pg_settings.items())))

    secret_key, signing_key = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    settings = Settings(
        environment=Environment.production,
        database_url=url,
        secret_key=secret_key,
        signing_key=signing_key,
        test_clock_enabled=False,
    )
    tokens = loadset.TokenSettings(secret_key, settings.jwt_issuer, settings.jwt_audience)
    env = servers.app_environment(url, secret_key, signing_key)

    operations = app_operations(url)
    rounds: list[list[report.Outcome]] = []
    with tempfile.TemporaryDirectory(prefix="manabi-bench-") as tmp:
        workdir = Path(tmp)
        rows = asyncio.run(prepare_load(url, scale, tokens))
        files = LoadFiles(rows, workdir)
        logs = RESULTS / f"{stamp}-logs"  # the servers' output (warnings and errors only)
        say(
            f"load: {len(rows):,} (token, lesson) rows over "
            f"{len({r.user_id for r in rows}):,} members and "
            f"{len({r.lesson_id for r in rows}):,} lessons; {args.connections} connections, "
            f"{args.threads} wrk threads, {args.warmup:g}s warm-up + {args.duration:g}s per scenario, "
            f"{args.workers} uvicorn worker(s) each"
            + ("; ceiling on asyncpg's pool as shipped" if args.plain_ceiling else "")
        )
        with (
            servers.serve(
                "ceiling",
                {**env, STRICT_ENV: "0" if args.plain_ceiling else "1"},
                workers=args.workers,
                log_dir=logs,
            ) as ceiling,
            servers.serve("app", env, workers=args.workers, log_dir=logs) as app_server,
        ):
            running = {"ceiling": ceiling, "app": app_server}
            postmaster = database.embedded_postmaster_pid() if embedded else None
            for number in range(args.rounds):
                if args.rounds > 1:
                    say(f"round {number + 1} of {args.rounds}")
                previous = rounds[0] if rounds else None
                outcomes: list[report.Outcome] = []
                for index, scenario in enumerate(scenarios):
                    if previous is not None and previous[index].skipped:
                        outcomes.append(previous[index])  # not available: no point asking again
                        continue
                    if not route_exists(scenario, operations):
                        say(
                            f"{scenario.name}: endpoint not available yet "
                            f"({scenario.method} {scenario.path})"
                        )
                        outcomes.append(
                            report.Outcome(scenario, skipped="endpoint not available yet")
                        )
                        continue
                    say(f"{scenario.name}: {scenario.method} {scenario.path}")
                    outcome = measure(
                        scenario,
                        running[scenario.server],
                        args,
                        wrk_binary,
                        files,
                        workdir,
                        stamp,
                        postmaster,
                        warmup=args.warmup if number == 0 else 0.0,
                        profile=number == 0 and args.profile == scenario.name,
                    )
                    if outcome.skipped:
                        say(f"{scenario.name}: NOT MEASURED — {outcome.skipped}")
                    outcomes.append(outcome)
                rounds.append(outcomes)

    table = report.median_rows(rounds)
    ratios = report.round_ratios(rounds)
    print()
    if args.rounds > 1:
        for name, values in ratios.items():
            shown = " ".join("-" if v is None else f"{v:.0%}" for v in values)
            print(f"[bench] {name}: ratio per round {shown} (the table shows the median round)")
    print(report.format_table(table), flush=True)
    intake = None
    if not args.scenario or WEBHOOK_INTAKE in args.scenario:
        say(f"{WEBHOOK_INTAKE}: POST /api/v1/webhooks/amazon-pay (signed SNS envelopes)")
        intake = webhook_intake.run_intake(
            webhook_intake.prepare_database(admin_url),
            wrk_binary=wrk_binary,
            messages=6_000 if args.quick else 25_000,
            duration=args.duration,
            connections=args.connections,
            threads=args.threads,
            log_dir=RESULTS / f"{stamp}-logs",
            say=say,
        )
        print(webhook_intake.format_result(intake), flush=True)
    meta = {
        "started_at": stamp,
        "scale": scale.name,
        "seed": args.seed,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "uvicorn_workers": args.workers,
        "ceiling_pool": "asyncpg as shipped" if args.plain_ceiling else "strict",
        "duration_seconds": args.duration,
        "warmup_seconds": args.warmup,
        "rounds": args.rounds,
        "ratios_per_round": ratios,
        "postgres": pg_settings,
        "python": sys.version.split()[0],
        "cpus": _cpu_count(),
        "webhook_intake": None
        if intake is None
        else {
            "notifications_per_second": round(intake.result.requests_per_second, 1),
            "p50_ms": round(intake.result.p50_us / 1000, 1),
            "p99_ms": round(intake.result.p99_us / 1000, 1),
            "requests": intake.result.requests,
            "refused": intake.result.errors_status,
            "stored": intake.stored,
            "jobs": intake.jobs,
            "lost": intake.lost,
        },
    }
    path = report.write_json(RESULTS / f"{stamp}.json", table, meta)
    say(f"results written to {path.relative_to(ROOT)} ({time.monotonic() - started:.0f}s in all)")
    failed = [
        o
        for outcomes in rounds
        for o in outcomes
        if (o.result is not None and o.result.errors_status)
        or (o.skipped and o.skipped != "endpoint not available yet")
    ]
    lost = intake is not None and (intake.lost or intake.result.errors_status)
    return 1 if failed or lost else 0


def _cpu_count() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    raise SystemExit(main())
