"""Self-check tests for members: read a test, submit an attempt, read past attempts. R-PRG-2.

- The test as read before answering carries questions and choices only: which choices are
  correct and the explanations are never fetched for it (`quiz_repository.quiz_rows`).
- An attempt is graded at once: a question is correct when exactly its correct choices are
  selected (all or nothing for multiple-answer questions); a question left out is wrong. The
  answer to the submission — and every later read of that attempt — shows the correct choices
  and explanations. Attempts are unlimited and all kept.
- Answers naming a question of another test, a choice of another question, the same question
  twice or several choices of a single-answer question are refused whole (400
  `quiz-answer-invalid`, nothing stored).
- A submitted attempt completes the test lesson (completion source `test`).
- Attempts are the member's own: another member's attempt id answers 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements.errors import NotEntitled
from app.entitlements.rules import may_preview
from app.kit.pagination import PageParams, paginate
from app.models.content import LessonKind
from app.models.progress import QuizAttempt, QuizAttemptAnswer
from app.models.user import Role
from app.progress import quiz_repository, repository, rules
from app.progress.errors import (
    LessonNotATest,
    LessonNotFound,
    QuizAnswerInvalid,
    QuizAttemptNotFound,
    QuizHasNoQuestions,
)
from app.progress.schemas import (
    QuizAttemptAnswerOut,
    QuizAttemptIn,
    QuizAttemptOut,
    QuizAttemptSummary,
    QuizChoiceOut,
    QuizOut,
    QuizQuestionOut,
)


def _open_test(rows: list[Row[Any]]) -> list[Row[Any]]:
    """Refuse unless the lesson exists, is visible, is open to the caller and is a test; the
    rows of its questions (possibly none)."""
    if not rows or not rows[0].is_visible:
        raise LessonNotFound()
    if not rows[0].is_entitled:
        raise NotEntitled()
    if rows[0].kind is not LessonKind.test:
        raise LessonNotATest()
    return [row for row in rows if row.question_id is not None]


def _grouped(rows: Sequence[Row[Any]]) -> dict[uuid.UUID, list[Row[Any]]]:
    """Question id → its rows (one per choice), in question order."""
    grouped: dict[uuid.UUID, list[Row[Any]]] = {}
    for row in rows:
        grouped.setdefault(row.question_id, []).append(row)
    return grouped


def _choices(rows: Sequence[Row[Any]]) -> list[QuizChoiceOut]:
    return [
        QuizChoiceOut(id=row.choice_id, position=row.choice_position, body=row.choice_body)
        for row in rows
        if row.choice_id is not None
    ]


async def get_quiz(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    role: Role | None,
    lesson_id: uuid.UUID,
    now: datetime,
) -> QuizOut:
    rows = await quiz_repository.quiz_rows(
        session,
        user_id=user_id,
        lesson_id=lesson_id,
        may_preview=may_preview(role),
        now=now,
        with_key=False,
    )
    questions = [
        QuizQuestionOut(
            id=question_id,
            position=choice_rows[0].question_position,
            body=choice_rows[0].question_body,
            allows_multiple=choice_rows[0].allows_multiple,
            choices=_choices(choice_rows),
        )
        for question_id, choice_rows in _grouped(_open_test(rows)).items()
    ]
    return QuizOut(lesson_id=lesson_id, questions=questions)


def _answer_out(
    question_id: uuid.UUID,
    choice_rows: Sequence[Row[Any]],
    selected: Collection[uuid.UUID],
    is_correct: bool,
) -> QuizAttemptAnswerOut:
    first = choice_rows[0]
    return QuizAttemptAnswerOut(
        question_id=question_id,
        position=first.question_position,
        body=first.question_body,
        allows_multiple=first.allows_multiple,
        choices=_choices(choice_rows),
        selected_choice_ids=sorted(
            selected, key=lambda choice_id: _position(choice_rows, choice_id)
        ),
        correct_choice_ids=[row.choice_id for row in choice_rows if row.is_correct],
        is_correct=is_correct,
        explanation=first.explanation,
    )


def _position(choice_rows: Sequence[Row[Any]], choice_id: uuid.UUID) -> int:
    return int(next(row.choice_position for row in choice_rows if row.choice_id == choice_id))


def _summary_fields(attempt: QuizAttempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "lesson_id": attempt.lesson_id,
        "submitted_at": attempt.submitted_at,
        "score": attempt.score,
        "correct_count": attempt.correct_count,
        "question_count": attempt.question_count,
        "correct_rate": rules.correct_rate(attempt.correct_count, attempt.question_count),
    }


async def submit_attempt(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    role: Role | None,
    lesson_id: uuid.UUID,
    body: QuizAttemptIn,
    now: datetime,
) -> QuizAttemptOut:
    await quiz_repository.lock_live_questions(session, lesson_id)
    rows = await quiz_repository.quiz_rows(
        session,
        user_id=user_id,
        lesson_id=lesson_id,
        may_preview=may_preview(role),
        now=now,
        with_key=True,
    )
    questions = _grouped(_open_test(rows))
    if not questions:
        raise QuizHasNoQuestions()
    keys = {
        question_id: rules.QuestionKey(
            allows_multiple=choice_rows[0].allows_multiple,
            choice_ids=frozenset(row.choice_id for row in choice_rows if row.choice_id),
            correct_ids=frozenset(row.choice_id for row in choice_rows if row.is_correct),
        )
        for question_id, choice_rows in questions.items()
    }
    answers = [(answer.question_id, answer.choice_ids) for answer in body.answers]
    problems = rules.answer_problems(answers, keys)
    if problems:
        raise QuizAnswerInvalid(errors=problems)

    graded = rules.grade(answers, keys)
    correct_count = sum(1 for _, is_correct in graded.values() if is_correct)
    attempt = QuizAttempt(
        id=uuid.uuid4(),
        user_id=user_id,
        lesson_id=lesson_id,
        course_id=rows[0].course_id,
        submitted_at=now,
        correct_count=correct_count,
        question_count=len(graded),
        score=rules.score(correct_count, len(graded)),
        created_at=now,
        updated_at=now,
    )
    session.add(attempt)
    await session.flush()
    await session.execute(
        insert(QuizAttemptAnswer),
        [
            {
                "attempt_id": attempt.id,
                "question_id": question_id,
                "selected_choice_ids": sorted(selected),
                "is_correct": is_correct,
            }
            for question_id, (selected, is_correct) in graded.items()
        ],
    )
    await repository.complete_by_test(
        session, user_id=user_id, lesson_id=lesson_id, course_id=attempt.course_id, now=now
    )
    return QuizAttemptOut(
        **_summary_fields(attempt),
        answers=[
            _answer_out(question_id, questions[question_id], *graded[question_id])
            for question_id in questions
        ],
    )


async def list_attempts(
    session: AsyncSession, *, user_id: uuid.UUID, lesson_id: uuid.UUID, page: PageParams
) -> tuple[list[QuizAttemptSummary], str | None]:
    """The caller's attempts on a test, newest first."""
    if not await quiz_repository.lesson_exists(session, lesson_id):
        raise LessonNotFound()
    attempts, next_cursor = await paginate(
        session,
        quiz_repository.attempts_of(user_id, lesson_id),
        order_by=[QuizAttempt.submitted_at, QuizAttempt.id],
        descending=True,
        params=page,
    )
    return [QuizAttemptSummary(**_summary_fields(a)) for a in attempts], next_cursor


async def get_attempt(
    session: AsyncSession, *, user_id: uuid.UUID, lesson_id: uuid.UUID, attempt_id: uuid.UUID
) -> QuizAttemptOut:
    rows = await quiz_repository.attempt_rows(
        session, user_id=user_id, lesson_id=lesson_id, attempt_id=attempt_id
    )
    if not rows:
        raise QuizAttemptNotFound()
    attempt: QuizAttempt = rows[0].QuizAttempt
    return QuizAttemptOut(
        **_summary_fields(attempt),
        answers=[
            _answer_out(
                question_id,
                choice_rows,
                choice_rows[0].selected_choice_ids,
                choice_rows[0].answer_is_correct,
            )
            for question_id, choice_rows in _grouped(rows).items()
        ],
    )
