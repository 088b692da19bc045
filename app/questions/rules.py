"""Question rules (R-QST-1 … R-QST-11): quotas, usage period, attachments, answer due dates. Pure.

Every date is a JST calendar date (`app.kit.calendar.jst_date(now)` is the caller's "today").

- R-QST-1 one question per question: a title and a concise body (`TITLE_MAX_CHARS`,
  `BODY_MAX_CHARS`), at most `MAX_ATTACHMENTS` files of `MAX_ATTACHMENT_BYTES` each, PDF, PNG or
  JPEG recognised by content (`sniff_attachment`, `attachment_refusal`), never by file name; a
  request body over `MAX_UPLOAD_BODY_BYTES` is refused as it streams in.
- R-QST-3 at most 6 study questions per course enrollment (course setting), R-QST-4 at most 3 per
  member per JST day (`QuestionQuotas`, `jst_day_bounds` for the count, `questions_remaining`).
- R-QST-5 only inside the usage period, enrollment start … enrollment end; R-QST-6 a returned or
  cancelled course takes none from the day after the return was confirmed (`questions_window`).
- R-QST-11 only courses with the question service (`may_ask` refuses the others).
- R-QST-8 the answer is due 1–10 days after the question (`answer_due_on`).
- R-QST-10 after the usage period ends the member can no longer read them (`history_readable`).
- R-QST-7 non-study questions (about the service) do not go through `may_ask`: no study quota, no
  usage period. R-QST-9 (exactly N created under concurrency) is the service's locked count; this
  module gives it the numbers.

Decisions where the spec is silent:

- The daily quota counts a member's study questions across all their enrollments (R-QST-4 says
  "per member"); the enrollment quota counts the questions of that one enrollment, so a
  re-enrollment (a new application, R-ENR-16) starts a new 6, while a leave of absence (same
  enrollment, R-ENR-17) does not. Declined questions still count: they were asked.
- When both quotas are used up, the enrollment quota is reported (tomorrow will not help).
- The return day itself still takes questions; the usage period ends on the earlier of the
  enrollment end and the return-confirmed day. A course returned before its start takes none.
- History stays readable through the enrollment end even after a return (R-QST-10 ties reading to
  the usage period of the enrollment; the member may still print what they asked): the caller
  passes the (leave-extended) enrollment end.
- "10 MB" is 10 × 1024 × 1024 bytes (the larger reading, in the member's favour). Type is decided
  by the first bytes only: `%PDF-` at offset 0, the 8-byte PNG signature, JPEG's SOI `FF D8 FF`.
  An empty file is refused. Staff answer attachments follow the same limits.
- The answer due date counts calendar days (seed 001: 1~10日ほど), default 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from app.kit.calendar import jst_day_range

STUDY_QUESTIONS_PER_ENROLLMENT = 6
"""R-QST-3: the default per course enrollment; a course may set another limit."""

STUDY_QUESTIONS_PER_DAY = 3
"""R-QST-4: per member per JST day."""

MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
"""R-QST-1: at most 3 files, 10 MB each."""
MAX_UPLOAD_BODY_BYTES = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 1024 * 1024
"""A question or answer request as a whole (three full attachments and the text): a larger body
is refused with 413 `attachment-too-large` — whether its `Content-Length` says so or it streams
past the cap — before anything is buffered or stored (`attachments.AttachmentUploadRoute`)."""

TITLE_MAX_CHARS = 100
BODY_MAX_CHARS = 2_000
"""R-QST-1: a title that says what the question is about and a concise body (1通1問)."""

ANSWER_DUE_MIN_DAYS = 1
ANSWER_DUE_MAX_DAYS = 10
DEFAULT_ANSWER_DUE_DAYS = 10
"""R-QST-8: an answer is expected within 1–10 days."""

_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
SNIFF_BYTES = len(_PNG_MAGIC)
"""How many leading bytes `sniff_attachment` needs at most."""


# --- Quotas and the usage period ----------------------------------------------------------------


@dataclass(frozen=True)
class QuestionQuotas:
    """R-QST-3/4 limits; `per_enrollment` is the course setting."""

    per_enrollment: int = STUDY_QUESTIONS_PER_ENROLLMENT
    per_day: int = STUDY_QUESTIONS_PER_DAY

    def __post_init__(self) -> None:
        if self.per_enrollment < 0 or self.per_day < 0:
            raise ValueError("quotas must be >= 0")


DEFAULT_QUOTAS = QuestionQuotas()


@dataclass(frozen=True)
class QuestionWindow:
    """R-QST-5/6: the usage period, first and last day both included (JST).

    Empty (`last_day < first_day`) for a course returned before it started.
    """

    first_day: date
    last_day: date

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def questions_window(
    start_on: date, enrollment_end_on: date, returned_on: date | None = None
) -> QuestionWindow:
    """R-QST-5/6: the days study questions may be asked for an enrollment: its start through its
    end (the leave-extended end if any), cut at `returned_on`, the day the return or cancellation
    was confirmed (that day still takes questions, the next does not)."""
    last_day = enrollment_end_on if returned_on is None else min(enrollment_end_on, returned_on)
    return QuestionWindow(first_day=start_on, last_day=last_day)


class QuestionRefusal(StrEnum):
    course_has_no_question_service = "course_has_no_question_service"
    outside_period = "outside_period"
    enrollment_quota_exceeded = "enrollment_quota_exceeded"
    daily_quota_exceeded = "daily_quota_exceeded"


@dataclass(frozen=True)
class QuestionDecision:
    is_allowed: bool
    refusal_reason: QuestionRefusal | None = None


def may_ask(
    today: date,
    window: QuestionWindow,
    used_in_enrollment: int,
    used_today: int,
    quotas: QuestionQuotas = DEFAULT_QUOTAS,
    *,
    has_question_service: bool = True,
) -> QuestionDecision:
    """R-QST-3/4/5/6/11: may the member ask one more study question on `today`?

    `used_in_enrollment` counts this enrollment's study questions so far; `used_today` the member's
    study questions on `today` across every enrollment (`jst_day_bounds`). Refusals, in this order:
    `course_has_no_question_service`, `outside_period`, `enrollment_quota_exceeded` (the 7th of a
    6-question course), `daily_quota_exceeded` (the 4th of the day).
    """
    if used_in_enrollment < 0 or used_today < 0:
        raise ValueError("counts must be >= 0")
    reason: QuestionRefusal | None = None
    if not has_question_service:
        reason = QuestionRefusal.course_has_no_question_service
    elif not window.contains(today):
        reason = QuestionRefusal.outside_period
    elif used_in_enrollment >= quotas.per_enrollment:
        reason = QuestionRefusal.enrollment_quota_exceeded
    elif used_today >= quotas.per_day:
        reason = QuestionRefusal.daily_quota_exceeded
    return QuestionDecision(is_allowed=reason is None, refusal_reason=reason)


def questions_remaining(
    used_in_enrollment: int, used_today: int, quotas: QuestionQuotas = DEFAULT_QUOTAS
) -> int:
    """R-QST-3/4/9: how many more study questions fit today: the smaller of what is left of the
    enrollment quota and of the day's quota (never negative). The service re-counts under a lock
    before each insert, so 10 simultaneous questions with 3 left create exactly 3."""
    return max(0, min(quotas.per_enrollment - used_in_enrollment, quotas.per_day - used_today))


def jst_day_bounds(today: date) -> tuple[datetime, datetime]:
    """R-QST-4: the half-open UTC interval `[start, end)` of the JST day `today`, for counting the
    day's questions: 2027-03-10 is [2027-03-09 15:00 UTC, 2027-03-10 15:00 UTC)."""
    return jst_day_range(today)


# --- Answers and history ------------------------------------------------------------------------


def answer_due_on(asked_on: date, due_days: int = DEFAULT_ANSWER_DUE_DAYS) -> date:
    """R-QST-8: the day an answer is due: `due_days` (1–10) calendar days after the question."""
    if not ANSWER_DUE_MIN_DAYS <= due_days <= ANSWER_DUE_MAX_DAYS:
        raise ValueError(f"due_days must be within {ANSWER_DUE_MIN_DAYS}..{ANSWER_DUE_MAX_DAYS}")
    return asked_on + timedelta(days=due_days)


def history_readable(today: date, enrollment_end_on: date) -> bool:
    """R-QST-10: may the member still read this enrollment's questions and answers on `today`?
    Through the enrollment end (leave-extended end if any), not after."""
    return today <= enrollment_end_on


# --- Attachments --------------------------------------------------------------------------------


class AttachmentKind(StrEnum):
    pdf = "pdf"
    png = "png"
    jpeg = "jpeg"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    AttachmentKind.pdf: "application/pdf",
    AttachmentKind.png: "image/png",
    AttachmentKind.jpeg: "image/jpeg",
}


def sniff_attachment(first_bytes: bytes) -> AttachmentKind | None:
    """R-QST-1: the kind of a file from its first bytes (`SNIFF_BYTES` suffice); None when it is
    none of PDF, PNG or JPEG. The file name and the declared content type play no part."""
    if first_bytes.startswith(_PDF_MAGIC):
        return AttachmentKind.pdf
    if first_bytes.startswith(_PNG_MAGIC):
        return AttachmentKind.png
    if first_bytes.startswith(_JPEG_MAGIC):
        return AttachmentKind.jpeg
    return None


class AttachmentRefusal(StrEnum):
    too_many_attachments = "too_many_attachments"
    attachment_empty = "attachment_empty"
    attachment_too_large = "attachment_too_large"
    attachment_type_not_allowed = "attachment_type_not_allowed"


def attachment_refusal(first_bytes: bytes, size_bytes: int) -> AttachmentRefusal | None:
    """R-QST-1: why one file cannot be attached (empty, over `MAX_ATTACHMENT_BYTES`, not PDF/PNG/
    JPEG by content), or None when it can."""
    if size_bytes <= 0:
        return AttachmentRefusal.attachment_empty
    if size_bytes > MAX_ATTACHMENT_BYTES:
        return AttachmentRefusal.attachment_too_large
    if sniff_attachment(first_bytes) is None:
        return AttachmentRefusal.attachment_type_not_allowed
    return None


def attachment_count_refusal(count: int) -> AttachmentRefusal | None:
    """R-QST-1: `too_many_attachments` for more than `MAX_ATTACHMENTS` files, else None."""
    if count < 0:
        raise ValueError("count must be >= 0")
    return AttachmentRefusal.too_many_attachments if count > MAX_ATTACHMENTS else None
