"""Member use cases of questions: ask (study and service), read. R-QST-1 … R-QST-7, R-QST-9 …
R-QST-11. Never commits.

Asking, in this order (a refusal at any step creates nothing):

1. attachments are checked by content (`attachments.check_files`, R-QST-1);
2. the enrollment must be the member's own (else 404, its existence is not disclosed);
3. the member's advisory lock is taken (`repository.lock_member_questions`), then the enrollment
   and daily counts are read and `rules.may_ask` decides (R-QST-3/4/5/6/11) — so with 3 left,
   10 simultaneous submissions create exactly 3 (R-QST-9);
4. the question row is inserted, then its files stored.

Decisions where the spec is silent:

- R-QST-11: a course takes study questions only when it is a correspondence course with
  settings saying `has_question_service` and is not membership content (seed 000).
- R-QST-6: a cancelled enrollment without `returned_on` is closed from the day after its
  cancellation (`cancelled_at`, JST).
- R-QST-7: service questions need only a signed-in member; they are limited to
  `SERVICE_QUESTIONS_PER_DAY` per member per JST day against spam (429 with `Retry-After` until
  the next JST midnight), counted under the same lock. Their answer is due like any other.
- R-QST-10: the member's list leaves out study questions of ended enrollments; asking for one
  directly answers 403 `question-history-closed` (its attachments' links are refused too).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.enrollments.errors import ReEnrollmentFeeUnpaid
from app.kit.calendar import jst_date
from app.media.storage import Storage
from app.models.content import Course
from app.models.enrollment import CorrespondenceSettings, Enrollment, EnrollmentStatus
from app.models.question import (
    AttachmentPart,
    Question,
    QuestionAttachment,
    QuestionKind,
    QuestionStatus,
)
from app.models.user import User
from app.questions import repository, rules
from app.questions.attachments import IncomingFile, check_files, store_files
from app.questions.errors import (
    QuestionDailyQuotaExceeded,
    QuestionEnrollmentNotFound,
    QuestionEnrollmentQuotaExceeded,
    QuestionHistoryClosed,
    QuestionNotFound,
    QuestionOutsidePeriod,
    QuestionServiceUnavailable,
    ServiceQuestionRateLimited,
)

SERVICE_QUESTIONS_PER_DAY = 10
"""R-QST-7: anti-spam limit of the non-study channel, per member per JST day."""


@dataclass
class QuestionView:
    question: Question
    enrollment: Enrollment | None
    attachments: list[QuestionAttachment] = field(default_factory=list)


@dataclass(frozen=True)
class QuotaStatus:
    """R-QST-3/4: what is used and left of an enrollment's quotas on `today`."""

    today: date
    per_enrollment: int
    used_in_enrollment: int
    per_day: int
    used_today: int
    remaining_today: int
    window: rules.QuestionWindow
    has_question_service: bool


def has_question_service(course: Course, settings: CorrespondenceSettings | None) -> bool:
    """R-QST-11."""
    return (
        settings is not None and settings.has_question_service and not course.is_membership_content
    )


def closing_day(enrollment: Enrollment) -> date | None:
    """R-QST-6: the last day a returned or cancelled course takes questions."""
    if enrollment.returned_on is not None:
        return enrollment.returned_on
    if enrollment.status is EnrollmentStatus.cancelled and enrollment.cancelled_at is not None:
        return jst_date(enrollment.cancelled_at)
    return None


def window_of(enrollment: Enrollment) -> rules.QuestionWindow:
    return rules.questions_window(
        enrollment.start_on, enrollment.enrollment_end_on, closing_day(enrollment)
    )


async def _enrollment(
    session: AsyncSession, user: User, enrollment_id: uuid.UUID
) -> tuple[Enrollment, Course, CorrespondenceSettings | None]:
    found = await repository.member_enrollment(session, user.id, enrollment_id)
    if found is None:
        raise QuestionEnrollmentNotFound()
    return found


async def _quota_status(
    session: AsyncSession,
    user: User,
    enrollment: Enrollment,
    course: Course,
    settings: CorrespondenceSettings | None,
    now: datetime,
) -> QuotaStatus:
    today = jst_date(now)
    start, end = rules.jst_day_bounds(today)
    used_in_enrollment = await repository.count_enrollment_questions(session, enrollment.id)
    used_today = await repository.count_member_questions_between(
        session, user.id, QuestionKind.study, start, end
    )
    quotas = rules.QuestionQuotas(per_enrollment=enrollment.question_quota)
    return QuotaStatus(
        today=today,
        per_enrollment=quotas.per_enrollment,
        used_in_enrollment=used_in_enrollment,
        per_day=quotas.per_day,
        used_today=used_today,
        remaining_today=rules.questions_remaining(used_in_enrollment, used_today, quotas),
        window=window_of(enrollment),
        has_question_service=has_question_service(course, settings),
    )


async def quota_status(
    session: AsyncSession, *, user: User, enrollment_id: uuid.UUID, now: datetime
) -> QuotaStatus:
    enrollment, course, settings = await _enrollment(session, user, enrollment_id)
    return await _quota_status(session, user, enrollment, course, settings, now)


def _refuse(status: QuotaStatus) -> None:
    decision = rules.may_ask(
        status.today,
        status.window,
        status.used_in_enrollment,
        status.used_today,
        rules.QuestionQuotas(per_enrollment=status.per_enrollment, per_day=status.per_day),
        has_question_service=status.has_question_service,
    )
    reason = decision.refusal_reason
    if reason is None:
        return
    if reason is rules.QuestionRefusal.course_has_no_question_service:
        raise QuestionServiceUnavailable()
    if reason is rules.QuestionRefusal.outside_period:
        raise QuestionOutsidePeriod(
            first_day=status.window.first_day.isoformat(),
            last_day=status.window.last_day.isoformat(),
        )
    if reason is rules.QuestionRefusal.enrollment_quota_exceeded:
        raise QuestionEnrollmentQuotaExceeded(limit=status.per_enrollment)
    raise QuestionDailyQuotaExceeded(limit=status.per_day)


def _new_question(
    *,
    user: User,
    kind: QuestionKind,
    enrollment_id: uuid.UUID | None,
    title: str,
    body: str,
    now: datetime,
) -> Question:
    asked_on = jst_date(now)
    return Question(
        id=uuid.uuid4(),
        user_id=user.id,
        kind=kind,
        enrollment_id=enrollment_id,
        title=title,
        body=body,
        status=QuestionStatus.open,
        asked_at=now,
        asked_on=asked_on,
        due_on=rules.answer_due_on(asked_on),
        is_learning_advice=False,
    )


async def ask_study_question(
    session: AsyncSession,
    storage: Storage,
    *,
    user: User,
    enrollment_id: uuid.UUID,
    title: str,
    body: str,
    files: Sequence[IncomingFile],
    now: datetime,
) -> QuestionView:
    """R-QST-1…6, 9, 11: one study question about `enrollment_id`'s course."""
    checked = check_files(files)
    enrollment, course, settings = await _enrollment(session, user, enrollment_id)
    if enrollment.status is EnrollmentStatus.awaiting_payment:
        raise ReEnrollmentFeeUnpaid()
    await repository.lock_member_questions(session, user.id)
    _refuse(await _quota_status(session, user, enrollment, course, settings, now))
    question = _new_question(
        user=user,
        kind=QuestionKind.study,
        enrollment_id=enrollment.id,
        title=title,
        body=body,
        now=now,
    )
    session.add(question)
    await session.flush()
    stored = await store_files(
        session, storage, question_id=question.id, part=AttachmentPart.question, files=checked
    )
    return QuestionView(question, enrollment, stored)


def _seconds_to_next_jst_day(now: datetime) -> int:
    _, end = rules.jst_day_bounds(jst_date(now))
    return max(1, int((end - now).total_seconds()))


async def ask_service_question(
    session: AsyncSession,
    storage: Storage,
    *,
    user: User,
    title: str,
    body: str,
    files: Sequence[IncomingFile],
    now: datetime,
) -> QuestionView:
    """R-QST-7: a question about the service, outside the study quotas and usage periods."""
    checked = check_files(files)
    await repository.lock_member_questions(session, user.id)
    start, end = rules.jst_day_bounds(jst_date(now))
    asked_today = await repository.count_member_questions_between(
        session, user.id, QuestionKind.service, start, end
    )
    if asked_today >= SERVICE_QUESTIONS_PER_DAY:
        raise ServiceQuestionRateLimited(
            retry_after_seconds=_seconds_to_next_jst_day(now), limit=SERVICE_QUESTIONS_PER_DAY
        )
    question = _new_question(
        user=user, kind=QuestionKind.service, enrollment_id=None, title=title, body=body, now=now
    )
    session.add(question)
    await session.flush()
    stored = await store_files(
        session, storage, question_id=question.id, part=AttachmentPart.question, files=checked
    )
    return QuestionView(question, None, stored)


def ensure_readable(question: Question, enrollment: Enrollment | None, today: date) -> None:
    """R-QST-10: a study question is readable by its member through its enrollment's end."""
    if question.kind is QuestionKind.study and (
        enrollment is None or not rules.history_readable(today, enrollment.enrollment_end_on)
    ):
        raise QuestionHistoryClosed()


async def read_own_question(
    session: AsyncSession, *, user: User, question_id: uuid.UUID, now: datetime
) -> QuestionView:
    """The member's own question with its answer and attachments; another member's is 404."""
    found = await repository.own_question(session, user.id, question_id)
    if found is None:
        raise QuestionNotFound()
    question, enrollment = found
    ensure_readable(question, enrollment, jst_date(now))
    attachments = await repository.attachments_of(session, question.id)
    return QuestionView(question, enrollment, attachments)
