"""How values read in an email (R-NTF-1): instants in JST, to the minute, per language."""

from __future__ import annotations

from datetime import date, datetime

from app.kit.calendar import JST


def format_email_datetime(instant: datetime, locale: str) -> str:
    """An instant as people in Japan read it in an email: JST, to the minute."""
    local = instant.astimezone(JST)
    if locale == "en":
        return local.strftime("%Y-%m-%d %H:%M (JST)")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def format_email_date(day: date, locale: str) -> str:
    """A calendar day (JST rules already applied) as read in an email."""
    if locale == "en":
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


def format_email_yen(amount_jpy: int, locale: str) -> str:
    """Integer yen with separators: ¥980 / 980円 (税込)."""
    if locale == "en":
        return f"¥{amount_jpy:,} (tax included)"
    return f"{amount_jpy:,}円(税込)"
