"""Pure catalog and grant rules (R-CON-1, R-CON-7, R-CON-8): table tests and properties."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.content import rules
from app.entitlements import rules as grant_rules
from app.models import GrantScope, LessonKind

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_r_con_8_search_text_is_nfkc_lower_case_of_title_summary_and_keywords() -> None:
    assert (
        rules.search_text(title="ＡＩ活用", summary="ｶﾞｲﾄﾞ", keywords="ChatGPT")
        == "ai活用\nガイド\nchatgpt"
    )


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        (None, []),
        ("", []),
        ("   \u3000 ", []),
        ("ＡＩ", ["ai"]),
        ("ＡＩ\u3000活用", ["ai", "活用"]),  # a full-width space separates terms
        ("ai AI ａｉ", ["ai"]),
        (" ".join(f"w{i}" for i in range(20)), [f"w{i}" for i in range(rules.MAX_SEARCH_TERMS)]),
    ],
)
def test_r_con_8_search_terms_are_normalized_like_the_stored_text(
    query: str | None, terms: list[str]
) -> None:
    assert rules.search_terms(query) == terms


@pytest.mark.parametrize(
    ("kind", "asset", "duration", "problems"),
    [
        (LessonKind.video, "v", 60, {}),
        (LessonKind.video, None, 60, {"body.video_asset_id": ["required_for_video"]}),
        (LessonKind.video, "v", None, {"body.duration_seconds": ["required_for_video"]}),
        (LessonKind.exercise, None, None, {}),
        (LessonKind.exercise, "v", 60, {}),
        (
            LessonKind.exercise,
            "v",
            None,
            {"body.duration_seconds": ["required_with_explanation_video"]},
        ),
        (
            LessonKind.exercise,
            None,
            60,
            {"body.video_asset_id": ["required_with_explanation_video"]},
        ),
        (LessonKind.test, None, None, {}),
        (LessonKind.test, None, 900, {}),
        (LessonKind.test, "v", None, {"body.video_asset_id": ["not_allowed_for_test"]}),
    ],
)
def test_r_con_1_what_each_lesson_kind_carries(
    kind: LessonKind, asset: str | None, duration: int | None, problems: dict[str, list[str]]
) -> None:
    assert (
        rules.lesson_problems(kind=kind, video_asset_id=asset, duration_seconds=duration)
        == problems
    )


@pytest.mark.parametrize(
    ("requested", "count", "position"),
    [(None, 0, 0), (None, 3, 3), (0, 3, 0), (3, 3, 3), (4, 3, None), (-1, 3, None)],
)
def test_r_con_8_insertion_position(
    requested: int | None, count: int, position: int | None
) -> None:
    assert rules.insertion_position(requested, count) == position


@given(st.lists(st.uuids(), unique=True, max_size=8), st.randoms())
def test_r_con_8_any_permutation_is_a_valid_order(current: list[uuid.UUID], rnd: object) -> None:
    shuffled = list(current)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert rules.lesson_order_problems(current, shuffled) == {}


@given(
    st.lists(st.uuids(), unique=True, min_size=1, max_size=6),
    st.lists(st.uuids(), max_size=8),
)
def test_r_con_8_anything_but_a_permutation_is_refused(
    current: list[uuid.UUID], requested: list[uuid.UUID]
) -> None:
    is_permutation = sorted(requested) == sorted(current)
    assert (rules.lesson_order_problems(current, requested) == {}) is is_permutation


@pytest.mark.parametrize(
    ("scope", "course", "content_set", "fields"),
    [
        (GrantScope.membership, False, False, set()),
        (GrantScope.membership, True, False, {"body.course_id"}),
        (GrantScope.course, True, False, set()),
        (GrantScope.course, False, False, {"body.course_id"}),
        (GrantScope.course, True, True, {"body.content_set_id"}),
        (GrantScope.content_set, False, True, set()),
        (GrantScope.content_set, False, False, {"body.content_set_id"}),
    ],
)
def test_r_con_7_grant_target_fits_its_scope(
    scope: GrantScope, course: bool, content_set: bool, fields: set[str]
) -> None:
    problems = grant_rules.grant_target_problems(
        scope=scope,
        course_id=uuid.uuid4() if course else None,
        content_set_id=uuid.uuid4() if content_set else None,
    )
    assert set(problems) == fields


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "valid"),
    [
        (NOW, None, True),
        (NOW, NOW + timedelta(seconds=1), True),
        (NOW, NOW, False),  # empty window
        (NOW - timedelta(days=2), NOW, False),  # already over at this instant
        (NOW - timedelta(days=2), NOW + timedelta(seconds=1), True),
        (NOW + timedelta(days=2), NOW + timedelta(days=1), False),
    ],
)
def test_r_con_7_a_hand_made_grant_window_must_open_something(
    valid_from: datetime, valid_until: datetime | None, valid: bool
) -> None:
    assert (
        grant_rules.grant_window_is_valid(valid_from=valid_from, valid_until=valid_until, now=NOW)
        is valid
    )
