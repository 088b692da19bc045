"""Pure progress rules, table-tested (R-PRG-1, R-PRG-2, R-PRG-3, R-PRG-6)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.config import Settings
from app.progress import rules

BP_90 = rules.ratio_basis_points(0.9)


@pytest.mark.parametrize(
    ("watched_ms", "duration_seconds", "expected"),
    [
        (540_000, 600, True),  # exactly 90%
        (539_999, 600, False),  # one millisecond short
        (539_940, 600, False),  # 89.99%
        (600_000, 600, True),
        (0, 600, False),
        (9_000, 10, True),  # short clip: exactly 90% of 10 s
        (8_999, 10, False),
        (3_240_000, 3_600, True),  # one hour
        (3_239_999, 3_600, False),
    ],
)
def test_r_prg_1_video_completes_at_exactly_90_percent_not_below(
    watched_ms: int, duration_seconds: int, expected: bool
) -> None:
    assert (
        rules.watched_enough(
            watched_ms=watched_ms, duration_seconds=duration_seconds, ratio_bp=BP_90
        )
        is expected
    )


@pytest.mark.parametrize(
    ("ratio", "basis_points"), [(0.9, 9000), (0.95, 9500), (1.0, 10000), (0.8999, 8999)]
)
def test_r_prg_1_completion_ratio_is_configurable(ratio: float, basis_points: int) -> None:
    assert rules.ratio_basis_points(ratio) == basis_points


@pytest.mark.parametrize("ratio", [0.0, -0.1, 1.01])
def test_r_prg_1_completion_ratio_out_of_range_is_refused(ratio: float) -> None:
    with pytest.raises(ValueError):
        rules.ratio_basis_points(ratio)


def test_r_prg_1_seconds_become_whole_milliseconds() -> None:
    assert rules.seconds_to_ms(539.94) == 539_940
    assert rules.seconds_to_ms(0.0004) == 0
    assert rules.watched_ratio(watched_ms=300_000, duration_seconds=600) == 0.5
    assert rules.watched_ratio(watched_ms=700_000, duration_seconds=600) == 1.0
    assert rules.watched_ratio(watched_ms=0, duration_seconds=None) is None


def test_r_prg_1_resume_position_follows_the_latest_client_time() -> None:
    t = datetime(2026, 11, 23, tzinfo=UTC)
    assert rules.position_wins(incoming_at=t, current_at=None)
    assert rules.position_wins(incoming_at=t, current_at=t)  # tie: the later arrival
    assert rules.position_wins(incoming_at=t + timedelta(seconds=1), current_at=t)
    assert not rules.position_wins(incoming_at=t - timedelta(seconds=1), current_at=t)
    assert rules.effective_event_time(t + timedelta(days=1), t) == t


# --- R-PRG-2 grading ---------------------------------------------------------------------------

A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    ("selected", "correct", "expected"),
    [
        ({A}, {A}, True),
        ({B}, {A}, False),
        (set(), {A}, False),  # no answer is wrong
        ({A, B}, {A, B}, True),  # multiple answer: exactly the correct ones
        ({A}, {A, B}, False),  # all or nothing: partly right is wrong
        ({A, B, C}, {A, B}, False),  # one too many is wrong
    ],
)
def test_r_prg_2_a_question_is_graded_all_or_nothing(
    selected: set[uuid.UUID], correct: set[uuid.UUID], expected: bool
) -> None:
    assert rules.question_is_correct(selected, correct) is expected


@pytest.mark.parametrize(
    ("correct", "total", "score", "rate"),
    [(0, 3, 0, 0.0), (1, 3, 33, 1 / 3), (2, 3, 66, 2 / 3), (3, 3, 100, 1.0), (1, 1, 100, 1.0)],
)
def test_r_prg_2_score_is_the_percentage_rounded_down(
    correct: int, total: int, score: int, rate: float
) -> None:
    assert rules.score(correct, total) == score
    assert rules.correct_rate(correct, total) == rate


def _key(allows_multiple: bool = False) -> rules.QuestionKey:
    return rules.QuestionKey(
        allows_multiple=allows_multiple, choice_ids=frozenset({A, B}), correct_ids=frozenset({A})
    )


@pytest.mark.parametrize(
    ("answers", "problems"),
    [
        ([(A, [A])], {}),
        ([(A, [])], {}),
        ([(C, [A])], {"body.answers.0.question_id": ["unknown_question"]}),
        ([(A, [A]), (A, [B])], {"body.answers.1.question_id": ["duplicate_question"]}),
        ([(A, [C])], {"body.answers.0.choice_ids": ["unknown_choice"]}),
        ([(A, [A, A])], {"body.answers.0.choice_ids": ["duplicate_choice"]}),
        ([(A, [A, B])], {"body.answers.0.choice_ids": ["single_answer_question"]}),
    ],
)
def test_r_prg_2_answers_that_cannot_be_graded_are_named(
    answers: list[rules.Answer], problems: dict[str, list[str]]
) -> None:
    # Question id A with choices A and B (ids may coincide across tables: only sets matter).
    assert rules.answer_problems(answers, {A: _key()}) == problems


def test_r_prg_2_unanswered_questions_are_graded_wrong() -> None:
    graded = rules.grade([(A, [A])], {A: _key(), B: _key()})
    assert graded == {A: (frozenset({A}), True), B: (frozenset(), False)}


@pytest.mark.parametrize(
    ("allows_multiple", "flags", "problems"),
    [
        (False, [True, False], {}),
        (True, [True, True, False], {}),
        (False, [True], {"body.choices": ["at_least_two_choices"]}),
        (False, [False, False], {"body.choices": ["no_correct_choice"]}),
        (True, [False, False], {"body.choices": ["no_correct_choice"]}),
        (False, [True, True], {"body.choices": ["single_answer_needs_one_correct_choice"]}),
    ],
)
def test_r_prg_2_a_question_needs_a_correct_choice(
    allows_multiple: bool, flags: list[bool], problems: dict[str, list[str]]
) -> None:
    assert rules.question_problems(allows_multiple=allows_multiple, correct_flags=flags) == problems


def test_r_prg_3_course_correct_rate_sums_latest_attempts() -> None:
    assert rules.quiz_correct_rate([]) is None
    assert rules.quiz_correct_rate([(0, 0)]) is None
    assert rules.quiz_correct_rate([(2, 3), (1, 1)]) == 0.75
    assert rules.quiz_correct_rate([(0, 5)]) == 0.0


# --- R-PRG-6 retention -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "purge_on"),
    [
        (date(2023, 2, 28), date(2026, 2, 28)),
        (date(2024, 2, 29), date(2027, 3, 1)),  # leap day: a full 3 years, never a day short
        (date(2024, 3, 1), date(2027, 3, 1)),
        (date(2025, 2, 28), date(2028, 2, 28)),  # the target year is a leap year
        (date(2026, 12, 1), date(2029, 12, 1)),
        (date(2026, 12, 31), date(2029, 12, 31)),
    ],
)
def test_r_prg_6_correspondence_data_is_kept_three_years_from_course_start(
    start: date, purge_on: date
) -> None:
    assert rules.correspondence_purge_on(start) == purge_on
    assert rules.latest_purgeable_start(purge_on) >= start
    assert rules.latest_purgeable_start(purge_on - timedelta(days=1)) < start


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    today=st.dates(min_value=date(2003, 1, 1), max_value=date(2099, 12, 31)),
)
def test_r_prg_6_the_purge_query_bound_matches_the_date_rule(start: date, today: date) -> None:
    assert (rules.correspondence_purge_on(start) <= today) == (
        start <= rules.latest_purgeable_start(today)
    )


@pytest.mark.parametrize("ratio", [0, 1.5, -1])
def test_r_prg_1_the_ratio_setting_refuses_values_outside_0_to_1(ratio: float) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, video_completion_ratio=ratio)
    assert Settings(_env_file=None).video_completion_ratio == 0.9
