"""Every questions test stores attachments on a fresh local disk it can inspect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.media.storage.local import LocalDiskStorage


@pytest.fixture
def storage_root(app: FastAPI, tmp_path: Path) -> Iterator[Path]:
    previous = getattr(app.state, "media_storage", None)
    app.state.media_storage = LocalDiskStorage(tmp_path)
    yield tmp_path
    app.state.media_storage = previous
