"""Whose learning history is visible (R-SUB-11).

When membership is lost (withdrawal, cancellation, expiry) the member's learning history of
membership content becomes inaccessible — hidden, never deleted — and comes back when they rejoin
or subscribe again. A course of the membership (`is_membership_content`) stays visible while anything else opens
it (a purchase, a staff grant). Other courses (sold one-off, correspondence) keep their history
after their access ends: their own rules decide (R-REF, R-PRG-6, R-QST-10).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements import service as entitlements
from app.entitlements.errors import MembershipRequired
from app.models.content import Course, Lesson
from app.models.user import Role


async def require_history_visible(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    role: Role | None,
    course_id: uuid.UUID,
    now: datetime,
) -> None:
    """Raise `MembershipRequired` (403) for a membership course the member cannot open now."""
    is_membership_content = await session.scalar(
        select(Course.is_membership_content).where(Course.id == course_id)
    )
    if not is_membership_content:
        return
    if not await entitlements.may_open_course(
        session, user_id=user_id, role=role, course_id=course_id, now=now
    ):
        raise MembershipRequired()


async def require_lesson_history_visible(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    role: Role | None,
    lesson_id: uuid.UUID,
    now: datetime,
) -> None:
    course_id = await session.scalar(select(Lesson.course_id).where(Lesson.id == lesson_id))
    if course_id is not None:
        await require_history_visible(
            session, user_id=user_id, role=role, course_id=course_id, now=now
        )
