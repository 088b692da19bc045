"""SQL of the questions domain (R-QST-3/4/9/10). Never commits.

`lock_member_questions` takes a transaction-scoped advisory lock per member: every study or
service question of one member is created while holding it, and the quota counts are read
after taking it, so concurrent submissions are counted one after another (R-QST-9). Under READ
COMMITTED each count statement sees every question committed by the previous holder.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.content import Course
from app.models.enrollment import CorrespondenceSettings, Enrollment
from app.models.question import (
    Question,
    QuestionAttachment,
    QuestionKind,
    QuestionStatus,
)


async def lock_member_questions(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialize question creation of one member until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"questions:{user_id}"},
    )


async def count_enrollment_questions(session: AsyncSession, enrollment_id: uuid.UUID) -> int:
    statement = select(func.count()).where(
        Question.enrollment_id == enrollment_id, Question.kind == QuestionKind.study
    )
    return int(await session.scalar(statement) or 0)


async def count_member_questions_between(
    session: AsyncSession, user_id: uuid.UUID, kind: QuestionKind, start: datetime, end: datetime
) -> int:
    """Questions of `kind` the member asked in `[start, end)`."""
    statement = select(func.count()).where(
        Question.user_id == user_id,
        Question.kind == kind,
        Question.asked_at >= start,
        Question.asked_at < end,
    )
    return int(await session.scalar(statement) or 0)


async def member_enrollment(
    session: AsyncSession, user_id: uuid.UUID, enrollment_id: uuid.UUID
) -> tuple[Enrollment, Course, CorrespondenceSettings | None] | None:
    statement = (
        select(Enrollment, Course, CorrespondenceSettings)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(CorrespondenceSettings, CorrespondenceSettings.course_id == Course.id)
        .where(Enrollment.id == enrollment_id, Enrollment.user_id == user_id)
    )
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    return row[0], row[1], row[2]


def readable_by_member(user_id: uuid.UUID, today: date) -> Select[Question]:
    """R-QST-10: the member's own questions they may still read: every service question, and
    study questions of enrollments whose (leave-extended) end is today or later."""
    return (
        select(Question)
        .outerjoin(Enrollment, Enrollment.id == Question.enrollment_id)
        .where(
            Question.user_id == user_id,
            or_(Question.kind == QuestionKind.service, Enrollment.enrollment_end_on >= today),
        )
    )


async def own_question(
    session: AsyncSession, user_id: uuid.UUID, question_id: uuid.UUID
) -> tuple[Question, Enrollment | None] | None:
    statement = (
        select(Question, Enrollment)
        .outerjoin(Enrollment, Enrollment.id == Question.enrollment_id)
        .where(Question.id == question_id, Question.user_id == user_id)
    )
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1])


async def question_for_update(session: AsyncSession, question_id: uuid.UUID) -> Question | None:
    statement = select(Question).where(Question.id == question_id).with_for_update()
    return await session.scalar(statement)


async def question_by_id(session: AsyncSession, question_id: uuid.UUID) -> Question | None:
    return await session.get(Question, question_id)


async def attachments_of(session: AsyncSession, question_id: uuid.UUID) -> list[QuestionAttachment]:
    statement = (
        select(QuestionAttachment)
        .where(QuestionAttachment.question_id == question_id)
        .order_by(QuestionAttachment.part, QuestionAttachment.position)
    )
    return list(await session.scalars(statement))


async def attachment_with_question(
    session: AsyncSession, attachment_id: uuid.UUID
) -> tuple[QuestionAttachment, Question] | None:
    statement = (
        select(QuestionAttachment, Question)
        .join(Question, Question.id == QuestionAttachment.question_id)
        .where(QuestionAttachment.id == attachment_id)
    )
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1])


def staff_queue(
    *,
    status: QuestionStatus | None,
    kind: QuestionKind | None,
    course_id: uuid.UUID | None,
    due_on_or_before: date | None,
) -> Select[Question]:
    """R-QST-8: the staff queue with filters; the caller orders it oldest first."""
    statement = select(Question).outerjoin(Enrollment, Enrollment.id == Question.enrollment_id)
    if status is not None:
        statement = statement.where(Question.status == status)
    if kind is not None:
        statement = statement.where(Question.kind == kind)
    if course_id is not None:
        statement = statement.where(Enrollment.course_id == course_id)
    if due_on_or_before is not None:
        statement = statement.where(Question.due_on <= due_on_or_before)
    return statement
