"""Learning progress: lesson completion, resume positions, progress events and self-check tests.
R-PRG-1, R-PRG-2, R-PRG-3, R-PRG-5, R-PRG-6.

- `LessonProgress`: one row per member and lesson. `position_ms` is where the player resumes
  (it follows the event with the latest client timestamp, `position_at`); `watched_ranges` is
  the union of the media intervals the player reported as actually played, so seeking past a
  span never counts as watching it and re-watching a minute counts it once; `watched_ms` is its
  total length, `furthest_ms` the furthest point reached. `completed_at` is set once and never
  cleared (watched ≥ the configured ratio, marked by the member, or a test submitted).
  `course_id` is denormalised from the lesson for per-course reads and the retention purge.
- `ProgressEvent`: the ids of processed progress events, unique per member (R-PRG-5): the
  write path inserts here with `ON CONFLICT DO NOTHING` and only a new id moves the progress.
- `QuizQuestion` / `QuizChoice`: the questions of a `test` lesson, ordered, each with ordered
  choices of which at least one is correct (`allows_multiple` = "select all that apply").
  Questions are retired (`retired_at`), never deleted, so past attempts keep their meaning; the
  choices of a question that has been answered are frozen.
- `QuizAttempt` / `QuizAttemptAnswer`: every submission with its answers and grade (R-PRG-2).

Times are milliseconds of media (integers, exact), so "exactly 90%" has no float edge.
Foreign keys to the catalog are `RESTRICT`: learning history keeps a lesson from being deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INT4MULTIRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Model
from app.models.user import _enum


class CompletionSource(StrEnum):
    watched = "watched"  # the video was watched to the configured ratio (R-PRG-1)
    marked = "marked"  # the member marked the lesson complete (R-PRG-1)
    test = "test"  # a self-check test was submitted (R-PRG-2)


class LessonProgress(Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (
        # The upsert's conflict target: one row per member and lesson.
        Index("uq_lesson_progress_user_id_lesson_id", "user_id", "lesson_id", unique=True),
        # Per-course reads, the retention purge, and the catalog's RESTRICT check on courses.
        Index("ix_lesson_progress_course_id_user_id", "course_id", "user_id"),
        # The catalog's RESTRICT check when a lesson is deleted.
        Index("ix_lesson_progress_lesson_id", "lesson_id"),
        CheckConstraint(
            "(completed_at IS NULL) = (completion_source IS NULL)",
            name="completion_source_iff_completed",
        ),
        CheckConstraint(
            "position_ms >= 0 AND furthest_ms >= 0 AND watched_ms >= 0", name="ms_not_negative"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lesson.id", ondelete="RESTRICT"))
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"))
    position_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Client time of the event that set `position_ms` (latest wins; NULL before any event).
    position_at: Mapped[datetime | None]
    furthest_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    watched_ranges: Mapped[list[Range[int]]] = mapped_column(
        INT4MULTIRANGE, default=list, server_default=text("'{}'::int4multirange")
    )
    watched_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    completed_at: Mapped[datetime | None]
    completion_source: Mapped[CompletionSource | None] = mapped_column(
        _enum(CompletionSource, "completion_source")
    )
    last_activity_at: Mapped[datetime]


class ProgressEvent(Base):
    """A processed progress event id (R-PRG-5). Only the id matters; the state is in
    `LessonProgress`."""

    __tablename__ = "progress_event"
    __table_args__ = (Index("ix_progress_event_course_id_user_id", "course_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime]


class QuizQuestion(Model):
    __tablename__ = "quiz_question"
    __table_args__ = (Index("ix_quiz_question_lesson_id_position", "lesson_id", "position"),)

    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="", server_default="")
    allows_multiple: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    retired_at: Mapped[datetime | None]

    choices: Mapped[list[QuizChoice]] = relationship(
        lazy="raise", order_by="QuizChoice.position", viewonly=True
    )


class QuizChoice(Model):
    __tablename__ = "quiz_choice"
    __table_args__ = (
        Index("uq_quiz_choice_question_id_position", "question_id", "position", unique=True),
    )

    question_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quiz_question.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(Boolean)


class QuizAttempt(Model):
    __tablename__ = "quiz_attempt"
    __table_args__ = (
        # History (newest first) and "latest attempt per test lesson" read this index.
        Index(
            "ix_quiz_attempt_user_id_lesson_id_submitted_at",
            "user_id",
            "lesson_id",
            "submitted_at",
            "id",
        ),
        Index("ix_quiz_attempt_course_id_user_id", "course_id", "user_id"),
        Index("ix_quiz_attempt_lesson_id", "lesson_id"),
        CheckConstraint(
            "question_count > 0 AND correct_count >= 0 AND correct_count <= question_count",
            name="counts_consistent",
        ),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lesson.id", ondelete="RESTRICT"))
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"))
    submitted_at: Mapped[datetime]
    correct_count: Mapped[int] = mapped_column(Integer)
    question_count: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(SmallInteger)  # 0–100, correct_count * 100 // question_count


class QuizAttemptAnswer(Base):
    __tablename__ = "quiz_attempt_answer"
    __table_args__ = (Index("ix_quiz_attempt_answer_question_id", "question_id"),)

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quiz_attempt.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quiz_question.id", ondelete="RESTRICT"), primary_key=True
    )
    selected_choice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    is_correct: Mapped[bool] = mapped_column(Boolean)
