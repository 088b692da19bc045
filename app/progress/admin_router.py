"""Staff authoring of self-check test questions (R-PRG-2). HTTP only; `CurrentStaff` everywhere.

What a client needs to know: questions live under
`/api/v1/admin/lessons/{lesson_id}/quiz-questions` for lessons of kind `test` only. A question
has ordered choices (at least two, at least one correct; exactly one correct unless
`allows_multiple`). Wording, explanation and position can change at any time; the choices and
`allows_multiple` only until a member has answered the question. Deleting a question removes it
from the test while past attempts keep it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from app.auth.auth import CurrentStaff
from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery
from app.kit.problems import problem_responses
from app.models.progress import QuizQuestion
from app.progress import quiz_admin
from app.progress.admin_schemas import QuizQuestionAdminOut, QuizQuestionIn, QuizQuestionPatch
from app.progress.errors import (
    LessonNotATest,
    LessonNotFound,
    QuizQuestionAnswered,
    QuizQuestionInvalid,
    QuizQuestionNotFound,
)

router = APIRouter(prefix="/admin/lessons/{lesson_id}/quiz-questions", tags=["admin"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, LessonNotFound, LessonNotATest, *errors)


def _out(question: QuizQuestion) -> QuizQuestionAdminOut:
    return QuizQuestionAdminOut.model_validate(question)


@router.get(
    "",
    operation_id="admin_list_quiz_questions",
    summary="List a test's questions",
    description="Live questions in test order, with correct choices and explanations (R-PRG-2).",
    responses=problems(InvalidCursor),
)
async def list_quiz_questions(
    lesson_id: uuid.UUID, subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[QuizQuestionAdminOut]:
    questions, next_cursor = await quiz_admin.list_questions(
        session, lesson_id=lesson_id, page=page
    )
    return Page[QuizQuestionAdminOut](
        items=[_out(question) for question in questions], next_cursor=next_cursor
    )


@router.post(
    "",
    operation_id="admin_create_quiz_question",
    status_code=status.HTTP_201_CREATED,
    summary="Add a question to a test",
    description="At least two choices, at least one correct; exactly one correct unless "
    "`allows_multiple` (400 `quiz-question-invalid`). Lessons of kind `test` only (R-PRG-2).",
    responses=problems(QuizQuestionInvalid),
)
async def create_quiz_question(
    lesson_id: uuid.UUID,
    body: QuizQuestionIn,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
    response: Response,
) -> QuizQuestionAdminOut:
    question = await quiz_admin.create_question(session, lesson_id=lesson_id, body=body, now=now)
    response.headers["Location"] = f"/api/v1/admin/lessons/{lesson_id}/quiz-questions/{question.id}"
    return _out(question)


@router.get(
    "/{question_id}",
    operation_id="admin_get_quiz_question",
    summary="Read a test question",
    responses=problems(QuizQuestionNotFound),
)
async def get_quiz_question(
    lesson_id: uuid.UUID, question_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> QuizQuestionAdminOut:
    return _out(
        await quiz_admin.get_question(session, lesson_id=lesson_id, question_id=question_id)
    )


@router.patch(
    "/{question_id}",
    operation_id="admin_update_quiz_question",
    summary="Change a test question",
    description="Wording, explanation and position at any time; `choices` (replaced whole) and "
    "`allows_multiple` only while no attempt has answered it (409 `quiz-question-answered`).",
    responses=problems(QuizQuestionNotFound, QuizQuestionInvalid, QuizQuestionAnswered),
)
async def update_quiz_question(
    lesson_id: uuid.UUID,
    question_id: uuid.UUID,
    body: QuizQuestionPatch,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
) -> QuizQuestionAdminOut:
    return _out(
        await quiz_admin.update_question(
            session, lesson_id=lesson_id, question_id=question_id, body=body, now=now
        )
    )


@router.delete(
    "/{question_id}",
    operation_id="admin_delete_quiz_question",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a question from a test",
    description="The question leaves the test; attempts that answered it keep it (R-PRG-2).",
    responses=problems(QuizQuestionNotFound),
)
async def delete_quiz_question(
    lesson_id: uuid.UUID,
    question_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    now: Now,
) -> Response:
    await quiz_admin.retire_question(session, lesson_id=lesson_id, question_id=question_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
