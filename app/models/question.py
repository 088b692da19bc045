"""Questions: study questions bound to an enrollment and non-study (service) questions.
R-QST-1 … R-QST-11.

- `Question`: one member's question (1通1問, R-QST-1). `kind = study` belongs to exactly one
  enrollment (R-QST-2) and counts against the enrollment and daily quotas (R-QST-3/4); `kind =
  service` (R-QST-7) has no enrollment and no study quota. `asked_at` is the application clock's
  instant of the question (tests and the adjustable clock move it; `created_at` is the database's
  own time), so quota counts read `asked_at`. Staff move it `open → answered | declined`
  (R-QST-8); `due_on` is when the answer is expected (1–10 days after `asked_on`).
- `QuestionAttachment`: a file of the question or of the staff answer (`part`), PDF/PNG/JPEG by
  content; the bytes live in the storage adapter under `storage_key`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model
from app.models.user import _enum


class QuestionKind(StrEnum):
    study = "study"  # 学習質問: bound to an enrollment, quota-limited
    service = "service"  # 学習以外の質問: about the service, own channel (R-QST-7)


class QuestionStatus(StrEnum):
    open = "open"
    answered = "answered"
    declined = "declined"  # out of scope (R-QST-2), with a reason


class AttachmentPart(StrEnum):
    question = "question"
    answer = "answer"


class QuestionFileKind(StrEnum):
    pdf = "pdf"
    png = "png"
    jpeg = "jpeg"


class Question(Model):
    __tablename__ = "question"
    __table_args__ = (
        # Quota counts (R-QST-4) and the member's own list, newest first.
        Index("ix_question_user_id_kind_asked_at", "user_id", "kind", "asked_at"),
        Index("ix_question_enrollment_id", "enrollment_id"),
        # The staff queue: open questions, oldest first.
        Index("ix_question_status_asked_at", "status", "asked_at"),
        CheckConstraint(
            "(kind = 'study') = (enrollment_id IS NOT NULL)", name="study_has_enrollment"
        ),
        CheckConstraint("due_on >= asked_on", name="due_after_asked"),
        CheckConstraint(
            "(status = 'answered') = (answered_at IS NOT NULL)", name="answered_has_time"
        ),
        CheckConstraint(
            "(status = 'declined') = (declined_at IS NOT NULL)", name="declined_has_time"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, "question_kind"))
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="RESTRICT")
    )
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[QuestionStatus] = mapped_column(
        _enum(QuestionStatus, "question_status"), default=QuestionStatus.open
    )
    asked_at: Mapped[datetime]
    asked_on: Mapped[date] = mapped_column(Date)
    """The JST day of `asked_at`."""
    due_on: Mapped[date] = mapped_column(Date)
    answer_body: Mapped[str | None] = mapped_column(Text)
    is_learning_advice: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    """The answer is learning advice in place of a direct answer (R-QST-2, seed 002 細則第4条)."""
    answered_at: Mapped[datetime | None]
    answered_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    declined_at: Mapped[datetime | None]
    declined_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decline_reason: Mapped[str | None] = mapped_column(Text)


class QuestionAttachment(Model):
    __tablename__ = "question_attachment"
    __table_args__ = (
        Index("ix_question_attachment_question_id_part", "question_id", "part", "position"),
        Index("uq_question_attachment_storage_key", "storage_key", unique=True),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("position BETWEEN 0 AND 2", name="position_in_range"),
    )

    question_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    part: Mapped[AttachmentPart] = mapped_column(_enum(AttachmentPart, "question_attachment_part"))
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    file_kind: Mapped[QuestionFileKind] = mapped_column(
        _enum(QuestionFileKind, "question_file_kind")
    )
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
