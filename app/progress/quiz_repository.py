"""SQL of self-check tests (R-PRG-2): the quiz read, attempt reads, and the answered check.

A quiz is read in one statement: the lesson with its visibility and entitlement
(`repository.lesson_target`) outer-joined to its live questions and their choices, one row per
choice (a lesson without questions yields one row with NULL question columns). Correctness and
explanations are selected only when the caller asks for the key (`with_key`): the member's
"before answering" read never even fetches them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.content import Lesson
from app.models.progress import QuizAttempt, QuizAttemptAnswer, QuizChoice, QuizQuestion
from app.progress.repository import lesson_target

QUESTION_ORDER = (QuizQuestion.position, QuizQuestion.created_at, QuizQuestion.id)


def live_question_clause(lesson_id: Any) -> Any:
    return and_(QuizQuestion.lesson_id == lesson_id, QuizQuestion.retired_at.is_(None))


async def quiz_rows(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    lesson_id: uuid.UUID,
    may_preview: bool,
    now: datetime,
    with_key: bool,
) -> list[Row[Any]]:
    """Empty when the lesson does not exist."""
    target = lesson_target(user_id=user_id, lesson_id=lesson_id, may_preview=may_preview, now=now)
    key_columns = (
        (QuizQuestion.explanation.label("explanation"), QuizChoice.is_correct.label("is_correct"))
        if with_key
        else ()
    )
    statement = (
        select(
            target.c.course_id,
            target.c.kind,
            target.c.is_visible,
            target.c.is_entitled,
            QuizQuestion.id.label("question_id"),
            QuizQuestion.position.label("question_position"),
            QuizQuestion.body.label("question_body"),
            QuizQuestion.allows_multiple.label("allows_multiple"),
            QuizChoice.id.label("choice_id"),
            QuizChoice.position.label("choice_position"),
            QuizChoice.body.label("choice_body"),
            *key_columns,
        )
        .select_from(
            target.outerjoin(QuizQuestion, live_question_clause(target.c.lesson_id)).outerjoin(
                QuizChoice, QuizChoice.question_id == QuizQuestion.id
            )
        )
        .order_by(*QUESTION_ORDER, QuizChoice.position)
    )
    return cast(list[Row[Any]], list((await session.execute(statement)).all()))


async def lock_live_questions(session: AsyncSession, lesson_id: uuid.UUID) -> None:
    """Before grading: `FOR KEY SHARE` on the test's questions, so a staff edit of their
    choices (which takes `FOR UPDATE`) waits for the attempt to commit and then sees the
    question as answered — an attempt is never graded against choices being replaced."""
    await session.execute(
        select(QuizQuestion.id)
        .where(live_question_clause(lesson_id))
        .with_for_update(key_share=True)
    )


async def attempt_rows(
    session: AsyncSession, *, user_id: uuid.UUID, lesson_id: uuid.UUID, attempt_id: uuid.UUID
) -> list[Row[Any]]:
    """One of the caller's own attempts with its answers, questions and every choice of those
    questions (frozen once answered), one row per choice. Empty when it is not the caller's."""
    statement = (
        select(
            QuizAttempt,
            QuizAttemptAnswer.question_id,
            QuizAttemptAnswer.selected_choice_ids,
            QuizAttemptAnswer.is_correct.label("answer_is_correct"),
            QuizQuestion.position.label("question_position"),
            QuizQuestion.body.label("question_body"),
            QuizQuestion.explanation,
            QuizQuestion.allows_multiple,
            QuizChoice.id.label("choice_id"),
            QuizChoice.position.label("choice_position"),
            QuizChoice.body.label("choice_body"),
            QuizChoice.is_correct,
        )
        .join(QuizAttemptAnswer, QuizAttemptAnswer.attempt_id == QuizAttempt.id)
        .join(QuizQuestion, QuizQuestion.id == QuizAttemptAnswer.question_id)
        .join(QuizChoice, QuizChoice.question_id == QuizQuestion.id)
        .where(
            QuizAttempt.id == attempt_id,
            QuizAttempt.user_id == user_id,
            QuizAttempt.lesson_id == lesson_id,
        )
        .order_by(*QUESTION_ORDER, QuizChoice.position)
    )
    return cast(list[Row[Any]], list((await session.execute(statement)).all()))


def attempts_of(user_id: uuid.UUID, lesson_id: uuid.UUID) -> Select[QuizAttempt]:
    return select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.lesson_id == lesson_id
    )


async def lesson_exists(session: AsyncSession, lesson_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Lesson.id == lesson_id))))


async def question_is_answered(session: AsyncSession, question_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(select(exists().where(QuizAttemptAnswer.question_id == question_id)))
    )
