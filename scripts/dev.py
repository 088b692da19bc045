"""Everything `make run/migrate/seed/worker` does, in one place.

    python scripts/dev.py run [--host 127.0.0.1] [--port 8000] [--reload]
    python scripts/dev.py migrate
    python scripts/dev.py seed
    python scripts/dev.py worker

The database: when DATABASE_URL is unset, the embedded PostgreSQL under .devdb/ is started (or
reused when already running; `make stop` stops it) and its URL is exported to the child processes.
Otherwise the given URL is used as it is (a bare `postgresql://` gets the `+asyncpg` driver).

`run` = database → migrations → demo data → four child processes: the SMTP sink
(scripts/smtp_sink.py, 127.0.0.1:8025, mails saved under .devmail/), the payment provider
simulator (scripts/simulator.py, 127.0.0.1:8001, pushing signed notifications to the API's
webhook; a development signing key is generated once under .devpay/), the job worker and the API
(uvicorn). Ctrl-C or SIGTERM stops all of them (the database keeps running); when any child
exits on its own, the others are stopped and `run` exits non-zero. Children run in their own
process groups so that a Ctrl-C reaches them once, through us, not twice (uvicorn treats a
second SIGINT as "exit now, skip the graceful shutdown").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
MAIL_DIR = ROOT / ".devmail"
SMTP_SINK = SCRIPTS / "smtp_sink.py"
SMTP_PORT = 8025
SIMULATOR = SCRIPTS / "simulator.py"
SIMULATOR_PORT = 8001
PAYMENT_DIR = ROOT / ".devpay"
SIMULATOR_STATE = PAYMENT_DIR / "simulator-state.json"  # the simulator's objects across restarts
PAYMENT_KEY = PAYMENT_DIR / "provider-signing-key.pem"
STOP_GRACE_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 60.0

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # see scripts/devdb.py


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


# --- database -------------------------------------------------------------------------------


def ensure_database() -> str:
    """DATABASE_URL if set, else the embedded server (started if needed); exported either way."""
    given = os.environ.get("DATABASE_URL")
    if given:
        url = _with_asyncpg_driver(given)
        say(f"database: {_masked(url)} (from DATABASE_URL)")
    else:
        from scripts import devdb

        try:
            url = devdb.start()
        except Exception as error:
            raise SystemExit(
                f"[dev] could not start the embedded PostgreSQL under {devdb.DATA}: {error}\n"
                f"[dev] its log is {devdb.DATA / 'log'}; or set DATABASE_URL to a server of yours."
            ) from error
        say(
            f"database: embedded PostgreSQL, data in {_relative(devdb.DATA)}/ (`make stop` stops it)"
        )
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("MANABI_ENVIRONMENT", "development")
    return url


def _with_asyncpg_driver(url: str) -> str:
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+asyncpg://" + url.removeprefix(bare)
    return url


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    say("migrating to the latest schema (alembic upgrade heads)")
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    command.upgrade(config, "heads")


def seed(url: str) -> list[Any]:
    from sqlalchemy.exc import ProgrammingError

    from scripts import seed as seed_module

    say("seeding demo data")
    try:
        credentials = asyncio.run(seed_module.run(url))
    except ProgrammingError as error:
        if "does not exist" in str(error):
            raise SystemExit(
                "[dev] the schema is missing: run `make migrate` first (or `make run`)"
            ) from error
        raise
    seed_module.print_credentials(credentials)
    return list(credentials)


# --- child processes ------------------------------------------------------------------------


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MANABI_ENVIRONMENT", "development")
    env["PYTHONUNBUFFERED"] = "1"  # logs show up as they happen, in order
    env.update(extra or {})
    return env


def ensure_payment_key() -> Path:
    """A development signing key for the provider adapter (the simulator registers its public
    half). Generated once; never used outside development."""
    if not PAYMENT_KEY.exists():
        from app.payments.provider.signing import generate_key_pair

        PAYMENT_DIR.mkdir(mode=0o700, exist_ok=True)
        private_pem, _ = generate_key_pair()
        PAYMENT_KEY.write_text(private_pem, encoding="utf-8")
        PAYMENT_KEY.chmod(0o600)
        say(f"generated a development payment signing key in {_relative(PAYMENT_KEY)}")
    return PAYMENT_KEY


def payment_env() -> dict[str, str]:
    """Point the API and the worker at the simulator (unless the environment says otherwise)."""
    simulator = f"http://127.0.0.1:{SIMULATOR_PORT}"
    return {
        "MANABI_PAYMENT_PRIVATE_KEY_FILE": os.environ.get(
            "MANABI_PAYMENT_PRIVATE_KEY_FILE", str(ensure_payment_key())
        ),
        "MANABI_PAYMENT_PROVIDER_BASE_URL": os.environ.get(
            "MANABI_PAYMENT_PROVIDER_BASE_URL", f"{simulator}/v2"
        ),
        "MANABI_PAYMENT_SNS_CERT_FETCH_BASE_URL": os.environ.get(
            "MANABI_PAYMENT_SNS_CERT_FETCH_BASE_URL", f"{simulator}/_sim/sns/"
        ),
    }


def worker_command() -> list[str]:
    return [sys.executable, "-m", "app.worker"]


def api_command(host: str, port: int, reload: bool) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",  # the app writes its own (structured, redacted) access log
    ]
    if reload:
        command += ["--reload", "--reload-dir", "app"]
    return command


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if this supervisor dies without cleaning up (e.g. SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except Exception:  # not Linux: best effort only
        return


@dataclass
class Child:
    name: str
    command: Sequence[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            list(self.command),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            process_group=0,  # our own group: the terminal's Ctrl-C reaches us, we forward it
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal(self, signum: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)  # the whole group: uvicorn --reload has a child


class Supervisor:
    """Start children, forward stop signals once, stop everyone when one of them exits."""

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.stop_requested: int | None = None

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stop_requested is None:
            self.stop_requested = signum

    def start(self, env: dict[str, str]) -> None:
        for child in self.children:
            say(f"starting {child.name}: {' '.join(child.command)}")
            child.start(env)

    def exited(self) -> Child | None:
        return next((child for child in self.children if child.exit_code() is not None), None)

    def wait_until_ready(self, url: str, timeout: float) -> Child | None:
        """Poll `url` until it answers 200. Returns a child that exited meanwhile, if any."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.stop_requested is None:
            if (dead := self.exited()) is not None:
                return dead
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return None
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        if self.stop_requested is None and time.monotonic() >= deadline:
            say(f"warning: {url} did not answer within {timeout:.0f}s; still waiting on it")
        return None

    def supervise(self) -> int:
        """Block until a stop signal or a child's exit; stop everyone; return the exit code."""
        dead = None
        while self.stop_requested is None and (dead := self.exited()) is None:
            time.sleep(0.2)
        if dead is not None:
            code = dead.exit_code() or 0
            how = (
                f"was killed by {signal.Signals(-code).name}"
                if code < 0
                else f"exited with code {code}"
            )
            say(f"{dead.name} {how}; stopping the others")
            self.stop_all()
            # Non-zero whatever happened: a child that exits on its own ends the run as a failure.
            return 128 - code if code < 0 else (code or 1)
        say(f"received {signal.Signals(self.stop_requested or signal.SIGTERM).name}; stopping")
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        for child in self.children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{child.name} did not stop within {STOP_GRACE_SECONDS:.0f}s; killing it")
                child.signal(signal.SIGKILL)
                child.process.wait()
        say("all processes stopped (the database keeps running; `make stop` stops it)")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like uvicorn: a socket lingering in TIME_WAIT from a previous run is not "in use".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


# --- commands -------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    migrate(ensure_database())
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    seed(ensure_database())
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    ensure_database()
    supervisor = Supervisor([Child("worker", worker_command())])
    supervisor.install_signal_handlers()
    supervisor.start(child_env(payment_env()))
    return supervisor.supervise()


def cmd_run(args: argparse.Namespace) -> int:
    host, port = args.host, args.port
    needed = [
        (host, port, "the API"),
        ("127.0.0.1", SMTP_PORT, "the SMTP sink"),
        ("127.0.0.1", SIMULATOR_PORT, "the payment simulator"),
    ]
    busy = [(h, p, what) for h, p, what in needed if port_in_use(h, p)]
    if busy:
        for h, p, what in busy:
            print(f"[dev] {h}:{p} is already in use; {what} needs it.", file=sys.stderr)
        print(
            "[dev] Is `make run` already running in another terminal? Stop it with Ctrl-C there "
            f"(or find the process: `ss -ltnp | grep :{busy[0][1]}`). "
            "The API port can be changed: `python scripts/dev.py run --port 8001`.",
            file=sys.stderr,
        )
        return 1

    url = ensure_database()
    migrate(url)
    credentials = seed(url)

    MAIL_DIR.mkdir(exist_ok=True)
    base_url = f"http://{host}:{port}"
    env = child_env(
        {
            "MANABI_PUBLIC_BASE_URL": os.environ.get("MANABI_PUBLIC_BASE_URL", base_url),
            **payment_env(),
        }
    )

    children: list[Child] = []
    if SMTP_SINK.exists():
        children.append(Child("smtp-sink", [sys.executable, str(SMTP_SINK.relative_to(ROOT))]))
    else:
        say(f"warning: {SMTP_SINK.relative_to(ROOT)} is missing; running without the SMTP sink")
    children.append(
        Child(
            "simulator",
            [
                sys.executable,
                str(SIMULATOR.relative_to(ROOT)),
                "--port",
                str(SIMULATOR_PORT),
                "--webhook-url",
                f"{base_url}/api/v1/webhooks/amazon-pay",
                "--state-file",
                str(SIMULATOR_STATE.relative_to(ROOT)),
            ],
        )
    )
    children.append(Child("worker", worker_command()))
    children.append(Child("api", api_command(host, port, args.reload)))

    supervisor = Supervisor(children)
    supervisor.install_signal_handlers()
    supervisor.start(env)

    dead = supervisor.wait_until_ready(f"{base_url}/healthz", READY_TIMEOUT_SECONDS)
    if dead is None and supervisor.stop_requested is None:
        print(_banner(base_url, credentials), flush=True)
    return supervisor.supervise()


def _banner(base_url: str, credentials: list[Any]) -> str:
    from scripts import seed as seed_module

    lines = [
        "",
        "=" * 72,
        f"  Manabi is running (environment: {os.environ.get('MANABI_ENVIRONMENT', 'development')})",
        f"  API           {base_url}/api/v1",
        f"  Docs          {base_url}/docs",
        f"  Health        {base_url}/healthz   {base_url}/readyz   {base_url}/metrics",
        f"  Mail (SMTP)   127.0.0.1:{SMTP_PORT} → {_relative(MAIL_DIR)}/",
        f"  Payments      Amazon Pay simulator http://127.0.0.1:{SIMULATOR_PORT}/v2 "
        f"(buyer and test controls under /_sim/)",
        f"  Database      {_masked(os.environ['DATABASE_URL'])}",
        "  Demo accounts (email verified):",
        *(f"    {line}" for line in seed_module.credentials_table(credentials).splitlines()),
        "  Ctrl-C stops the API, worker, simulator and mail sink; `make stop` stops the database.",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/dev.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="database, migrations, demo data, SMTP sink, worker, API")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.add_argument("--reload", action="store_true", help="restart the API when app/ changes")
    run.set_defaults(handler=cmd_run)
    sub.add_parser("migrate", help="alembic upgrade heads").set_defaults(handler=cmd_migrate)
    sub.add_parser("seed", help="insert the demo data (idempotent)").set_defaults(handler=cmd_seed)
    sub.add_parser("worker", help="run the job worker").set_defaults(handler=cmd_worker)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:  # Ctrl-C during migrations or seeding (before any child started)
        print("\n[dev] interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
