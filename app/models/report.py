"""Report units, submissions, re-gradings and certificates of correspondence courses.
R-ENR-6 … R-ENR-15.

- `ReportUnit`: one report (レポート) of a correspondence course, in `position` order. A
  multiple-choice unit carries its questions (`questions`: prompt, choices, the correct choice's
  index, an optional explanation) and is graded by the computer at once; an essay unit is queued
  for a grader (R-ENR-6).
- `ReportSubmission`: one arrival of one unit for one enrollment. `attempt` counts from 1 per
  (enrollment, unit); the unique index on the three makes two simultaneous submissions of the
  same unit create one (R-ENR-7). `submitted_on` is the JST date of arrival (R-ENR-8/9/10);
  `grader_user_id` is never shown to learners (R-ENR-14).
- `ReportRegrade`: the history of staff re-gradings, each with its reason (R-ENR-15).
- `Certificate`: one per completed enrollment of a course with certificates (R-ENR-13), with a
  unique human number and a snapshot of what it certifies (name, course, kind, date), so the PDF
  and the public verification never change after issue.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model
from app.models.user import _enum


class ReportUnitKind(StrEnum):
    multiple_choice = "multiple_choice"  # graded by the computer at once
    essay = "essay"  # graded by a grader, 10–20 days


class SubmissionStatus(StrEnum):
    awaiting_grading = "awaiting_grading"
    graded = "graded"


class CertificateKind(StrEnum):
    completion = "completion"  # 修了証書
    excellent = "excellent"  # 優秀修了証書


class ReportUnit(Model):
    __tablename__ = "report_unit"
    __table_args__ = (
        Index("ix_report_unit_course_id_position", "course_id", "position"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[ReportUnitKind] = mapped_column(_enum(ReportUnitKind, "report_unit_kind"))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    """Multiple choice only: [{"prompt", "choices": [str], "correct_choice": int,
    "explanation": str | None}]. Empty for an essay."""


class ReportSubmission(Model):
    __tablename__ = "report_submission"
    __table_args__ = (
        Index(
            "uq_report_submission_enrollment_id_unit_id_attempt",
            "enrollment_id",
            "unit_id",
            "attempt",
            unique=True,
        ),
        Index("ix_report_submission_unit_id", "unit_id"),
        # The grading queue: essays awaiting a grade, oldest first.
        Index(
            "ix_report_submission_queue",
            "submitted_at",
            postgresql_where=text("status = 'awaiting_grading'"),
        ),
        Index("ix_report_submission_assigned_grader_user_id", "assigned_grader_user_id"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_in_range"),
        CheckConstraint(
            "(status = 'graded') = (score IS NOT NULL AND graded_at IS NOT NULL)",
            name="graded_has_score",
        ),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE")
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report_unit.id", ondelete="RESTRICT"))
    attempt: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime]
    submitted_on: Mapped[date] = mapped_column(Date)
    """JST date of arrival (R-ENR-8, R-ENR-9, R-ENR-10)."""
    answers: Mapped[list[int] | None] = mapped_column(JSONB)
    """Multiple choice: the chosen index per question."""
    essay_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[SubmissionStatus] = mapped_column(
        _enum(SubmissionStatus, "report_submission_status")
    )
    due_from_on: Mapped[date | None] = mapped_column(Date)
    due_until_on: Mapped[date | None] = mapped_column(Date)
    """Essay: the due window shown to the learner (R-ENR-6)."""
    assigned_grader_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None]
    score: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[str | None] = mapped_column(Text)
    graded_at: Mapped[datetime | None]
    graded_on: Mapped[date | None] = mapped_column(Date)
    grader_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    """Who graded (None: the computer). Never shown to learners (R-ENR-14)."""


class ReportRegrade(Model):
    """A staff re-grading with its reason (R-ENR-15); the audit log has a row for each too."""

    __tablename__ = "report_regrade"
    __table_args__ = (Index("ix_report_regrade_submission_id", "submission_id"),)

    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("report_submission.id", ondelete="CASCADE")
    )
    staff_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text)
    previous_score: Mapped[int] = mapped_column(Integer)
    new_score: Mapped[int] = mapped_column(Integer)
    previous_comments: Mapped[str | None] = mapped_column(Text)
    new_comments: Mapped[str | None] = mapped_column(Text)
    regraded_at: Mapped[datetime]


class Certificate(Model):
    __tablename__ = "certificate"
    __table_args__ = (
        Index("uq_certificate_enrollment_id", "enrollment_id", unique=True),
        Index("uq_certificate_number", "number", unique=True),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollment.id", ondelete="RESTRICT")
    )
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[CertificateKind] = mapped_column(_enum(CertificateKind, "certificate_kind"))
    learner_name: Mapped[str] = mapped_column(String(100))
    course_title: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    """Set when a staff re-grade withdraws the completion (R-ENR-15): the number no longer
    verifies and the PDF is no longer served; a later completion restores it."""
