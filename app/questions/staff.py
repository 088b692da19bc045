"""Staff use cases of questions (R-QST-2, R-QST-8): answer (optionally as learning advice, with
attachments) or decline as out of scope with a reason. Never commits.

The question row is locked (`FOR UPDATE`) so two staff members cannot both close it; only an
open question can be answered or declined (`question-already-closed`). Answering emails the
member (`question_answered`); declining emails them the reason (`question_declined`). Both are
audited (`question.answered`, `question.declined`) with the acting staff member.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.media.storage import Storage
from app.models.enrollment import Enrollment
from app.models.question import AttachmentPart, Question, QuestionStatus
from app.models.user import User
from app.notifications.service import notify_user
from app.questions import repository
from app.questions.attachments import IncomingFile, check_files, store_files
from app.questions.errors import QuestionAlreadyClosed, QuestionNotFound
from app.questions.service import QuestionView

ACTION_ANSWERED = "question.answered"
ACTION_DECLINED = "question.declined"


async def _open_question(session: AsyncSession, question_id: uuid.UUID) -> Question:
    question = await repository.question_for_update(session, question_id)
    if question is None:
        raise QuestionNotFound()
    if question.status is not QuestionStatus.open:
        raise QuestionAlreadyClosed()
    return question


async def _member(session: AsyncSession, question: Question) -> User:
    member = await session.get(User, question.user_id)
    if member is None:  # RESTRICT foreign key: cannot happen
        raise QuestionNotFound()
    return member


def question_link(frontend_base_url: str, question_id: uuid.UUID) -> str:
    return f"{frontend_base_url.rstrip('/')}/questions/{question_id}"


async def read_question(session: AsyncSession, question_id: uuid.UUID) -> QuestionView:
    found = await repository.question_by_id(session, question_id)
    if found is None:
        raise QuestionNotFound()
    enrollment = await session.get(Enrollment, found.enrollment_id) if found.enrollment_id else None
    return QuestionView(found, enrollment, await repository.attachments_of(session, found.id))


async def answer_question(
    session: AsyncSession,
    storage: Storage,
    *,
    staff: User,
    question_id: uuid.UUID,
    body: str,
    is_learning_advice: bool,
    files: Sequence[IncomingFile],
    frontend_base_url: str,
    now: datetime,
) -> QuestionView:
    """R-QST-8: answer an open question and email the member."""
    checked = check_files(files)
    question = await _open_question(session, question_id)
    question.status = QuestionStatus.answered
    question.answer_body = body
    question.is_learning_advice = is_learning_advice
    question.answered_at = now
    question.answered_by_user_id = staff.id
    await session.flush()
    await store_files(
        session, storage, question_id=question.id, part=AttachmentPart.answer, files=checked
    )
    member = await _member(session, question)
    await notify_user(
        session,
        member,
        template="question_answered",
        now=now,
        context={
            "question_title": question.title,
            "question_url": question_link(frontend_base_url, question.id),
        },
    )
    await record_audit_event(
        session,
        action=ACTION_ANSWERED,
        now=now,
        actor_user_id=staff.id,
        target_type="question",
        target_id=question.id,
        data={"is_learning_advice": is_learning_advice, "attachments": len(checked)},
    )
    return await read_question(session, question.id)


async def decline_question(
    session: AsyncSession,
    *,
    staff: User,
    question_id: uuid.UUID,
    reason: str,
    frontend_base_url: str,
    now: datetime,
) -> QuestionView:
    """R-QST-2/8: decline an open question as out of scope, with a reason the member reads."""
    question = await _open_question(session, question_id)
    question.status = QuestionStatus.declined
    question.decline_reason = reason
    question.declined_at = now
    question.declined_by_user_id = staff.id
    await session.flush()
    member = await _member(session, question)
    await notify_user(
        session,
        member,
        template="question_declined",
        now=now,
        context={
            "question_title": question.title,
            "decline_reason": reason,
            "question_url": question_link(frontend_base_url, question.id),
        },
    )
    await record_audit_event(
        session,
        action=ACTION_DECLINED,
        now=now,
        actor_user_id=staff.id,
        target_type="question",
        target_id=question.id,
        data={"reason": reason},
    )
    return await read_question(session, question.id)
