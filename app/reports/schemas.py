"""Request and response models of the reports domain: the public contract (R-ENR-6 … R-ENR-15).

Learner responses (`Learner*`) never carry a grader's identity (R-ENR-14); a submission's
answers, correct answers and comments are null unless `is_disclosed` (R-ENR-12)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.models.report import CertificateKind, ReportUnitKind, SubmissionStatus

Score = Annotated[int, Field(ge=0, le=100)]


# --- Report units ---------------------------------------------------------------------------------


class ChoiceQuestion(BaseModel):
    """A multiple-choice question with its answer key (staff only)."""

    prompt: str = Field(min_length=1, max_length=2000)
    choices: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=2, max_length=10
    )
    correct_choice: int = Field(ge=0, description="Index into `choices` of the correct answer.")
    explanation: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _correct_choice_in_range(self) -> ChoiceQuestion:
        if self.correct_choice >= len(self.choices):
            raise ValueError("correct_choice must index one of the choices")
        return self


class ReportUnitCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    instructions: str = Field(default="", max_length=10000)
    kind: ReportUnitKind
    position: int | None = Field(
        default=None, ge=1, description="1-based; omitted: after the last unit."
    )
    questions: list[ChoiceQuestion] = Field(
        default_factory=list,
        max_length=100,
        description="Multiple choice: at least one question. Essay: none.",
    )


class ReportUnitUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    instructions: str | None = Field(default=None, max_length=10000)
    position: int | None = Field(default=None, ge=1)
    questions: list[ChoiceQuestion] | None = Field(
        default=None,
        max_length=100,
        description="Replaces every question (multiple choice only; not once submitted).",
    )


class AdminReportUnit(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    position: int
    title: str
    instructions: str
    kind: ReportUnitKind
    questions: list[ChoiceQuestion]


class LearnerQuestion(BaseModel):
    """A question as the learner answers it: no answer key."""

    prompt: str
    choices: list[str]


class LearnerReportUnit(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    instructions: str
    kind: ReportUnitKind
    questions: list[LearnerQuestion]
    submission_count: int
    best_score: int | None
    is_awaiting_grading: bool
    may_submit: bool
    refusal: str | None = Field(
        description="Why `may_submit` is false: the problem `type` a submission would get."
    )


# --- Submissions ----------------------------------------------------------------------------------


class SubmissionCreate(BaseModel):
    answers: list[int] | None = Field(
        default=None,
        max_length=100,
        description="Multiple choice: the chosen choice index for each question, in order.",
    )
    essay_text: str | None = Field(default=None, min_length=1, max_length=40000)


class QuestionResult(BaseModel):
    prompt: str
    choices: list[str]
    chosen_choice: int
    correct_choice: int
    is_correct: bool
    explanation: str | None


class LearnerSubmission(BaseModel):
    """A submission as its learner sees it. No grader identity, ever (R-ENR-14). Under the
    resubmission service a score below the pass mark discloses only the score (R-ENR-12)."""

    id: uuid.UUID
    enrollment_id: uuid.UUID
    unit_id: uuid.UUID
    unit_title: str
    kind: ReportUnitKind
    attempt: int
    submitted_at: datetime
    status: SubmissionStatus
    due_from_on: date | None = Field(description="Essay: expected back from (R-ENR-6).")
    due_until_on: date | None = Field(description="Essay: expected back by (R-ENR-6).")
    score: int | None
    graded_at: datetime | None
    is_disclosed: bool = Field(
        description="False: answers, correct answers and comments are withheld (R-ENR-12)."
    )
    answers: list[int] | None
    essay_text: str | None
    results: list[QuestionResult] | None
    comments: str | None


# --- Grading --------------------------------------------------------------------------------------


class GraderSubmission(BaseModel):
    """What a grader sees: the work, not who the learner is beyond the enrollment."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enrollment_id: uuid.UUID
    unit_id: uuid.UUID
    unit_title: str
    course_title: str
    attempt: int
    submitted_at: datetime
    due_until_on: date | None
    status: SubmissionStatus
    instructions: str
    essay_text: str | None
    assigned_grader_user_id: uuid.UUID | None
    score: int | None
    comments: str | None
    graded_at: datetime | None


class Regrade(BaseModel):
    reason: str
    previous_score: int
    new_score: int
    staff_user_id: uuid.UUID | None
    regraded_at: datetime


class StaffSubmission(GraderSubmission):
    kind: ReportUnitKind
    answers: list[int] | None
    grader_user_id: uuid.UUID | None
    regrades: list[Regrade]


class GradeCreate(BaseModel):
    score: Score
    comments: str = Field(default="", max_length=10000)


class RegradeCreate(BaseModel):
    score: Score
    comments: str | None = Field(
        default=None, max_length=10000, description="Omitted: the comments stay."
    )
    reason: str = Field(
        min_length=1, max_length=2000, description="Why the company was at fault (R-ENR-15)."
    )


class AssignmentCreate(BaseModel):
    grader_user_id: uuid.UUID


# --- Completion and certificates ------------------------------------------------------------------


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enrollment_id: uuid.UUID
    number: str
    kind: CertificateKind
    learner_name: str
    course_title: str
    completed_on: date
    issued_at: datetime


class Completion(BaseModel):
    enrollment_id: uuid.UUID
    completion_status: str = Field(
        description="pending / completed (修了) / excellent (優秀修了) / not_completed (未修了)."
    )
    completed_on: date | None
    reasons: list[str]
    certificate: CertificateOut | None


class CertificateVerification(BaseModel):
    """The public answer for a certificate number: this and nothing more (R-ENR-13)."""

    number: str
    learner_name: str
    course_title: str
    kind: CertificateKind
    completed_on: date


class DownloadLink(BaseModel):
    url: str
    expires_at: datetime
