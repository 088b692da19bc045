"""How values read in an email (R-NTF-1): instants in JST, to the minute, per language."""

from __future__ import annotations

from datetime import datetime

from app.kit.calendar import JST


def format_email_datetime(instant: datetime, locale: str) -> str:
    """An instant as people in Japan read it in an email: JST, to the minute."""
    local = instant.astimezone(JST)
    if locale == "en":
        return local.strftime("%Y-%m-%d %H:%M (JST)")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
