"""Public contract of the questions operations (R-QST-1 … R-QST-11)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models.question import (
    AttachmentPart,
    QuestionFileKind,
    QuestionKind,
    QuestionStatus,
)
from app.questions import rules


class AttachmentOut(BaseModel):
    id: uuid.UUID
    part: AttachmentPart
    filename: str
    file_kind: QuestionFileKind
    content_type: str
    size_bytes: int
    download_url: str = Field(description="Short-lived signed link (no Authorization needed).")
    expires_at: datetime


class QuestionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: QuestionKind
    enrollment_id: uuid.UUID | None
    title: str
    status: QuestionStatus
    asked_at: datetime
    asked_on: date
    due_on: date = Field(description="When an answer is expected (R-QST-8).")
    answered_at: datetime | None
    declined_at: datetime | None


class QuestionOut(QuestionSummary):
    body: str
    course_id: uuid.UUID | None
    answer_body: str | None
    is_learning_advice: bool
    decline_reason: str | None
    attachments: list[AttachmentOut]


class StaffQuestionSummary(QuestionSummary):
    user_id: uuid.UUID
    is_overdue: bool


class StaffQuestionOut(QuestionOut):
    user_id: uuid.UUID
    answered_by_user_id: uuid.UUID | None
    declined_by_user_id: uuid.UUID | None


class QuestionQuotaOut(BaseModel):
    """R-QST-3/4/5/6/11 for one enrollment on today's JST date."""

    today: date
    has_question_service: bool
    first_day: date
    last_day: date
    per_enrollment: int
    used_in_enrollment: int
    per_day: int
    used_today: int
    remaining_today: int


class DeclineIn(BaseModel):
    reason: str = Field(min_length=1, max_length=rules.BODY_MAX_CHARS)


TITLE_FIELD = Field(min_length=1, max_length=rules.TITLE_MAX_CHARS)
BODY_FIELD = Field(min_length=1, max_length=rules.BODY_MAX_CHARS)
