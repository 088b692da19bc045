"""Pure catalog rules (R-CON-1, R-CON-8): search normalization, what each lesson kind carries,
valid orderings. No I/O.

Search (R-CON-8's catalog, used by the public list): `search_text` is stored as the NFKC +
lower-case of title, summary and keywords, and a query is normalized the same way, so "ＡＩ"
finds "AI", half-width ｶﾀｶﾅ finds カタカナ, and a Japanese substring (no word boundaries in
Japanese) finds the course. Whitespace (full-width spaces too) splits a query into terms that
must all match.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from app.kit.normalize import nfkc
from app.models.content import LessonKind

MAX_SEARCH_TERMS = 8


def search_text(*, title: str, summary: str, keywords: str) -> str:
    """What `Course.search_text` stores: NFKC + lower-case, one field per line."""
    return nfkc("\n".join((title, summary, keywords))).lower()


def search_terms(query: str | None) -> list[str]:
    """The normalized terms of a catalog query; empty when nothing is left to match."""
    if not query:
        return []
    terms = nfkc(query).lower().split()
    # Duplicates add nothing; a cap keeps the statement small whatever the client sends.
    return list(dict.fromkeys(terms))[:MAX_SEARCH_TERMS]


def lesson_problems(
    *, kind: LessonKind, video_asset_id: str | None, duration_seconds: int | None
) -> dict[str, list[str]]:
    """Field → stable codes for a lesson whose content does not fit its kind (R-CON-1).

    - video (animated lecture): needs its video asset and length;
    - exercise (explanation video + materials): the video is optional, but asset and length
      come together;
    - test (self-check quiz): has no video; a length is allowed as the expected time.
    """
    problems: dict[str, list[str]] = {}
    if kind is LessonKind.video:
        if video_asset_id is None:
            problems["body.video_asset_id"] = ["required_for_video"]
        if duration_seconds is None:
            problems["body.duration_seconds"] = ["required_for_video"]
    elif kind is LessonKind.exercise:
        if (video_asset_id is None) != (duration_seconds is None):
            field = "duration_seconds" if duration_seconds is None else "video_asset_id"
            problems[f"body.{field}"] = ["required_with_explanation_video"]
    elif video_asset_id is not None:
        problems["body.video_asset_id"] = ["not_allowed_for_test"]
    return problems


def insertion_position(requested: int | None, lesson_count: int) -> int | None:
    """Where a new lesson goes: appended by default; None when `requested` is out of range."""
    if requested is None:
        return lesson_count
    return requested if 0 <= requested <= lesson_count else None


def lesson_order_problems(
    current: Sequence[uuid.UUID], requested: Sequence[uuid.UUID]
) -> dict[str, list[str]]:
    """A new order must list every current lesson exactly once, and nothing else.

    Answers `{"body.lesson_ids": ["duplicate:<id>", "unknown:<id>", "missing:<id>", ...]}`."""
    problems: list[str] = []
    seen: set[uuid.UUID] = set()
    duplicates: set[uuid.UUID] = set()
    for lesson_id in requested:
        if lesson_id in seen:
            duplicates.add(lesson_id)
        seen.add(lesson_id)
    current_set = set(current)
    problems += [f"duplicate:{i}" for i in sorted(duplicates, key=str)]
    problems += [f"unknown:{i}" for i in sorted(seen - current_set, key=str)]
    problems += [f"missing:{i}" for i in sorted(current_set - seen, key=str)]
    return {"body.lesson_ids": problems} if problems else {}
