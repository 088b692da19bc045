"""Self-check tests: staff authoring and member attempts (R-PRG-2)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import (
    CourseProgram,
    LessonKind,
    LessonProgress,
    QuizAttempt,
    QuizAttemptAnswer,
    QuizChoice,
    QuizQuestion,
    Role,
)
from tests.factories import bearer_for, make_course, make_user
from tests.progress.factories import Quiz, make_lesson, make_quiz, member_with_access


def _attempts_path(quiz: Quiz) -> str:
    return f"/api/v1/lessons/{quiz.lesson.id}/quiz-attempts"


def _all_correct(quiz: Quiz) -> dict[str, Any]:
    return {
        "answers": [
            {"question_id": str(q.id), "choice_ids": quiz.correct(i)}
            for i, q in enumerate(quiz.questions)
        ]
    }


async def _count(session: AsyncSession, model: Any) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def _staff(session: AsyncSession, settings: Settings) -> dict[str, str]:
    return await bearer_for(session, await make_user(session, role=Role.staff), settings)


# --- staff authoring ---------------------------------------------------------------------------


def _question(**overrides: Any) -> dict[str, Any]:
    return {
        "body": "労働基準法で定める法定労働時間は1日何時間ですか。",
        "explanation": "労働基準法第32条により1日8時間です。",
        "choices": [
            {"body": "8時間", "is_correct": True},
            {"body": "10時間", "is_correct": False},
        ],
        **overrides,
    }


async def test_r_prg_2_staff_create_read_update_and_retire_questions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    lesson = await make_lesson(session, course, kind=LessonKind.test)
    staff = await _staff(session, settings)
    base = f"/api/v1/admin/lessons/{lesson.id}/quiz-questions"

    created = await client.post(base, json=_question(), headers=staff)
    second = await client.post(base, json=_question(body="二問目"), headers=staff)
    question_id = created.json()["id"]
    patched = await client.patch(
        f"{base}/{question_id}",
        json={
            "body": "改訂",
            "allows_multiple": True,
            "choices": [
                {"body": "A", "is_correct": True},
                {"body": "B", "is_correct": True},
                {"body": "C"},
            ],
        },
        headers=staff,
    )
    listed = await client.get(base, headers=staff)
    deleted = await client.delete(f"{base}/{question_id}", headers=staff)
    after = await client.get(base, headers=staff)
    gone = await client.get(f"{base}/{question_id}", headers=staff)

    assert created.status_code == 201
    assert created.headers["Location"] == f"{base}/{question_id}"
    assert [c["is_correct"] for c in created.json()["choices"]] == [True, False]
    assert (created.json()["position"], second.json()["position"]) == (0, 1)
    assert patched.status_code == 200, patched.text
    assert patched.json()["body"] == "改訂"
    assert [c["body"] for c in patched.json()["choices"]] == ["A", "B", "C"]
    assert [q["id"] for q in listed.json()["items"]] == [question_id, second.json()["id"]]
    assert deleted.status_code == 204
    assert [q["id"] for q in after.json()["items"]] == [second.json()["id"]]
    assert gone.status_code == 404
    assert gone.json()["type"] == "quiz-question-not-found"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"choices": [{"body": "A"}, {"body": "B"}]}, "no_correct_choice"),
        ({"choices": [{"body": "A", "is_correct": True}]}, "at_least_two_choices"),
        (
            {"choices": [{"body": "A", "is_correct": True}, {"body": "B", "is_correct": True}]},
            "single_answer_needs_one_correct_choice",
        ),
    ],
)
async def test_r_prg_2_a_question_without_a_correct_choice_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    overrides: dict[str, Any],
    code: str,
) -> None:
    course = await make_course(session)
    lesson = await make_lesson(session, course, kind=LessonKind.test)
    staff = await _staff(session, settings)

    response = await client.post(
        f"/api/v1/admin/lessons/{lesson.id}/quiz-questions",
        json=_question(**overrides),
        headers=staff,
    )

    assert response.status_code == 400
    assert response.json()["type"] == "quiz-question-invalid"
    assert response.json()["errors"] == {"body.choices": [code]}
    assert await _count(session, QuizQuestion) == 0


async def test_r_prg_2_questions_belong_to_test_lessons_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    video = await make_lesson(session, course)
    staff = await _staff(session, settings)

    not_test = await client.post(
        f"/api/v1/admin/lessons/{video.id}/quiz-questions", json=_question(), headers=staff
    )
    unknown = await client.get(
        f"/api/v1/admin/lessons/{uuid.uuid4()}/quiz-questions", headers=staff
    )

    assert not_test.status_code == 409
    assert not_test.json()["type"] == "lesson-not-a-test"
    assert unknown.status_code == 404
    assert await _count(session, QuizQuestion) == 0


async def test_r_prg_2_choices_of_an_answered_question_are_frozen(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    quiz = await make_quiz(session, course)
    _, member = await member_with_access(session, settings, course)
    staff = await _staff(session, settings)
    await client.post(_attempts_path(quiz), json=_all_correct(quiz), headers=member)
    path = f"/api/v1/admin/lessons/{quiz.lesson.id}/quiz-questions/{quiz.questions[0].id}"

    refused = await client.patch(
        path,
        json={"choices": [{"body": "X", "is_correct": True}, {"body": "Y"}]},
        headers=staff,
    )
    flip = await client.patch(path, json={"allows_multiple": True}, headers=staff)
    wording = await client.patch(path, json={"body": "表現の修正"}, headers=staff)

    assert refused.status_code == flip.status_code == 409
    assert refused.json()["type"] == "quiz-question-answered"
    assert wording.status_code == 200
    assert await _count(session, QuizChoice) == 8  # unchanged


# --- member reads and attempts -----------------------------------------------------------------


async def test_r_prg_2_the_quiz_never_exposes_answers_before_submitting(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    quiz = await make_quiz(session, course)
    _, member = await member_with_access(session, settings, course)

    response = await client.get(f"/api/v1/lessons/{quiz.lesson.id}/quiz", headers=member)

    assert response.status_code == 200
    body = response.json()
    assert [q["id"] for q in body["questions"]] == [str(q.id) for q in quiz.questions]
    assert [q["allows_multiple"] for q in body["questions"]] == [False, True, False]
    assert [len(q["choices"]) for q in body["questions"]] == [3, 3, 2]
    text = response.text
    assert "is_correct" not in text
    assert "explanation" not in text
    assert "解説" not in text


async def test_r_prg_2_attempt_is_graded_all_or_nothing_and_shows_answers_after(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    quiz = await make_quiz(session, course)
    _, member = await member_with_access(session, settings, course)
    partly = quiz.correct(1)[:1]  # one of the two correct choices of the multiple-answer question

    response = await client.post(
        _attempts_path(quiz),
        json={
            "answers": [
                {"question_id": str(quiz.questions[0].id), "choice_ids": quiz.correct(0)},
                {"question_id": str(quiz.questions[1].id), "choice_ids": partly},
                # question 3 left unanswered
            ]
        },
        headers=member,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["correct_count"], body["question_count"], body["score"]) == (1, 3, 33)
    assert body["correct_rate"] == pytest.approx(1 / 3)
    assert response.headers["Location"].endswith(f"/quiz-attempts/{body['id']}")
    answers = body["answers"]
    assert [a["is_correct"] for a in answers] == [True, False, False]
    assert answers[1]["selected_choice_ids"] == partly
    assert answers[1]["correct_choice_ids"] == quiz.correct(1)
    assert answers[2]["selected_choice_ids"] == []
    assert answers[0]["explanation"] == "解説1"


async def test_r_prg_2_a_submitted_attempt_completes_the_test_lesson(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    quiz = await make_quiz(session, course)
    _, member = await member_with_access(session, settings, course)

    await client.post(_attempts_path(quiz), json={"answers": []}, headers=member)
    progress = await client.get(f"/api/v1/me/lessons/{quiz.lesson.id}/progress", headers=member)

    assert progress.json()["state"] == "completed"
    assert progress.json()["completion_source"] == "test"


@pytest.mark.parametrize(
    ("make_answers", "field", "code"),
    [
        (
            lambda quiz, other: [{"question_id": str(other.questions[0].id), "choice_ids": []}],
            "body.answers.0.question_id",
            "unknown_question",
        ),
        (
            lambda quiz, other: [
                {"question_id": str(quiz.questions[0].id), "choice_ids": quiz.correct(2)}
            ],
            "body.answers.0.choice_ids",
            "unknown_choice",
        ),
        (
            lambda quiz, other: [
                {"question_id": str(quiz.questions[0].id), "choice_ids": quiz.correct(0)},
                {"question_id": str(quiz.questions[0].id), "choice_ids": quiz.correct(0)},
            ],
            "body.answers.1.question_id",
            "duplicate_question",
        ),
        (
            lambda quiz, other: [
                {
                    "question_id": str(quiz.questions[0].id),
                    "choice_ids": [str(c.id) for c in quiz.choices[0][:2]],
                }
            ],
            "body.answers.0.choice_ids",
            "single_answer_question",
        ),
    ],
)
async def test_r_prg_2_invalid_answers_are_refused_without_a_db_change(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    make_answers: Any,
    field: str,
    code: str,
) -> None:
    course = await make_course(session)
    quiz = await make_quiz(session, course)
    other = await make_quiz(session, course)
    _, member = await member_with_access(session, settings, course)

    response = await client.post(
        _attempts_path(quiz), json={"answers": make_answers(quiz, other)}, headers=member
    )

    assert response.status_code == 400
    assert response.json()["type"] == "quiz-answer-invalid"
    assert response.json()["errors"] == {field: [code]}
    assert await _count(session, QuizAttempt) == 0
    assert await _count(session, QuizAttemptAnswer) == 0
    assert await _count(session, LessonProgress) == 0


async def test_r_prg_2_tests_need_a_live_entitlement(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session, program=CourseProgram.purchase, is_membership_content=False)
    quiz = await make_quiz(session, course)
    _, member = await member_with_access(session, settings, course, grant=False)

    read = await client.get(f"/api/v1/lessons/{quiz.lesson.id}/quiz", headers=member)
    submit = await client.post(_attempts_path(quiz), json=_all_correct(quiz), headers=member)

    assert read.status_code == submit.status_code == 403
    assert read.json()["type"] == submit.json()["type"] == "not-entitled"
    assert await _count(session, QuizAttempt) == 0


async def test_r_prg_2_quiz_of_a_non_test_lesson_or_without_questions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    video = await make_lesson(session, course)
    empty = await make_lesson(session, course, kind=LessonKind.test)
    _, member = await member_with_access(session, settings, course)

    not_test = await client.get(f"/api/v1/lessons/{video.id}/quiz", headers=member)
    no_questions = await client.post(
        f"/api/v1/lessons/{empty.id}/quiz-attempts", json={"answers": []}, headers=member
    )
    unknown = await client.get(f"/api/v1/lessons/{uuid.uuid4()}/quiz", headers=member)

    assert not_test.json()["type"] == "lesson-not-a-test"
    assert no_questions.status_code == 409
    assert no_questions.json()["type"] == "quiz-has-no-questions"
    assert unknown.status_code == 404


async def test_r_prg_2_every_attempt_is_kept_and_listed_newest_first(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    quiz = await make_quiz(session, course)
    _, member = await member_with_access(session, settings, course)
    ids = []
    empty: dict[str, Any] = {"answers": []}
    for answers in (empty, _all_correct(quiz), empty):
        ids.append((await client.post(_attempts_path(quiz), json=answers, headers=member)).json())
    path = f"/api/v1/me/lessons/{quiz.lesson.id}/quiz-attempts"

    first_page = await client.get(path, params={"limit": 2}, headers=member)
    second_page = await client.get(
        path, params={"limit": 2, "cursor": first_page.json()["next_cursor"]}, headers=member
    )
    detail = await client.get(f"{path}/{ids[1]['id']}", headers=member)

    listed = [a["id"] for a in first_page.json()["items"] + second_page.json()["items"]]
    assert listed == [a["id"] for a in reversed(ids)]
    assert second_page.json()["next_cursor"] is None
    assert [a["score"] for a in ids] == [0, 100, 0]
    assert detail.json() == ids[1]


async def test_r_prg_2_a_retired_question_stays_in_past_attempts(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    course = await make_course(session)
    quiz = await make_quiz(session, course)
    _, member = await member_with_access(session, settings, course)
    staff = await _staff(session, settings)
    attempt = (
        await client.post(_attempts_path(quiz), json=_all_correct(quiz), headers=member)
    ).json()

    await client.delete(
        f"/api/v1/admin/lessons/{quiz.lesson.id}/quiz-questions/{quiz.questions[0].id}",
        headers=staff,
    )
    detail = await client.get(
        f"/api/v1/me/lessons/{quiz.lesson.id}/quiz-attempts/{attempt['id']}", headers=member
    )
    current = await client.get(f"/api/v1/lessons/{quiz.lesson.id}/quiz", headers=member)

    assert len(detail.json()["answers"]) == 3
    assert detail.json()["score"] == 100
    assert len(current.json()["questions"]) == 2


async def test_spec_1_another_members_attempts_are_never_readable(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """R-PRG-2 / SPEC §1: attempts are the member's own."""
    course = await make_course(session)
    quiz = await make_quiz(session, course)
    _, alice = await member_with_access(session, settings, course)
    _, bob = await member_with_access(session, settings, course)
    attempt = (
        await client.post(_attempts_path(quiz), json=_all_correct(quiz), headers=alice)
    ).json()
    path = f"/api/v1/me/lessons/{quiz.lesson.id}/quiz-attempts"

    detail = await client.get(f"{path}/{attempt['id']}", headers=bob)
    listing = await client.get(path, headers=bob)
    wrong_lesson = await client.get(
        f"/api/v1/me/lessons/{uuid.uuid4()}/quiz-attempts/{attempt['id']}", headers=alice
    )

    assert detail.status_code == 404
    assert detail.json()["type"] == "quiz-attempt-not-found"
    assert listing.json()["items"] == []
    assert wrong_lesson.status_code == 404
