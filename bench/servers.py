"""The servers under load: uvicorn on 127.0.0.1, a free port, the same settings for both.

Both get the same uvicorn flags: `--workers` (1 by default: on 2 cores shared with wrk and
PostgreSQL one worker each keeps the comparison fair), log level warning, no access log,
uvicorn's default loop and HTTP parser (uvloop + httptools from `uvicorn[standard]`).

The app runs as in production: MANABI_ENVIRONMENT=production with secrets generated for the run
(so the test clock is off and costs no query), MANABI_LOG_LEVEL=WARNING, and payment provider
settings that satisfy the production check (no scenario talks to the provider).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 60.0

APPS = {"app": "app.main:create_app", "ceiling": "bench.ceiling:create_app"}


@dataclass
class RunningServer:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_environment(database_url: str, secret_key: str, signing_key: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "MANABI_ENVIRONMENT": "production",
        "MANABI_SECRET_KEY": secret_key,
        "MANABI_SIGNING_KEY": signing_key,
        "MANABI_TEST_CLOCK_ENABLED": "false",
        "MANABI_LOG_LEVEL": "WARNING",
        # Production refuses to start without payment provider settings; no scenario pays, so a
        # throwaway key and an address that never resolves (.invalid) are enough.
        "MANABI_PAYMENT_PRIVATE_KEY_PEM": throwaway_private_key_pem(),
        "MANABI_PAYMENT_PROVIDER_BASE_URL": "https://payments.invalid/v2",
    }


def throwaway_private_key_pem() -> str:
    """A fresh RSA key (PEM) for the run's payment settings: never used to sign anything."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@contextlib.contextmanager
def serve(
    name: str, env: dict[str, str], *, workers: int, log_dir: Path
) -> Iterator[RunningServer]:
    """Start uvicorn for APPS[name], wait until /healthz answers, stop it (SIGTERM) afterwards."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        APPS[name],
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = RunningServer(name, base_url, process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: RunningServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode} while starting:\n"
                + server.log.read_text(errors="replace")[-3000:]
            )
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer /healthz within {READY_TIMEOUT_SECONDS:.0f}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
