"""Staff contract for self-check test questions (R-PRG-2)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from app.kit.schemas import ResponseSchema, Schema

MAX_CHOICES = 20


class QuizChoiceIn(Schema):
    body: str = Field(min_length=1, max_length=2000)
    is_correct: bool = False


class QuizQuestionIn(Schema):
    body: str = Field(min_length=1, max_length=10_000)
    explanation: str = Field(default="", max_length=20_000, description="Shown after submission.")
    allows_multiple: bool = Field(
        default=False,
        description="False: exactly one correct choice. True: select all that apply, graded all "
        "or nothing.",
    )
    position: int | None = Field(
        default=None, ge=0, le=10_000, description="Order in the test; default: last."
    )
    choices: list[QuizChoiceIn] = Field(
        max_length=MAX_CHOICES,
        description="In display order; at least two, at least one correct.",
    )


class QuizQuestionPatch(Schema):
    """Wording and order may change at any time; `allows_multiple` and `choices` only while no
    attempt has answered the question (409 `quiz-question-answered`)."""

    body: str | None = Field(default=None, min_length=1, max_length=10_000)
    explanation: str | None = Field(default=None, max_length=20_000)
    allows_multiple: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    choices: list[QuizChoiceIn] | None = Field(default=None, max_length=MAX_CHOICES)


class QuizChoiceAdminOut(ResponseSchema):
    id: uuid.UUID
    position: int
    body: str
    is_correct: bool


class QuizQuestionAdminOut(ResponseSchema):
    id: uuid.UUID
    lesson_id: uuid.UUID
    position: int
    body: str
    explanation: str
    allows_multiple: bool
    choices: list[QuizChoiceAdminOut]
    created_at: datetime
    updated_at: datetime
