"""Media tests store files in a temporary directory (local-disk storage, the default adapter)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.media.storage.local import LocalDiskStorage


@pytest.fixture
def storage(app: FastAPI, tmp_path: Path) -> Iterator[LocalDiskStorage]:
    previous = getattr(app.state, "media_storage", None)
    storage = LocalDiskStorage(tmp_path / "media")
    app.state.media_storage = storage
    yield storage
    app.state.media_storage = previous
