"""Members' questions (R-QST-1 … R-QST-7, R-QST-9 … R-QST-11). HTTP only.

- `POST /me/enrollments/{enrollment_id}/questions` (multipart/form-data: `title`, `body`, up to
  3 `attachments`): a study question. Accepts `Idempotency-Key`. Refusals create nothing; a
  body over `rules.MAX_UPLOAD_BODY_BYTES` is refused (413 `attachment-too-large`) as it streams
  in, whatever its `Content-Length` says (`attachments.AttachmentUploadRoute`).
- `GET /me/enrollments/{enrollment_id}/question-quota`: what is used and left today.
- `POST /me/service-questions` (same form): a question about the service (R-QST-7).
- `GET /me/questions` (newest first, cursor paged; `?kind=`, `?enrollment_id=`) and
  `GET /me/questions/{id}`: own questions only; another member's answers 404; a study question
  of an ended enrollment 403 `question-history-closed` (and is left out of the list, R-QST-10).
- `GET /question-attachments/{token}`: the file behind a signed link from a question body.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.enrollments.errors import ReEnrollmentFeeUnpaid
from app.kit.calendar import jst_date
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.pagination import Page, PageQuery, paginate_as
from app.kit.problems import problem_responses
from app.media.deps import MediaStorage
from app.media.errors import LinkExpired, LinkInvalid
from app.media.rules import content_disposition
from app.media.storage import StoredObjectMissing
from app.models.question import Question, QuestionKind
from app.models.user import Role, User
from app.questions import repository, rules, service
from app.questions.attachments import AttachmentUploadRoute, verify_link_token
from app.questions.auth import AppSettings, CurrentUser
from app.questions.errors import (
    ATTACHMENT_ERRORS,
    QuestionAttachmentNotFound,
    QuestionDailyQuotaExceeded,
    QuestionEnrollmentNotFound,
    QuestionEnrollmentQuotaExceeded,
    QuestionHistoryClosed,
    QuestionNotFound,
    QuestionOutsidePeriod,
    QuestionServiceUnavailable,
    ServiceQuestionRateLimited,
)
from app.questions.rules import MAX_UPLOAD_BODY_BYTES
from app.questions.schemas import QuestionOut, QuestionQuotaOut, QuestionSummary
from app.questions.views import incoming, question_out

router = APIRouter(tags=["questions"], route_class=AttachmentUploadRoute)


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


Title = Annotated[
    str,
    Form(
        min_length=1,
        max_length=rules.TITLE_MAX_CHARS,
        description="What the question is about (R-QST-1).",
    ),
]
Body = Annotated[
    str,
    Form(min_length=1, max_length=rules.BODY_MAX_CHARS, description="One question, concisely."),
]
Attachments = Annotated[
    list[UploadFile] | None,
    File(description="Up to 3 PDF/PNG/JPEG files, 10 MB each, checked by content (R-QST-1)."),
]


@router.post(
    "/me/enrollments/{enrollment_id}/questions",
    operation_id="questions_create_question",
    max_body_size=MAX_UPLOAD_BODY_BYTES,
    summary="Ask a study question about an enrollment's course",
    description="One question per question with a title and up to 3 attachments (R-QST-1). At "
    "most the course's quota per enrollment (default 6, R-QST-3) and 3 study questions per "
    "member per JST day (R-QST-4), exact under concurrent submissions (R-QST-9); only from the "
    "enrollment start to its end (R-QST-5), never after the day a return was confirmed "
    "(R-QST-6), only for courses with the question service (R-QST-11). Refusals create nothing.",
    status_code=201,
    responses=problems(
        *IDEMPOTENCY_ERRORS,
        *ATTACHMENT_ERRORS,
        QuestionEnrollmentNotFound,
        QuestionServiceUnavailable,
        QuestionOutsidePeriod,
        QuestionEnrollmentQuotaExceeded,
        QuestionDailyQuotaExceeded,
        ReEnrollmentFeeUnpaid,
    ),
)
@idempotent(status_code=201)
async def create_question(
    enrollment_id: uuid.UUID,
    title: Title,
    body: Body,
    subject: CurrentUser,
    session: DbSession,
    storage: MediaStorage,
    settings: AppSettings,
    now: Now,
    response: Response,
    attachments: Attachments = None,
) -> QuestionOut:
    user = subject.require_user()
    view = await service.ask_study_question(
        session,
        storage,
        user=user,
        enrollment_id=enrollment_id,
        title=title,
        body=body,
        files=incoming(attachments),
        now=now,
    )
    response.headers["Location"] = f"/api/v1/me/questions/{view.question.id}"
    return question_out(view, reader_id=user.id, settings=settings, now=now)


@router.get(
    "/me/enrollments/{enrollment_id}/question-quota",
    operation_id="questions_get_question_quota",
    summary="How many study questions are left today",
    description="Used and left of the enrollment quota (R-QST-3) and the day's (R-QST-4), the "
    "usage period (R-QST-5/6) and whether the course has the question service (R-QST-11).",
    responses=problems(QuestionEnrollmentNotFound),
)
async def get_question_quota(
    enrollment_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> QuestionQuotaOut:
    status = await service.quota_status(
        session, user=subject.require_user(), enrollment_id=enrollment_id, now=now
    )
    return QuestionQuotaOut(
        today=status.today,
        has_question_service=status.has_question_service,
        first_day=status.window.first_day,
        last_day=status.window.last_day,
        per_enrollment=status.per_enrollment,
        used_in_enrollment=status.used_in_enrollment,
        per_day=status.per_day,
        used_today=status.used_today,
        remaining_today=status.remaining_today,
    )


@router.post(
    "/me/service-questions",
    operation_id="questions_create_service_question",
    max_body_size=MAX_UPLOAD_BODY_BYTES,
    summary="Ask a question about the service (not about study)",
    description="Non-study questions have their own channel outside the study quotas "
    f"(R-QST-7); at most {service.SERVICE_QUESTIONS_PER_DAY} per member per JST day against "
    "spam (429).",
    status_code=201,
    responses=problems(*IDEMPOTENCY_ERRORS, *ATTACHMENT_ERRORS, ServiceQuestionRateLimited),
)
@idempotent(status_code=201)
async def create_service_question(
    title: Title,
    body: Body,
    subject: CurrentUser,
    session: DbSession,
    storage: MediaStorage,
    settings: AppSettings,
    now: Now,
    response: Response,
    attachments: Attachments = None,
) -> QuestionOut:
    user = subject.require_user()
    view = await service.ask_service_question(
        session, storage, user=user, title=title, body=body, files=incoming(attachments), now=now
    )
    response.headers["Location"] = f"/api/v1/me/questions/{view.question.id}"
    return question_out(view, reader_id=user.id, settings=settings, now=now)


@router.get(
    "/me/questions",
    operation_id="questions_list_my_questions",
    summary="List my questions, newest first",
    description="Own questions only. Study questions of an enrollment whose period has ended are "
    "no longer listed (R-QST-10).",
    responses=problems(InvalidCursor),
)
async def list_my_questions(
    subject: CurrentUser,
    session: DbSession,
    page: PageQuery,
    now: Now,
    kind: Annotated[QuestionKind | None, Query()] = None,
    enrollment_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[QuestionSummary]:
    user = subject.require_user()
    statement = repository.readable_by_member(user.id, jst_date(now))
    if kind is not None:
        statement = statement.where(Question.kind == kind)
    if enrollment_id is not None:
        statement = statement.where(Question.enrollment_id == enrollment_id)
    return await paginate_as(
        QuestionSummary,
        session,
        statement,
        order_by=[Question.asked_at, Question.id],
        descending=True,
        params=page,
    )


@router.get(
    "/me/questions/{question_id}",
    operation_id="questions_get_my_question",
    summary="Read one of my questions with its answer and attachments",
    description="Attachments come as short-lived signed links. Another member's question is "
    "404; a study question after its enrollment's end is 403 `question-history-closed` "
    "(R-QST-10).",
    responses=problems(QuestionNotFound, QuestionHistoryClosed),
)
async def get_my_question(
    question_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> QuestionOut:
    user = subject.require_user()
    view = await service.read_own_question(session, user=user, question_id=question_id, now=now)
    return question_out(view, reader_id=user.id, settings=settings, now=now)


@router.get(
    "/question-attachments/{token}",
    operation_id="questions_download_attachment",
    summary="Download a question or answer attachment through a signed link",
    description="The link is issued to one reader and expires after a few minutes; no "
    "Authorization header is needed. A member's link stops working once the enrollment's "
    "period has ended (R-QST-10).",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}},
            "description": "The file",
        },
        **problem_responses(
            LinkInvalid, LinkExpired, QuestionAttachmentNotFound, QuestionHistoryClosed
        ),
    },
)
async def download_attachment(
    token: Annotated[str, Path(max_length=400)],
    session: DbSession,
    storage: MediaStorage,
    settings: AppSettings,
    now: Now,
) -> StreamingResponse:
    claims = verify_link_token(token, now=now, signing_key=settings.signing_key)
    found = await repository.attachment_with_question(session, claims.attachment_id)
    if found is None:
        raise QuestionAttachmentNotFound()
    attachment, question = found
    if claims.reader_id == question.user_id:
        own = await repository.own_question(session, question.user_id, question.id)
        enrollment = own[1] if own else None
        service.ensure_readable(question, enrollment, jst_date(now))
    else:
        reader = await session.get(User, claims.reader_id)
        if reader is None or reader.role not in (Role.staff, Role.admin):
            raise LinkInvalid()
    try:
        stream = await storage.open(attachment.storage_key)
    except StoredObjectMissing as error:
        raise QuestionAttachmentNotFound() from error
    return StreamingResponse(
        stream,
        media_type=attachment.content_type,
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Length": str(attachment.size_bytes),
            "Content-Disposition": content_disposition("attachment", attachment.filename),
        },
    )
