"""`--profile SCENARIO`: py-spy on the server's worker during one measured run, summarized.

The summary gives the share of samples per library (where the leaf frame is: FastAPI, uvicorn,
asyncpg, the app…), the hottest leaf frames, and the app frames on the stack.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from bench.console import say
from bench.servers import RunningServer


def start_profiler(
    server: RunningServer, scenario_name: str, duration: float, output: Path
) -> tuple[subprocess.Popen[bytes], Path] | None:
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if py_spy is None:
        say("--profile needs py-spy: .venv/bin/pip install py-spy")
        return None
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [
        py_spy,
        "record",
        "--pid",
        str(server.pid),
        "--subprocesses",
        "--duration",
        str(max(1, int(duration) - 1)),
        "--format",
        "raw",
        "--output",
        str(output),
        "--nonblocking",
    ]
    say(f"profiling the {server.name} worker (pid {server.pid}) with py-spy → {output.name}")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), output


def finish_profiler(process: subprocess.Popen[bytes], output: Path) -> None:
    _, stderr = process.communicate(timeout=60)
    if process.returncode != 0 or not output.exists():
        say(f"py-spy failed: {stderr.decode(errors='replace').strip()[-500:]}")
        return
    print(summarize_profile(output.read_text()), flush=True)


def _library(frame: str) -> str:
    """`name (fastapi/routing.py:438)` → `fastapi`; the standard library by module file."""
    if " (" not in frame:
        return "(outside Python frames)"
    where = frame.rpartition(" (")[2].rstrip(")")
    return where.split("/", 1)[0] if "/" in where else where.split(":", 1)[0] or "?"


def summarize_profile(collapsed: str, top: int = 15) -> str:
    """From py-spy's collapsed stacks: which libraries and frames the samples sit in (leaf)
    and what app code holds them."""
    leaf: dict[str, int] = {}
    libraries: dict[str, int] = {}
    ours: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        leaf[frames[-1]] = leaf.get(frames[-1], 0) + count
        library = _library(frames[-1])
        libraries[library] = libraries.get(library, 0) + count
        for frame in set(frames):
            if "app/" in frame and "site-packages" not in frame:
                ours[frame] = ours.get(frame, 0) + count
    if not total:
        return "[bench] profile: no samples"
    lines = [f"[bench] profile: {total} samples; by library (self time):"]
    for library, count in sorted(libraries.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {count / total:6.1%}  {library}")
    lines.append("[bench] top leaf frames (self time):")
    for frame, count in sorted(leaf.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {count / total:6.1%}  {frame}")
    lines.append("[bench] app frames on the stack (inclusive):")
    for frame, count in sorted(ours.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {count / total:6.1%}  {frame}")
    return "\n".join(lines)
