"""Per-course progress and the dashboard (受講管理ページ) (R-PRG-2, R-PRG-3)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.models import CourseProgram, EntitlementGrant, GrantScope, GrantSource, Role
from app.progress import overview
from tests.factories import make_course, make_grant
from tests.progress.factories import (
    T0,
    event,
    events_path,
    make_lesson,
    make_quiz,
    member_with_access,
)
from tests.statements import recorded_statements

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _answers(quiz: Any, correct: list[bool]) -> dict[str, Any]:
    return {
        "answers": [
            {
                "question_id": str(question.id),
                "choice_ids": quiz.correct(i) if correct[i] else quiz.wrong(i),
            }
            for i, question in enumerate(quiz.questions)
        ]
    }


async def test_r_prg_3_course_progress_counts_lessons_and_latest_quiz_rate(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    watched = await make_lesson(session, course)
    started = await make_lesson(session, course)
    first_quiz = await make_quiz(session, course)  # 3 questions
    second_quiz = await make_quiz(session, course, [(False, [True, False])] * 2)
    await make_lesson(session, course)  # never opened
    _, member = await member_with_access(session, settings, course)
    _, other = await member_with_access(session, settings, course)
    path = "/api/v1/lessons/{}/quiz-attempts"

    await client.post(events_path(watched), json=event(300, (0, 300)), headers=member)
    await client.post(
        events_path(watched), json=event(600, (300, 600), at=T0 + timedelta(1)), headers=member
    )
    await client.post(events_path(started), json=event(30, (0, 30)), headers=member)
    await client.post(
        path.format(first_quiz.lesson.id), json=_answers(first_quiz, [True] * 3), headers=member
    )
    await client.post(  # the latest attempt counts, not the best
        path.format(first_quiz.lesson.id),
        json=_answers(first_quiz, [True, False, False]),
        headers=member,
    )
    await client.post(
        path.format(second_quiz.lesson.id), json=_answers(second_quiz, [True, True]), headers=member
    )
    await client.post(  # another member's work never shows
        path.format(second_quiz.lesson.id),
        json=_answers(second_quiz, [False, False]),
        headers=other,
    )

    response = await client.get(f"/api/v1/me/courses/{course.id}/progress", headers=member)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["completed_lessons"], body["total_lessons"]) == (3, 5)
    assert body["quiz"] == {"correct_count": 3, "question_count": 5, "correct_rate": 0.6}
    assert [lesson["state"] for lesson in body["lessons"]] == [
        "completed",
        "in_progress",
        "completed",
        "completed",
        "not_started",
    ]
    assert body["lessons"][1]["position_seconds"] == 30
    assert body["lessons"][1]["watched_ratio"] == 0.05
    assert [lesson["latest_attempt_score"] for lesson in body["lessons"]] == [
        None,
        None,
        33,
        100,
        None,
    ]
    assert body["last_activity_at"] is not None


async def test_r_prg_3_course_progress_before_starting_and_for_hidden_courses(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session, lessons=2)
    hidden = await make_course(session, lessons=1, is_published=False)
    _, member = await member_with_access(session, settings, course)

    fresh = await client.get(f"/api/v1/me/courses/{course.id}/progress", headers=member)
    not_shown = await client.get(f"/api/v1/me/courses/{hidden.id}/progress", headers=member)
    unknown = await client.get(f"/api/v1/me/courses/{uuid.uuid4()}/progress", headers=member)

    assert fresh.json()["completed_lessons"] == 0
    assert fresh.json()["total_lessons"] == 2
    assert fresh.json()["quiz"]["correct_rate"] is None
    assert fresh.json()["last_activity_at"] is None
    assert not_shown.status_code == unknown.status_code == 404
    assert unknown.json()["type"] == "course-not-found"


async def test_r_prg_3_dashboard_lists_studied_and_granted_courses(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(NOW)
    studied = await make_course(session, title="学習中")
    lesson = await make_lesson(session, studied)
    await make_lesson(session, studied)
    granted = await make_course(
        session, title="購入済み", program=CourseProgram.purchase, is_membership_content=False
    )
    await make_lesson(session, granted)
    expired = await make_course(session, title="期限切れ", is_membership_content=False)
    unpublished = await make_course(session, title="準備中", is_published=False)
    untouched_membership = await make_course(session, title="会員講座")
    member, headers = await member_with_access(session, settings, now=NOW)  # membership grant
    await make_grant(session, member, scope=GrantScope.course, course_id=granted.id)
    await make_grant(session, member, scope=GrantScope.course, course_id=unpublished.id)
    await make_grant(
        session,
        member,
        scope=GrantScope.course,
        course_id=expired.id,
        valid_until=NOW - timedelta(seconds=1),
    )
    _, other = await member_with_access(session, settings, granted, now=NOW)
    await client.post(events_path(lesson), json=event(600, (300, 600)), headers=headers)
    await client.post(f"/api/v1/me/lessons/{lesson.id}/complete", headers=other)  # not ours

    response = await client.get("/api/v1/me/dashboard", headers=headers)

    assert response.status_code == 200, response.text
    courses = response.json()["courses"]
    assert [c["title"] for c in courses] == ["学習中", "購入済み"]
    assert courses[0]["last_activity_at"] is not None
    assert (courses[0]["completed_lessons"], courses[0]["total_lessons"]) == (0, 2)
    assert (courses[1]["completed_lessons"], courses[1]["total_lessons"]) == (0, 1)
    assert [c["has_access"] for c in courses] == [True, True]
    assert untouched_membership.title not in {c["title"] for c in courses}


async def test_r_prg_3_dashboard_shows_history_after_access_ends(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(NOW)
    course = await make_course(session, is_membership_content=False)
    quiz = await make_quiz(session, course)
    member, headers = await member_with_access(session, settings, course, now=NOW)
    await client.post(
        f"/api/v1/lessons/{quiz.lesson.id}/quiz-attempts",
        json=_answers(quiz, [True, True, False]),
        headers=headers,
    )
    await session.execute(  # staff take the grant back
        update(EntitlementGrant).where(EntitlementGrant.user_id == member.id).values(revoked_at=NOW)
    )
    await session.commit()

    courses = (await client.get("/api/v1/me/dashboard", headers=headers)).json()["courses"]

    assert len(courses) == 1
    assert courses[0]["has_access"] is False
    assert courses[0]["completed_lessons"] == 1
    assert courses[0]["quiz"]["correct_rate"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("course_count", [1, 6])
async def test_r_prg_3_dashboard_costs_one_statement_whatever_the_course_count(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    engine: AsyncEngine,
    course_count: int,
) -> None:
    member, headers = await member_with_access(session, settings)
    for index in range(course_count):
        course = await make_course(session, title=f"コース{index}")
        lesson = await make_lesson(session, course)
        quiz = await make_quiz(session, course)
        await client.post(events_path(lesson), json=event(10, (0, 10)), headers=headers)
        await client.post(
            f"/api/v1/lessons/{quiz.lesson.id}/quiz-attempts",
            json=_answers(quiz, [True, False, True]),
            headers=headers,
        )

    async with recorded_statements(session) as service_statements:
        result = await overview.dashboard(session, user_id=member.id, role=Role.member, now=NOW)
    async with recorded_statements(session) as request_statements:
        response = await client.get("/api/v1/me/dashboard", headers=headers)

    assert len(result.courses) == course_count
    assert len(response.json()["courses"]) == course_count
    assert len(service_statements) == 1
    # Authentication (1) + the clock (1) + the dashboard (1), however many courses.
    assert len(request_statements) == 3, request_statements


@pytest.mark.parametrize("lesson_count", [1, 8])
async def test_r_prg_3_course_progress_costs_one_statement(
    session: AsyncSession, settings: Settings, engine: AsyncEngine, lesson_count: int
) -> None:
    member, _ = await member_with_access(session, settings)
    course = await make_course(session, lessons=lesson_count)
    await make_quiz(session, course)

    async with recorded_statements(session) as statements:
        result = await overview.course_progress(
            session, user_id=member.id, role=Role.member, course_id=course.id
        )

    assert result.total_lessons == lesson_count + 1
    assert len(statements) == 1


async def test_r_sub_11_membership_history_is_hidden_after_membership_ends_and_comes_back(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    await freeze_time(NOW)
    course = await make_course(session, is_membership_content=True)
    quiz = await make_quiz(session, course)
    member, headers = await member_with_access(session, settings, course, now=NOW)
    attempt = await client.post(
        f"/api/v1/lessons/{quiz.lesson.id}/quiz-attempts",
        json=_answers(quiz, [True, True, False]),
        headers=headers,
    )
    assert attempt.status_code == 201
    attempt_id = attempt.json()["id"]
    await session.execute(  # the membership ends (cancellation, expiry, withdrawal)
        update(EntitlementGrant).where(EntitlementGrant.user_id == member.id).values(revoked_at=NOW)
    )
    await session.commit()

    assert (await client.get("/api/v1/me/dashboard", headers=headers)).json()["courses"] == []
    hidden = [
        f"/api/v1/me/courses/{course.id}/progress",
        f"/api/v1/me/lessons/{quiz.lesson.id}/progress",
        f"/api/v1/me/lessons/{quiz.lesson.id}/quiz-attempts",
        f"/api/v1/me/lessons/{quiz.lesson.id}/quiz-attempts/{attempt_id}",
    ]
    for path in hidden:
        response = await client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert response.json()["type"] == "membership-required"

    # Subscribing again brings everything back: nothing was deleted.
    session.add(
        EntitlementGrant(
            user_id=member.id,
            scope=GrantScope.membership,
            source=GrantSource.subscription,
            source_ref="again",
            valid_from=NOW,
        )
    )
    await session.commit()
    courses = (await client.get("/api/v1/me/dashboard", headers=headers)).json()["courses"]
    assert [c["course_id"] for c in courses] == [str(course.id)]
    assert courses[0]["quiz"]["correct_rate"] == pytest.approx(2 / 3)
    for path in hidden:
        assert (await client.get(path, headers=headers)).status_code == 200, path
