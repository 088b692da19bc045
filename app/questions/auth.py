"""Who may call the questions operations: members (`CurrentUser`) ask and read their own;
staff (`CurrentStaff`: staff, admin) work the queue (R-QST-8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth.auth import CurrentStaff, CurrentUser
from app.config import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]

__all__ = ["AppSettings", "CurrentStaff", "CurrentUser"]
