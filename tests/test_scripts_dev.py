"""scripts/dev.py: the supervisor stops everyone when one child dies or a stop is requested."""

from __future__ import annotations

import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from scripts import dev, devdb


def _child(name: str, code: str) -> dev.Child:
    return dev.Child(name, [sys.executable, "-c", code])


def test_a_child_that_exits_stops_the_others_and_fails_the_run() -> None:
    sleeper = _child("sleeper", "import time; time.sleep(60)")
    crasher = _child("crasher", "import sys, time; time.sleep(0.3); sys.exit(3)")
    supervisor = dev.Supervisor([sleeper, crasher])
    supervisor.start(dev.child_env())
    started = time.monotonic()
    assert supervisor.supervise() == 3
    assert time.monotonic() - started < dev.STOP_GRACE_SECONDS
    assert sleeper.exit_code() == -signal.SIGTERM


def test_a_stop_request_is_forwarded_to_every_child() -> None:
    children = [_child(f"sleeper-{i}", "import time; time.sleep(60)") for i in range(2)]
    supervisor = dev.Supervisor(children)
    supervisor.start(dev.child_env())
    supervisor._on_signal(signal.SIGINT, None)
    supervisor._on_signal(signal.SIGTERM, None)  # a second signal (e.g. from make) is harmless
    assert supervisor.supervise() == 0
    assert all(child.exit_code() == -signal.SIGTERM for child in children)


def test_children_get_the_development_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MANABI_ENVIRONMENT", raising=False)
    assert dev.child_env()["MANABI_ENVIRONMENT"] == "development"
    monkeypatch.setenv("MANABI_ENVIRONMENT", "test")
    assert dev.child_env()["MANABI_ENVIRONMENT"] == "test"


def test_port_in_use_is_detected() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert dev.port_in_use("127.0.0.1", port)
    assert not dev.port_in_use("127.0.0.1", port)


def test_run_refuses_a_busy_port_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert dev.main(["run", "--port", str(port)]) == 1
    message = capsys.readouterr().err
    assert f"127.0.0.1:{port} is already in use" in message
    assert "make run" in message


def test_bare_postgres_urls_get_the_asyncpg_driver() -> None:
    assert dev._with_asyncpg_driver("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert dev._with_asyncpg_driver("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    given = "postgresql+asyncpg://u@h/db"
    assert dev._with_asyncpg_driver(given) == given


def test_devdb_stop_without_a_server_is_a_no_op(tmp_path: Path) -> None:
    assert devdb._running_pid(tmp_path) is None
    assert devdb.stop(tmp_path) == 0


def test_a_killed_child_fails_the_run_with_the_shell_convention() -> None:
    victim = _child(
        "victim", "import os, signal, time; time.sleep(0.2); os.kill(os.getpid(), signal.SIGKILL)"
    )
    supervisor = dev.Supervisor([victim])
    supervisor.start(dev.child_env())
    assert supervisor.supervise() == 128 + signal.SIGKILL
