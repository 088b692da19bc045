"""Staff authoring of self-check test questions (R-PRG-2, R-CON-8).

Questions belong to lessons of kind `test` only (409 `lesson-not-a-test`). Each has at least two
ordered choices, at least one correct, exactly one when it is a single-answer question (400
`quiz-question-invalid`). Deleting a question retires it: it leaves the test, while attempts
that answered it keep showing it. The choices (and `allows_multiple`) of a question that some
attempt answered are frozen (409 `quiz-question-answered`), so a past grade never changes
meaning; the row lock taken here pairs with the `FOR KEY SHARE` of a submission.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.kit.pagination import PageParams, paginate
from app.models.content import Lesson, LessonKind
from app.models.progress import QuizChoice, QuizQuestion
from app.progress import quiz_repository, rules
from app.progress.admin_schemas import QuizChoiceIn, QuizQuestionIn, QuizQuestionPatch
from app.progress.errors import (
    LessonNotATest,
    LessonNotFound,
    QuizQuestionAnswered,
    QuizQuestionInvalid,
    QuizQuestionNotFound,
)


async def _require_test_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> None:
    kind = await session.scalar(select(Lesson.kind).where(Lesson.id == lesson_id))
    if kind is None:
        raise LessonNotFound()
    if kind is not LessonKind.test:
        raise LessonNotATest()


def _check(allows_multiple: bool, choices: Sequence[QuizChoiceIn]) -> None:
    problems = rules.question_problems(
        allows_multiple=allows_multiple, correct_flags=[choice.is_correct for choice in choices]
    )
    if problems:
        raise QuizQuestionInvalid(errors=problems)


async def _write_choices(
    session: AsyncSession, question_id: uuid.UUID, choices: Sequence[QuizChoiceIn], now: datetime
) -> None:
    await session.execute(delete(QuizChoice).where(QuizChoice.question_id == question_id))
    await session.execute(
        insert(QuizChoice),
        [
            {
                "id": uuid.uuid4(),
                "question_id": question_id,
                "position": index,
                "body": choice.body,
                "is_correct": choice.is_correct,
                "created_at": now,
                "updated_at": now,
            }
            for index, choice in enumerate(choices)
        ],
    )


async def _load(
    session: AsyncSession, lesson_id: uuid.UUID, question_id: uuid.UUID, *, lock: bool = False
) -> QuizQuestion:
    statement = (
        select(QuizQuestion)
        .where(
            QuizQuestion.id == question_id,
            quiz_repository.live_question_clause(lesson_id),
        )
        .options(selectinload(QuizQuestion.choices))
        .execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update(of=QuizQuestion)
    question = await session.scalar(statement)
    if question is None:
        raise QuizQuestionNotFound()
    return question


async def list_questions(
    session: AsyncSession, *, lesson_id: uuid.UUID, page: PageParams
) -> tuple[list[QuizQuestion], str | None]:
    await _require_test_lesson(session, lesson_id)
    return await paginate(
        session,
        select(QuizQuestion)
        .where(quiz_repository.live_question_clause(lesson_id))
        .options(selectinload(QuizQuestion.choices)),
        order_by=[QuizQuestion.position, QuizQuestion.id],
        descending=False,
        params=page,
    )


async def get_question(
    session: AsyncSession, *, lesson_id: uuid.UUID, question_id: uuid.UUID
) -> QuizQuestion:
    await _require_test_lesson(session, lesson_id)
    return await _load(session, lesson_id, question_id)


async def create_question(
    session: AsyncSession, *, lesson_id: uuid.UUID, body: QuizQuestionIn, now: datetime
) -> QuizQuestion:
    await _require_test_lesson(session, lesson_id)
    _check(body.allows_multiple, body.choices)
    position = body.position
    if position is None:
        last = await session.scalar(
            select(func.max(QuizQuestion.position)).where(
                quiz_repository.live_question_clause(lesson_id)
            )
        )
        position = 0 if last is None else last + 1
    question_id = uuid.uuid4()
    await session.execute(
        insert(QuizQuestion).values(
            id=question_id,
            lesson_id=lesson_id,
            position=position,
            body=body.body,
            explanation=body.explanation,
            allows_multiple=body.allows_multiple,
            created_at=now,
            updated_at=now,
        )
    )
    await _write_choices(session, question_id, body.choices, now)
    return await _load(session, lesson_id, question_id)


async def update_question(
    session: AsyncSession,
    *,
    lesson_id: uuid.UUID,
    question_id: uuid.UUID,
    body: QuizQuestionPatch,
    now: datetime,
) -> QuizQuestion:
    await _require_test_lesson(session, lesson_id)
    question = await _load(session, lesson_id, question_id, lock=True)
    changes_key = body.choices is not None or (
        body.allows_multiple is not None and body.allows_multiple != question.allows_multiple
    )
    if changes_key:
        if await quiz_repository.question_is_answered(session, question_id):
            raise QuizQuestionAnswered()
        allows_multiple = (
            question.allows_multiple if body.allows_multiple is None else body.allows_multiple
        )
        choices = body.choices
        if choices is None:
            choices = [QuizChoiceIn(body=c.body, is_correct=c.is_correct) for c in question.choices]
        _check(allows_multiple, choices)
        question.allows_multiple = allows_multiple
        await _write_choices(session, question_id, choices, now)
    for field in ("body", "explanation", "position"):
        value = getattr(body, field)
        if value is not None:
            setattr(question, field, value)
    question.updated_at = now
    await session.flush()
    return await _load(session, lesson_id, question_id)


async def retire_question(
    session: AsyncSession, *, lesson_id: uuid.UUID, question_id: uuid.UUID, now: datetime
) -> None:
    await _require_test_lesson(session, lesson_id)
    question = await _load(session, lesson_id, question_id, lock=True)
    question.retired_at = now
    question.updated_at = now
    await session.flush()
