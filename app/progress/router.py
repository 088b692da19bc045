"""Progress HTTP API for members (R-PRG-1, R-PRG-2, R-PRG-3, R-PRG-5). HTTP only.

What a client needs to know:

- **Player events.** While a video plays, send `POST /api/v1/me/lessons/{lesson_id}/progress-events`
  every 10–30 s and on pause/seek/end, each with a fresh UUID `event_id`, the client time
  `occurred_at`, the playhead `position_seconds` and — when media actually played since the
  previous event — `watched: {from_seconds, to_seconds}` (at most 5 minutes). Omit `watched` for
  a seek. Resending an event (same `event_id`) records nothing new (`recorded: false`);
  `Idempotency-Key` is honoured too. Offline queues may be flushed late and in any order: watched
  time and completion only grow, and the resume position follows the latest `occurred_at`.
- **Completion.** A video lesson completes when the union of the played intervals reaches 90% of
  its length (configurable) — seeking to the end does not count — or when the member calls
  `POST /api/v1/me/lessons/{lesson_id}/complete`; a test lesson completes when an attempt is
  submitted. A completed lesson never becomes incomplete.
- **Resume.** `GET /api/v1/me/lessons/{lesson_id}/progress` gives `position_seconds`.
- **Tests.** `GET /api/v1/lessons/{lesson_id}/quiz` shows questions and choices without answers;
  `POST /api/v1/lessons/{lesson_id}/quiz-attempts` grades at once (all or nothing per question)
  and only then shows correct choices and explanations; attempts are unlimited and all kept
  (`GET /api/v1/me/lessons/{lesson_id}/quiz-attempts`).
- **Overviews.** `GET /api/v1/me/courses/{course_id}/progress` (completed/total, per-lesson
  state, last activity, quiz correct rate over the latest attempt of each test) and
  `GET /api/v1/me/dashboard` (受講管理ページ: every course studied or granted).
- Media, tests and event recording need a live entitlement for the course (403 `not-entitled`);
  reading your own progress does not. Nobody reads or writes another member's progress.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status

from app.auth import hot_path
from app.auth.auth import CurrentUser
from app.auth.errors import PERSON_AUTH_ERRORS
from app.config import Settings
from app.db import DbSession, hot_connection
from app.entitlements.errors import MembershipRequired, NotEntitled
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.hot_http import JsonAnswer, JsonBody, path_uuid, route_without_header
from app.kit.hot_query import driver_connection
from app.kit.idempotency import IDEMPOTENCY_ERRORS, KEY_HEADER, idempotent
from app.kit.pagination import Page, PageQuery
from app.kit.problems import problem_responses
from app.models.user import Role
from app.progress import overview, quiz, service, visibility
from app.progress.errors import (
    CourseNotFound,
    LessonHasNoVideo,
    LessonNotATest,
    LessonNotFound,
    QuizAnswerInvalid,
    QuizAttemptNotFound,
    QuizHasNoQuestions,
    TestLessonCompletesByAttempt,
)
from app.progress.schemas import (
    CourseProgressOut,
    DashboardOut,
    LessonProgressOut,
    ProgressEventIn,
    ProgressEventResult,
    QuizAttemptIn,
    QuizAttemptOut,
    QuizAttemptSummary,
    QuizOut,
)
from app.progress.service import LoginSession


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]

router = APIRouter(tags=["progress"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


EVENTS_PATH = "/me/lessons/{lesson_id}/progress-events"
EVENT_BODY = JsonBody(ProgressEventIn)
EVENT_RESULT_JSON = JsonAnswer(ProgressEventResult)


async def record_progress_event_at_once(request: Request) -> Response:
    """`POST …/progress-events` WITHOUT an `Idempotency-Key` — what players send every few
    seconds: one autocommit statement on the hot pool checks the login session, the lesson and
    the entitlement and records the event (no ORM session, no BEGIN/COMMIT, no separate
    authentication query). The `event_id` still records an event once (R-PRG-5). The request
    is parsed, checked and answered exactly as the documented route below would (same order of
    checks, same problems, same JSON); requests with a key go to that route."""
    lesson_id, path_errors = path_uuid(request, "lesson_id")
    document = await EVENT_BODY.read(request)
    caller = await hot_path.authenticate(request)
    event = EVENT_BODY.validate(document, path_errors)
    assert lesson_id is not None  # else `validate` raised
    settings: Settings = request.app.state.settings
    claims = caller.claims
    async with hot_connection(request) as connection:
        result = await service.record_event(
            connection,
            login=LoginSession(claims.user_id, claims.session_id, claims.epoch),
            lesson_id=lesson_id,
            event=event,
            ratio=settings.video_completion_ratio,
            now=caller.now,
            confirm_session=partial(hot_path.confirm, request, caller),
        )
    return EVENT_RESULT_JSON.response(result)


# Matched first: requests without an `Idempotency-Key`; the others fall through to the operation.
router.add_api_route(
    EVENTS_PATH,
    record_progress_event_at_once,
    methods=["POST"],
    include_in_schema=False,
    route_class_override=route_without_header(KEY_HEADER),
)


@router.post(
    EVENTS_PATH,
    operation_id="progress_record_progress_event",
    summary="Record a playback event",
    description="Records the playhead (resume position) and the media interval actually played. "
    "The same `event_id` is recorded once (R-PRG-5); out-of-order events never move watched "
    "time or completion backwards, and the position follows the latest `occurred_at`. The "
    "lesson completes when the played intervals cover 90% (configurable) of the video "
    "(R-PRG-1). Needs a live entitlement.",
    responses=problems(*IDEMPOTENCY_ERRORS, LessonNotFound, NotEntitled, LessonHasNoVideo),
)
@idempotent(status_code=200)
async def record_progress_event(
    lesson_id: uuid.UUID,
    body: ProgressEventIn,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> ProgressEventResult:
    # Requests with an `Idempotency-Key` (the others take `record_progress_event_at_once`):
    # the same statement, in the request's transaction with the idempotency record.
    user = subject.require_user()
    assert subject.session_id is not None
    role = user.role

    async def confirmed() -> Role:  # `Authenticator` checked the login session already
        return role

    return await service.record_event(
        await driver_connection(session),
        login=LoginSession(user.id, subject.session_id, user.session_epoch),
        lesson_id=lesson_id,
        event=body,
        ratio=settings.video_completion_ratio,
        now=now,
        confirm_session=confirmed,
    )


@router.post(
    "/me/lessons/{lesson_id}/complete",
    operation_id="progress_complete_lesson",
    summary="Mark a lesson complete",
    description="The member marks a video or exercise lesson complete (R-PRG-1). Idempotent: "
    "calling it again keeps the first completion. Test lessons complete by submitting an "
    "attempt (409 `test-lesson-completes-by-attempt`). Needs a live entitlement.",
    responses=problems(LessonNotFound, NotEntitled, TestLessonCompletesByAttempt),
)
async def complete_lesson(
    lesson_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> LessonProgressOut:
    return await service.mark_complete(
        session, user_id=subject.require_user().id, role=subject.role, lesson_id=lesson_id, now=now
    )


@router.get(
    "/me/lessons/{lesson_id}/progress",
    operation_id="progress_get_lesson_progress",
    summary="Read your progress on a lesson",
    description="Resume position, watched share and completion (R-PRG-1); zeros when not "
    "started. Your own progress only. Membership content you can no longer open is hidden (403 `membership-required`) until you subscribe again (R-SUB-11).",
    responses=problems(LessonNotFound, MembershipRequired),
)
async def get_lesson_progress(
    lesson_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> LessonProgressOut:
    await visibility.require_lesson_history_visible(
        session, user_id=subject.require_user().id, role=subject.role, lesson_id=lesson_id, now=now
    )
    return await service.lesson_progress(
        session, user_id=subject.require_user().id, role=subject.role, lesson_id=lesson_id
    )


@router.get(
    "/me/courses/{course_id}/progress",
    operation_id="progress_get_course_progress",
    summary="Read your progress in a course",
    description="Lessons completed / total, each lesson's state and resume position, last "
    "activity, and the quiz correct rate: correct answers / questions over the latest attempt "
    "of each test lesson attempted (R-PRG-2, R-PRG-3). Membership content you can no longer open is hidden (403 `membership-required`) until you subscribe again (R-SUB-11).",
    responses=problems(CourseNotFound, MembershipRequired),
)
async def get_course_progress(
    course_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> CourseProgressOut:
    await visibility.require_history_visible(
        session, user_id=subject.require_user().id, role=subject.role, course_id=course_id, now=now
    )
    return await overview.course_progress(
        session, user_id=subject.require_user().id, role=subject.role, course_id=course_id
    )


@router.get(
    "/me/dashboard",
    operation_id="progress_get_dashboard",
    summary="Your learning dashboard (受講管理ページ)",
    description="Every course you studied in or hold a live course or content-set grant for, "
    "most recent activity first, with completed/total lessons, last activity, quiz correct rate "
    "and whether access is live (R-PRG-3).",
    responses=problems(),
)
async def get_dashboard(subject: CurrentUser, session: DbSession, now: Now) -> DashboardOut:
    return await overview.dashboard(
        session, user_id=subject.require_user().id, role=subject.role, now=now
    )


@router.get(
    "/lessons/{lesson_id}/quiz",
    operation_id="progress_get_quiz",
    summary="Read a self-check test",
    description="Questions and choices in order, without correctness or explanations (those "
    "come with the graded attempt, R-PRG-2). Needs a live entitlement.",
    responses=problems(LessonNotFound, NotEntitled, LessonNotATest),
)
async def get_quiz(
    lesson_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> QuizOut:
    return await quiz.get_quiz(
        session, user_id=subject.require_user().id, role=subject.role, lesson_id=lesson_id, now=now
    )


@router.post(
    "/lessons/{lesson_id}/quiz-attempts",
    operation_id="progress_submit_quiz_attempt",
    status_code=status.HTTP_201_CREATED,
    summary="Submit answers to a self-check test",
    description="Graded at once: a question is correct when exactly its correct choices are "
    "selected; unanswered questions are wrong. The answer shows the score, correct rate, correct "
    "choices and explanations. Unlimited attempts, all kept; completes the test lesson "
    "(R-PRG-2). Answers naming another test's question or another question's choice are "
    "refused (`quiz-answer-invalid`). Needs a live entitlement.",
    responses=problems(
        *IDEMPOTENCY_ERRORS,
        LessonNotFound,
        NotEntitled,
        LessonNotATest,
        QuizHasNoQuestions,
        QuizAnswerInvalid,
    ),
)
@idempotent(status_code=201)
async def submit_quiz_attempt(
    lesson_id: uuid.UUID,
    body: QuizAttemptIn,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    response: Response,
) -> QuizAttemptOut:
    attempt = await quiz.submit_attempt(
        session,
        user_id=subject.require_user().id,
        role=subject.role,
        lesson_id=lesson_id,
        body=body,
        now=now,
    )
    response.headers["Location"] = f"/api/v1/me/lessons/{lesson_id}/quiz-attempts/{attempt.id}"
    return attempt


@router.get(
    "/me/lessons/{lesson_id}/quiz-attempts",
    operation_id="progress_list_quiz_attempts",
    summary="List your attempts at a test",
    description="Your own attempts, newest first, with score and correct rate (R-PRG-2).",
    responses=problems(LessonNotFound, InvalidCursor, MembershipRequired),
)
async def list_quiz_attempts(
    lesson_id: uuid.UUID, subject: CurrentUser, session: DbSession, page: PageQuery, now: Now
) -> Page[QuizAttemptSummary]:
    await visibility.require_lesson_history_visible(
        session, user_id=subject.require_user().id, role=subject.role, lesson_id=lesson_id, now=now
    )
    items, next_cursor = await quiz.list_attempts(
        session, user_id=subject.require_user().id, lesson_id=lesson_id, page=page
    )
    return Page[QuizAttemptSummary](items=items, next_cursor=next_cursor)


@router.get(
    "/me/lessons/{lesson_id}/quiz-attempts/{attempt_id}",
    operation_id="progress_get_quiz_attempt",
    summary="Read one of your attempts",
    description="Your answers with the correct choices and explanations (R-PRG-2). Another "
    "member's attempt answers 404.",
    responses=problems(QuizAttemptNotFound, MembershipRequired),
)
async def get_quiz_attempt(
    lesson_id: uuid.UUID,
    attempt_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
) -> QuizAttemptOut:
    await visibility.require_lesson_history_visible(
        session, user_id=subject.require_user().id, role=subject.role, lesson_id=lesson_id, now=now
    )
    return await quiz.get_attempt(
        session, user_id=subject.require_user().id, lesson_id=lesson_id, attempt_id=attempt_id
    )
