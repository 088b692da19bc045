"""Test data for questions: a member with a correspondence enrollment over a fixed usage period,
file bytes recognised by content, request helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import (
    CorrespondenceSettings,
    Course,
    Enrollment,
    EnrollmentStatus,
    Question,
    QuestionAttachment,
    Role,
    User,
)
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import bearer_for, make_user

JST = timezone(timedelta(hours=9))
START_ON = date(2027, 4, 1)
END_ON = date(2027, 9, 30)
NOON = datetime(2027, 5, 10, 12, 0, tzinfo=JST)

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 32


def jst(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=JST).astimezone(UTC)


async def member_with_enrollment(
    session: AsyncSession,
    settings: Settings,
    *,
    question_quota: int = 6,
    has_question_service: bool = True,
    start_on: date = START_ON,
    end_on: date = END_ON,
    status: EnrollmentStatus = EnrollmentStatus.active,
    returned_on: date | None = None,
    user: User | None = None,
    now: datetime = NOON,
) -> tuple[User, dict[str, str], Enrollment]:
    user = user or await make_user(session)
    course, course_settings = await make_correspondence_course(
        session, question_quota=question_quota, has_question_service=has_question_service
    )
    enrollment = await enroll(
        session, user, course, course_settings, start_on=start_on, end_on=end_on
    )
    enrollment.status = status
    enrollment.returned_on = returned_on
    await session.flush()
    headers = await bearer_for(session, user, settings, now)
    return user, headers, enrollment


async def enroll(
    session: AsyncSession,
    user: User,
    course: Course,
    course_settings: CorrespondenceSettings,
    *,
    start_on: date = START_ON,
    end_on: date = END_ON,
) -> Enrollment:
    enrollment = await make_enrollment(
        session, user, course, course_settings, accepted_on=start_on - timedelta(days=10)
    )
    enrollment.start_on = start_on
    enrollment.enrollment_end_on = end_on
    enrollment.original_end_on = end_on
    enrollment.excellent_deadline_on = None
    await session.flush()
    return enrollment


async def staff_headers(
    session: AsyncSession, settings: Settings, now: datetime = NOON
) -> tuple[User, dict[str, str]]:
    staff = await make_user(session, role=Role.staff)
    return staff, await bearer_for(session, staff, settings, now)


async def headers_at(
    freeze_time: Any, session: AsyncSession, user: User, settings: Settings, when: datetime
) -> dict[str, str]:
    """Freeze the app clock at `when` and sign `user` in at that instant."""
    await freeze_time(when)
    return await bearer_for(session, user, settings, when)


def questions_path(enrollment: Enrollment) -> str:
    return f"/api/v1/me/enrollments/{enrollment.id}/questions"


async def ask(
    client: httpx.AsyncClient,
    enrollment: Enrollment,
    headers: dict[str, str],
    *,
    title: str = "第2章の練習問題3について",
    body: str = "解説の計算式の2行目がわかりません。",
    files: list[tuple[str, bytes]] | None = None,
) -> httpx.Response:
    return await client.post(
        questions_path(enrollment),
        data={"title": title, "body": body},
        files=[
            ("attachments", (name, content, "application/octet-stream")) for name, content in files
        ]
        if files
        else None,
        headers=headers,
    )


async def count_questions(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Question)) or 0)


async def count_attachments(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(QuestionAttachment)) or 0)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]
