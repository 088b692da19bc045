"""The runner's progress lines."""

from __future__ import annotations


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)
