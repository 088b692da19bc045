"""The benchmark harness's pieces (bench/): wrk output parsing, the ratio table, the Lua script
against a tiny loopback server, and the generator at a tiny scale in the test database.

No timing is asserted: the numbers are `make bench`'s business; these tests keep the harness
honest (a scenario with errors is never "met", the load rows are really openable — R-CON-7).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.entitlements import service as entitlements
from app.kit import security
from app.models import Lesson, Role, User
from bench import generate, loadset, report, wrk
from bench.profile import summarize_profile
from bench.scenarios import SCENARIOS, Scenario, by_name

WRK_STDOUT = """Running 1s test @ http://127.0.0.1:8000
  2 threads and 64 connections
BENCH_RESULT {"requests": 1200, "duration_us": 2000000, "bytes": 480000, "p50_us": 9000, \
"p90_us": 15000, "p99_us": 30000, "max_us": 41000, "mean_us": 10000.5, "errors_connect": 0, \
"errors_read": 0, "errors_write": 0, "errors_status": 3, "errors_timeout": 1}
"""


def _result(rps: float, p99_ms: float, status_errors: int = 0) -> wrk.WrkResult:
    return wrk.WrkResult(
        requests=int(rps * 10),
        duration_us=10_000_000,
        bytes=0,
        p50_us=1000.0,
        p90_us=2000.0,
        p99_us=p99_ms * 1000,
        max_us=p99_ms * 2000,
        mean_us=1000.0,
        errors_connect=0,
        errors_read=0,
        errors_write=0,
        errors_status=status_errors,
        errors_timeout=0,
    )


def test_wrk_done_line_is_parsed() -> None:
    result = wrk.parse_output(WRK_STDOUT)
    assert result.requests_per_second == 600
    assert result.p99_us == 30000
    assert result.errors_status == 3
    assert result.socket_errors == 1


def test_wrk_output_without_result_line_is_an_error() -> None:
    with pytest.raises(wrk.WrkError):
        wrk.parse_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_wrk_refuses_a_non_loopback_target(tmp_path: Path) -> None:
    with pytest.raises(wrk.WrkError):
        wrk.run(
            "wrk",
            "http://192.0.2.1:80",
            rows_file=tmp_path / "rows.tsv",
            method="GET",
            path="/",
            body_file=None,
            auth=False,
            connections=1,
            threads=1,
            duration_seconds=1,
        )


def test_ratios_targets_and_errors_in_the_table() -> None:
    lesson_page = by_name("lesson page")
    outcomes = [
        report.Outcome(by_name("ceiling read"), result=_result(1000, 20)),
        report.Outcome(lesson_page, result=_result(650, 25)),  # 65%, p99 1.25× → met
        report.Outcome(by_name("catalog list"), result=_result(500, 20, status_errors=7)),
        report.Outcome(by_name("member dashboard"), skipped="endpoint not available yet"),
        report.Outcome(by_name("progress write"), result=_result(100, 10)),  # no ceiling insert
    ]
    rows = {row.outcome.scenario.name: row for row in report.rows(outcomes)}
    assert rows["lesson page"].ratio == pytest.approx(0.65)
    assert rows["lesson page"].p99_factor == pytest.approx(1.25)
    assert rows["lesson page"].met == "yes"
    assert rows["catalog list"].met == "INVALID (non-2xx)"  # a benchmark of errors is worthless
    assert rows["member dashboard"].met == "skipped"
    assert rows["progress write"].met == "no baseline"

    slow_tail = report.Outcome(lesson_page, result=_result(700, 31))  # rps fine, p99 1.55×
    base = report.Outcome(by_name("ceiling read"), result=_result(1000, 20))
    assert report.rows([base, slow_tail])[1].met == "no"
    timeouts = dataclasses.replace(_result(700, 25), errors_timeout=2)
    assert report.rows([base, report.Outcome(lesson_page, result=timeouts)])[1].met == (
        "no (socket errors)"
    )

    table = report.format_table(list(rows.values()))
    assert "member dashboard: endpoint not available yet" in table
    assert "65%" in table


def test_rounds_report_the_median_round_with_paired_ratios() -> None:
    """A drifting machine moves whole rounds: each ratio pairs a scenario with the ceiling of
    its own round, and the table shows the median round."""
    ceiling, lesson_page = by_name("ceiling read"), by_name("lesson page")
    rounds = [
        [
            report.Outcome(ceiling, result=_result(ceiling_rps, 20)),
            report.Outcome(lesson_page, result=_result(page_rps, 20)),
        ]
        for ceiling_rps, page_rps in ((1000, 500), (2000, 1400), (1500, 900))  # 50%, 70%, 60%
    ]
    rows = report.median_rows(rounds)
    assert rows[0].outcome.result is not None
    assert rows[0].outcome.result.requests_per_second == 1500  # the median ceiling
    assert rows[1].ratio == pytest.approx(0.60)  # the median round's own pair
    assert rows[1].met == "yes"
    assert report.round_ratios(rounds) == {"lesson page": [0.5, 0.7, 0.6]}
    assert report.median_rows(rounds[:1])[1].ratio == pytest.approx(0.5)  # one round: as is


def test_profile_summary_groups_samples_by_library() -> None:
    collapsed = (
        "proc;main (uvicorn/main.py:1);solve_dependencies (fastapi/dependencies/utils.py:9) 6\n"
        "proc;main (uvicorn/main.py:1);get_lesson (app/content/router.py:5) 3\n"
        "proc;_do_execute (asyncpg/connection.py:2066) 1\n"
    )
    summary = summarize_profile(collapsed)
    assert "60.0%  fastapi" in summary
    assert "30.0%  app" in summary
    assert "get_lesson (app/content/router.py:5)" in summary


def test_every_scenario_compares_with_a_ceiling_that_exists() -> None:
    names = {s.name for s in SCENARIOS}
    for scenario in SCENARIOS:
        assert scenario.baseline is None or scenario.baseline in names
        if scenario.server == "ceiling":
            assert scenario.baseline is None


# --- the Lua script, against a loopback server that records what it receives -----------------


class _Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str | None, bytes]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((self.command, self.path, self.headers.get("Authorization"), body))
        status = 404 if self.path.endswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


# --- the generator at a tiny scale, inside the test's rolled-back transaction -----------------


async def test_r_con_7_tiny_dataset_loads_and_every_load_row_is_openable(
    connection: AsyncConnection, session: AsyncSession
) -> None:
    # SQLAlchemy's asyncpg adapter sends BEGIN with the first statement it runs: run one, or
    # the COPYs below would autocommit outside the test's rolled-back transaction.
    await connection.execute(text("SELECT 1"))
    raw = await connection.get_raw_connection()
    copy_connection = raw.driver_connection
    now = datetime.now(UTC)
    out = await generate.generate(
        copy_connection,
        generate.TINY,
        seed=1,
        now=now,
        password_hash="not-a-hash",
        say=lambda _: None,
    )
    scale = generate.TINY
    assert out.rows["user_account"] == scale.members
    assert out.rows["course"] == scale.courses
    assert out.rows["lesson"] == scale.courses * scale.lessons_per_course
    assert out.rows["auth_session"] == scale.members
    if "lesson_progress" in out.rows:
        assert out.rows["lesson_progress"] == scale.progress_rows

    secret = "bench-test-secret-0123456789abcdef0123"
    tokens = loadset.TokenSettings(secret, "manabi", "manabi-api")
    rows = await loadset.build_load_rows(copy_connection, tokens, count=30, now=now)
    assert len(rows) == 30 and any(row.has_video for row in rows)
    for row in rows:
        claims = security.decode_access_token(
            row.token, secret=secret, issuer="manabi", audience="manabi-api", now=now
        )
        assert claims.user_id == row.user_id
        course_id = await session.scalar(select(Lesson.course_id).where(Lesson.id == row.lesson_id))
        assert course_id is not None
        assert await entitlements.may_open_course(
            session, user_id=row.user_id, role=Role.member, course_id=course_id, now=now
        ), "the generator's mirror of R-CON-7 disagrees with the app's entitlement check"
    assert await session.scalar(select(func.count()).select_from(User)) >= scale.members


def test_scenario_target_text() -> None:
    assert by_name("lesson page").target_text == "≥60% rps, p99≤1.5×"
    assert Scenario("x", "app", "GET", "/").target_text == "-"
