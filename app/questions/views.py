"""Turning question views into response bodies, with signed attachment links per reader."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import UploadFile

from app.config import Settings
from app.kit.calendar import jst_date
from app.models.question import Question, QuestionAttachment, QuestionStatus
from app.questions.attachments import IncomingFile, issue_link_token, link_expiry
from app.questions.schemas import AttachmentOut, QuestionOut, StaffQuestionOut, StaffQuestionSummary
from app.questions.service import QuestionView

DOWNLOAD_PATH = "/api/v1/question-attachments/"


def incoming(files: list[UploadFile] | None) -> list[IncomingFile]:
    return [IncomingFile(file=f.file, filename=f.filename or "") for f in files or []]


def attachment_out(
    attachment: QuestionAttachment, *, reader_id: uuid.UUID, settings: Settings, now: datetime
) -> AttachmentOut:
    expires_at = link_expiry(now, settings.media_download_link_ttl_seconds)
    token = issue_link_token(
        attachment_id=attachment.id,
        reader_id=reader_id,
        expires_at=expires_at,
        signing_key=settings.signing_key,
    )
    return AttachmentOut(
        id=attachment.id,
        part=attachment.part,
        filename=attachment.filename,
        file_kind=attachment.file_kind,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        download_url=f"{settings.public_base_url.rstrip('/')}{DOWNLOAD_PATH}{token}",
        expires_at=expires_at,
    )


def _fields(view: QuestionView, attachments: list[AttachmentOut]) -> dict[str, object]:
    q = view.question
    return {
        "id": q.id,
        "kind": q.kind,
        "enrollment_id": q.enrollment_id,
        "course_id": view.enrollment.course_id if view.enrollment else None,
        "title": q.title,
        "body": q.body,
        "status": q.status,
        "asked_at": q.asked_at,
        "asked_on": q.asked_on,
        "due_on": q.due_on,
        "answered_at": q.answered_at,
        "declined_at": q.declined_at,
        "answer_body": q.answer_body,
        "is_learning_advice": q.is_learning_advice,
        "decline_reason": q.decline_reason,
        "attachments": attachments,
    }


def question_out(
    view: QuestionView, *, reader_id: uuid.UUID, settings: Settings, now: datetime
) -> QuestionOut:
    attachments = [
        attachment_out(a, reader_id=reader_id, settings=settings, now=now) for a in view.attachments
    ]
    return QuestionOut.model_validate(_fields(view, attachments))


def staff_question_out(
    view: QuestionView, *, reader_id: uuid.UUID, settings: Settings, now: datetime
) -> StaffQuestionOut:
    attachments = [
        attachment_out(a, reader_id=reader_id, settings=settings, now=now) for a in view.attachments
    ]
    q = view.question
    return StaffQuestionOut.model_validate(
        {
            **_fields(view, attachments),
            "user_id": q.user_id,
            "answered_by_user_id": q.answered_by_user_id,
            "declined_by_user_id": q.declined_by_user_id,
        }
    )


def staff_summary(question: Question, now: datetime) -> StaffQuestionSummary:
    return StaffQuestionSummary(
        id=question.id,
        kind=question.kind,
        enrollment_id=question.enrollment_id,
        title=question.title,
        status=question.status,
        asked_at=question.asked_at,
        asked_on=question.asked_on,
        due_on=question.due_on,
        answered_at=question.answered_at,
        declined_at=question.declined_at,
        user_id=question.user_id,
        is_overdue=question.status is QuestionStatus.open and question.due_on < jst_date(now),
    )
