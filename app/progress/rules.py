"""Pure progress rules: completion, grading, correct rates, retention dates. No I/O, no clock.

- R-PRG-1 `watched_enough`: a video is complete when the watched time reaches the configured
  share of its length (`Settings.video_completion_ratio`, default 0.9). Integer arithmetic on
  milliseconds and basis points, so exactly 90% completes and 89.99% does not, with no float edge.
  `repository.watched_enough_sql` is the SQL twin used inside the upsert; tests hold them equal.
- R-PRG-1/R-PRG-5 `position_wins`: the resume position follows the event with the latest client
  timestamp (ties: the later arrival), so an old event delivered late never rewinds the player.
- R-PRG-2 `question_is_correct`, `score`, `correct_rate`: all-or-nothing per question; the score
  is the percentage of correct questions rounded down (0–100).
- R-PRG-3 `quiz_correct_rate`: over the latest attempt of each test lesson attempted.
- R-PRG-6 `correspondence_purge_on` / `latest_purgeable_start`: correspondence learning data is
  kept 3 years from course start (JST calendar days), then purged.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.kit.calendar import add_months

BASIS_POINTS = 10_000
MS_PER_SECOND = 1_000
RETENTION_YEARS = 3


# --- R-PRG-1 completion ----------------------------------------------------------------------


def ratio_basis_points(ratio: float) -> int:
    """0.9 → 9000. The setting is a float; the comparison is done in integers."""
    if not 0 < ratio <= 1:
        raise ValueError("the completion ratio must be in (0, 1]")
    return round(ratio * BASIS_POINTS)


def seconds_to_ms(seconds: float) -> int:
    """Media seconds from the player (fractional) to whole milliseconds."""
    return round(seconds * MS_PER_SECOND)


def watched_enough(*, watched_ms: int, duration_seconds: int, ratio_bp: int) -> bool:
    """R-PRG-1: watched time ≥ ratio × duration (both sides scaled to integers)."""
    return watched_ms * BASIS_POINTS >= duration_seconds * MS_PER_SECOND * ratio_bp


def watched_ratio(*, watched_ms: int, duration_seconds: int | None) -> float | None:
    """Share of the video watched, for display (0.0–1.0); None without a known length."""
    if not duration_seconds:
        return None
    return min(1.0, watched_ms / (duration_seconds * MS_PER_SECOND))


def position_wins(*, incoming_at: datetime, current_at: datetime | None) -> bool:
    """R-PRG-1: does an event at `incoming_at` set the resume position over one at `current_at`?"""
    return current_at is None or incoming_at >= current_at


def effective_event_time(occurred_at: datetime, now: datetime) -> datetime:
    """A client clock ahead of ours must not pin the resume position in the future."""
    return min(occurred_at, now)


# --- R-PRG-2 grading -------------------------------------------------------------------------


def question_is_correct(selected: Collection[object], correct: Collection[object]) -> bool:
    """All or nothing: exactly the correct choices, no more, no fewer (no answer is wrong)."""
    return bool(correct) and set(selected) == set(correct)


@dataclass(frozen=True)
class QuestionKey:
    """What grading needs to know about one live question."""

    allows_multiple: bool
    choice_ids: frozenset[uuid.UUID]
    correct_ids: frozenset[uuid.UUID]


Answer = tuple[uuid.UUID, Sequence[uuid.UUID]]  # (question_id, selected choice ids)


def answer_problems(
    answers: Sequence[Answer], questions: Mapping[uuid.UUID, QuestionKey]
) -> dict[str, list[str]]:
    """Field → stable codes for answers that cannot be graded (R-PRG-2); empty when fine.

    Refused: a question not in this test (`unknown_question`), the same question twice
    (`duplicate_question`), a choice that is not one of the question's (`unknown_choice`), a
    choice twice (`duplicate_choice`), several choices for a single-answer question
    (`single_answer_question`)."""
    problems: dict[str, list[str]] = {}
    seen: set[uuid.UUID] = set()
    for index, (question_id, choice_ids) in enumerate(answers):
        key = questions.get(question_id)
        if key is None:
            problems[f"body.answers.{index}.question_id"] = ["unknown_question"]
            continue
        if question_id in seen:
            problems[f"body.answers.{index}.question_id"] = ["duplicate_question"]
        seen.add(question_id)
        codes = []
        if not set(choice_ids) <= key.choice_ids:
            codes.append("unknown_choice")
        if len(set(choice_ids)) != len(choice_ids):
            codes.append("duplicate_choice")
        if not key.allows_multiple and len(set(choice_ids)) > 1:
            codes.append("single_answer_question")
        if codes:
            problems[f"body.answers.{index}.choice_ids"] = codes
    return problems


def grade(
    answers: Sequence[Answer], questions: Mapping[uuid.UUID, QuestionKey]
) -> dict[uuid.UUID, tuple[frozenset[uuid.UUID], bool]]:
    """Every question of the test → (selected choices, correct?). Valid answers only
    (`answer_problems` is empty); a question left out is unanswered and wrong."""
    selected = {question_id: frozenset(choice_ids) for question_id, choice_ids in answers}
    return {
        question_id: (
            selected.get(question_id, frozenset()),
            question_is_correct(selected.get(question_id, ()), key.correct_ids),
        )
        for question_id, key in questions.items()
    }


def question_problems(
    *, allows_multiple: bool, correct_flags: Sequence[bool]
) -> dict[str, list[str]]:
    """R-PRG-2 authoring: at least two choices, at least one correct, and exactly one correct
    for a single-answer question."""
    problems: dict[str, list[str]] = {}
    correct = sum(1 for flag in correct_flags if flag)
    if len(correct_flags) < 2:
        problems["body.choices"] = ["at_least_two_choices"]
    elif correct == 0:
        problems["body.choices"] = ["no_correct_choice"]
    elif not allows_multiple and correct > 1:
        problems["body.choices"] = ["single_answer_needs_one_correct_choice"]
    return problems


def score(correct_count: int, question_count: int) -> int:
    """Percentage of correct questions, rounded down: 2 of 3 → 66."""
    if question_count <= 0 or not 0 <= correct_count <= question_count:
        raise ValueError("counts out of range")
    return correct_count * 100 // question_count


def correct_rate(correct_count: int, question_count: int) -> float:
    """Correct answers / questions (0.0–1.0), unrounded; clients format it."""
    if question_count <= 0:
        raise ValueError("question_count must be positive")
    return correct_count / question_count


def quiz_correct_rate(latest_attempts: Iterable[tuple[int, int]]) -> float | None:
    """R-PRG-3 course correct rate (クイズの正答率): Σ correct / Σ questions over the latest
    attempt of each test lesson the member attempted; None when no test was attempted.

    Latest, not best: the rate shows where the learner stands now. Unattempted tests are left
    out rather than counted as 0%, so the rate measures understanding, not completion (the
    completed/total count already shows that)."""
    correct = total = 0
    for correct_count, question_count in latest_attempts:
        correct += correct_count
        total += question_count
    return correct / total if total else None


# --- R-PRG-6 retention -----------------------------------------------------------------------


def correspondence_purge_on(start: date) -> date:
    """The first JST day on which learning data of a course started on `start` may be purged.

    The data is kept for 3 years counted from the start day (the start day counts: a course
    starts at 00:00 of its first day). Following the Civil Code's year periods (民法第143条), the
    period ends the day before the same date 3 years later, or — when that date does not exist
    (a start on 29 February) — on the last day of that month. Purging is allowed the day after:

    - start 2023-02-28 → kept through 2026-02-27, purged on/after 2026-02-28;
    - start 2024-02-29 → kept through 2027-02-28, purged on/after 2027-03-01 (never a day short
      of 3 full years, which `add_months` clamping to 2027-02-28 would give).
    """
    year = start.year + RETENTION_YEARS
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def latest_purgeable_start(today: date) -> date:
    """The last start date whose data may be purged on `today` (`correspondence_purge_on(s) <=
    today` ⇔ `s <= latest_purgeable_start(today)`), so the purge is one range query."""
    return add_months(today, -12 * RETENTION_YEARS)
