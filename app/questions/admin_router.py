"""Staff question queue (R-QST-2, R-QST-8). HTTP only.

- `GET /admin/questions`: oldest first, default `status=open`; filters `kind`, `course_id`,
  `due_on_or_before` (overdue: pass today); each item shows `due_on` and `is_overdue`.
- `GET /admin/questions/{id}`: the whole question with attachment links (staff may read after
  the member's period ended: the office keeps its records).
- `POST /admin/questions/{id}/answer` (multipart: `body`, `is_learning_advice`, up to 3
  `attachments`): answered, the member is emailed. The question's body cap and 413 apply
  (`attachments.AttachmentUploadRoute`).
- `POST /admin/questions/{id}/decline` (JSON `reason`): declined as out of scope; the member is
  emailed the reason.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile

from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.pagination import Page, PageQuery, paginate
from app.kit.problems import problem_responses
from app.media.deps import MediaStorage
from app.models.question import Question, QuestionKind, QuestionStatus
from app.questions import repository, rules, staff
from app.questions.attachments import AttachmentUploadRoute
from app.questions.auth import AppSettings, CurrentStaff
from app.questions.errors import ATTACHMENT_ERRORS, QuestionAlreadyClosed, QuestionNotFound
from app.questions.rules import MAX_UPLOAD_BODY_BYTES
from app.questions.schemas import DeclineIn, StaffQuestionOut, StaffQuestionSummary
from app.questions.views import incoming, staff_question_out, staff_summary

router = APIRouter(prefix="/admin", tags=["admin"], route_class=AttachmentUploadRoute)


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


@router.get(
    "/questions",
    operation_id="admin_list_questions",
    summary="The question queue, oldest first",
    description="Open questions by default, each with its due date (1–10 days after it was "
    "asked, R-QST-8).",
    responses=problems(InvalidCursor),
)
async def list_questions(
    subject: CurrentStaff,
    session: DbSession,
    page: PageQuery,
    now: Now,
    status: Annotated[QuestionStatus | None, Query()] = QuestionStatus.open,
    kind: Annotated[QuestionKind | None, Query()] = None,
    course_id: Annotated[uuid.UUID | None, Query()] = None,
    due_on_or_before: Annotated[date | None, Query()] = None,
) -> Page[StaffQuestionSummary]:
    statement = repository.staff_queue(
        status=status, kind=kind, course_id=course_id, due_on_or_before=due_on_or_before
    )
    rows, next_cursor = await paginate(
        session,
        statement,
        order_by=[Question.asked_at, Question.id],
        descending=False,
        params=page,
    )
    return Page[StaffQuestionSummary](
        items=[staff_summary(q, now) for q in rows], next_cursor=next_cursor
    )


@router.get(
    "/questions/{question_id}",
    operation_id="admin_get_question",
    summary="Read a question with its answer and attachments",
    responses=problems(QuestionNotFound),
)
async def get_question(
    question_id: uuid.UUID,
    subject: CurrentStaff,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> StaffQuestionOut:
    view = await staff.read_question(session, question_id)
    return staff_question_out(view, reader_id=subject.require_user().id, settings=settings, now=now)


@router.post(
    "/questions/{question_id}/answer",
    operation_id="admin_answer_question",
    max_body_size=MAX_UPLOAD_BODY_BYTES,
    summary="Answer an open question",
    description="The question becomes `answered` and the member is emailed (R-QST-8). "
    "`is_learning_advice` marks learning advice given instead of a direct answer (R-QST-2). "
    "Answers may carry up to 3 attachments (PDF/PNG/JPEG, 10 MB each).",
    responses=problems(*ATTACHMENT_ERRORS, QuestionNotFound, QuestionAlreadyClosed),
)
async def answer_question(
    question_id: uuid.UUID,
    body: Annotated[str, Form(min_length=1, max_length=rules.BODY_MAX_CHARS * 5)],
    subject: CurrentStaff,
    session: DbSession,
    storage: MediaStorage,
    settings: AppSettings,
    now: Now,
    is_learning_advice: Annotated[bool, Form()] = False,
    attachments: Annotated[list[UploadFile] | None, File()] = None,
) -> StaffQuestionOut:
    user = subject.require_user()
    view = await staff.answer_question(
        session,
        storage,
        staff=user,
        question_id=question_id,
        body=body,
        is_learning_advice=is_learning_advice,
        files=incoming(attachments),
        frontend_base_url=settings.frontend_base_url,
        now=now,
    )
    return staff_question_out(view, reader_id=user.id, settings=settings, now=now)


@router.post(
    "/questions/{question_id}/decline",
    operation_id="admin_decline_question",
    summary="Decline an open question as out of scope",
    description="Out of the course's scope (other publishers' books, the exam body's "
    "unpublished information…, R-QST-2): `declined` with a reason the member is emailed.",
    responses=problems(QuestionNotFound, QuestionAlreadyClosed),
)
async def decline_question(
    question_id: uuid.UUID,
    payload: DeclineIn,
    subject: CurrentStaff,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> StaffQuestionOut:
    user = subject.require_user()
    view = await staff.decline_question(
        session,
        staff=user,
        question_id=question_id,
        reason=payload.reason,
        frontend_base_url=settings.frontend_base_url,
        now=now,
    )
    return staff_question_out(view, reader_id=user.id, settings=settings, now=now)
