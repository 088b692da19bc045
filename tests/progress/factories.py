"""Progress test data: lessons of each kind, tests with questions, members with access."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import (
    Course,
    GrantScope,
    Lesson,
    LessonKind,
    QuizChoice,
    QuizQuestion,
    User,
)
from tests.factories import bearer_for, make_course, make_grant, make_user

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def make_lesson(
    session: AsyncSession,
    course: Course,
    *,
    kind: LessonKind = LessonKind.video,
    duration_seconds: int | None = 600,
) -> Lesson:
    position = await session.scalar(
        select(func.count()).select_from(Lesson).where(Lesson.course_id == course.id)
    )
    lesson = Lesson(
        id=uuid.uuid4(),
        course_id=course.id,
        position=position or 0,
        kind=kind,
        title=f"{kind.value} {position}",
        description="",
        video_asset_id=None if kind is LessonKind.test or duration_seconds is None else "asset",
        duration_seconds=None if kind is LessonKind.test else duration_seconds,
    )
    session.add(lesson)
    await session.flush()
    return lesson


@dataclass
class Quiz:
    lesson: Lesson
    questions: list[QuizQuestion]
    choices: list[list[QuizChoice]]

    def correct(self, index: int) -> list[str]:
        return [str(c.id) for c in self.choices[index] if c.is_correct]

    def wrong(self, index: int) -> list[str]:
        return [str(c.id) for c in self.choices[index] if not c.is_correct][:1]


QuestionSpec = tuple[bool, list[bool]]  # (allows_multiple, correct flag per choice)

DEFAULT_QUESTIONS: list[QuestionSpec] = [
    (False, [True, False, False]),
    (True, [True, True, False]),
    (False, [False, True]),
]


async def make_quiz(
    session: AsyncSession, course: Course, questions: list[QuestionSpec] | None = None
) -> Quiz:
    lesson = await make_lesson(session, course, kind=LessonKind.test)
    quiz = Quiz(lesson=lesson, questions=[], choices=[])
    for index, (allows_multiple, flags) in enumerate(questions or DEFAULT_QUESTIONS):
        question = QuizQuestion(
            id=uuid.uuid4(),
            lesson_id=lesson.id,
            position=index,
            body=f"問{index + 1}",
            explanation=f"解説{index + 1}",
            allows_multiple=allows_multiple,
        )
        session.add(question)
        await session.flush()
        choices = [
            QuizChoice(
                id=uuid.uuid4(),
                question_id=question.id,
                position=position,
                body=f"選択肢{position + 1}",
                is_correct=flag,
            )
            for position, flag in enumerate(flags)
        ]
        session.add_all(choices)
        quiz.questions.append(question)
        quiz.choices.append(choices)
    await session.flush()
    return quiz


async def member_with_access(
    session: AsyncSession,
    settings: Settings,
    course: Course | None = None,
    *,
    grant: bool = True,
    now: datetime | None = None,
) -> tuple[User, dict[str, str]]:
    """A member holding a course grant for `course` (or a membership grant)."""
    member = await make_user(session)
    if grant:
        if course is not None and not course.is_membership_content:
            await make_grant(session, member, scope=GrantScope.course, course_id=course.id)
        else:
            await make_grant(session, member)
    return member, await bearer_for(session, member, settings, now)


async def video_course(
    session: AsyncSession, *, duration_seconds: int = 600, **course: Any
) -> tuple[Course, Lesson]:
    created = await make_course(session, **course)
    return created, await make_lesson(session, created, duration_seconds=duration_seconds)


def event(
    position: float,
    watched: tuple[float, float] | None = None,
    *,
    at: datetime = T0,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": str(event_id or uuid.uuid4()),
        "occurred_at": at.isoformat(),
        "position_seconds": position,
    }
    if watched is not None:
        body["watched"] = {"from_seconds": watched[0], "to_seconds": watched[1]}
    return body


def events_path(lesson: Lesson) -> str:
    return f"/api/v1/me/lessons/{lesson.id}/progress-events"
