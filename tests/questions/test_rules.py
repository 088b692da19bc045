"""Question rules (R-QST-1, R-QST-3 … R-QST-6, R-QST-8 … R-QST-11)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.calendar import JST, jst_date
from app.questions.rules import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    SNIFF_BYTES,
    STUDY_QUESTIONS_PER_DAY,
    STUDY_QUESTIONS_PER_ENROLLMENT,
    AttachmentKind,
    AttachmentRefusal,
    QuestionDecision,
    QuestionQuotas,
    QuestionRefusal,
    QuestionWindow,
    answer_due_on,
    attachment_count_refusal,
    attachment_refusal,
    history_readable,
    jst_day_bounds,
    may_ask,
    questions_remaining,
    questions_window,
    sniff_attachment,
)

START = date(2026, 12, 1)
END = date(2027, 5, 31)
WINDOW = questions_window(START, END)
TODAY = date(2027, 2, 10)
Refusal = QuestionRefusal


def ask(
    today: date = TODAY,
    *,
    window: QuestionWindow = WINDOW,
    in_enrollment: int = 0,
    today_count: int = 0,
    quotas: QuestionQuotas | None = None,
    service: bool = True,
) -> QuestionDecision:
    return may_ask(
        today,
        window,
        in_enrollment,
        today_count,
        quotas or QuestionQuotas(),
        has_question_service=service,
    )


def test_r_qst_3_4_default_quotas() -> None:
    assert STUDY_QUESTIONS_PER_ENROLLMENT == 6
    assert STUDY_QUESTIONS_PER_DAY == 3
    assert QuestionQuotas() == QuestionQuotas(per_enrollment=6, per_day=3)


# --- R-QST-3 / R-QST-4 quotas -----------------------------------------------------------------------


def test_r_qst_4_third_question_of_the_day_allowed_fourth_refused() -> None:
    assert ask(today_count=2).is_allowed
    fourth = ask(today_count=3)
    assert not fourth.is_allowed
    assert fourth.refusal_reason is Refusal.daily_quota_exceeded


def test_r_qst_3_sixth_question_of_the_course_allowed_seventh_refused() -> None:
    assert ask(in_enrollment=5).is_allowed
    assert ask(in_enrollment=6).refusal_reason is Refusal.enrollment_quota_exceeded


def test_r_qst_3_course_setting_changes_the_enrollment_quota() -> None:
    ten = QuestionQuotas(per_enrollment=10)
    assert ask(in_enrollment=9, quotas=ten).is_allowed
    assert ask(in_enrollment=10, quotas=ten).refusal_reason is Refusal.enrollment_quota_exceeded


def test_r_qst_3_4_both_used_up_reports_the_enrollment_quota() -> None:
    assert ask(in_enrollment=6, today_count=3).refusal_reason is Refusal.enrollment_quota_exceeded


@pytest.mark.parametrize(
    ("in_enrollment", "today_count", "remaining"),
    [(0, 0, 3), (4, 0, 2), (3, 1, 2), (6, 0, 0), (0, 3, 0), (5, 2, 1), (9, 9, 0)],
)
def test_r_qst_9_remaining_is_the_smaller_quota_left(
    in_enrollment: int, today_count: int, remaining: int
) -> None:
    assert questions_remaining(in_enrollment, today_count) == remaining


@given(in_enrollment=st.integers(0, 20), today_count=st.integers(0, 10))
def test_r_qst_9_may_ask_iff_something_remains(in_enrollment: int, today_count: int) -> None:
    left = questions_remaining(in_enrollment, today_count)
    assert ask(in_enrollment=in_enrollment, today_count=today_count).is_allowed == (left > 0)


def test_r_qst_9_ten_simultaneous_with_three_left_admit_exactly_three() -> None:
    """The service re-counts under a lock before each insert; the rule admits exactly 3 of 10."""
    created = 0
    for _ in range(10):
        if ask(in_enrollment=1 + created, today_count=created).is_allowed:
            created += 1
    assert created == 3


def test_quota_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match="counts"):
        ask(today_count=-1)
    with pytest.raises(ValueError, match="quotas"):
        QuestionQuotas(per_day=-1)


# --- R-QST-4 the JST day ------------------------------------------------------------------------------


def test_r_qst_4_day_boundary_is_midnight_jst_15_00_utc() -> None:
    start, end = jst_day_bounds(date(2027, 3, 10))
    assert start == datetime(2027, 3, 9, 15, 0, tzinfo=UTC)
    assert end == datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    assert start == datetime(2027, 3, 10, 0, 0, tzinfo=JST)
    last_of_day = datetime(2027, 3, 10, 14, 59, 59, 999_999, tzinfo=UTC)
    assert start <= last_of_day < end
    assert jst_date(end) == date(2027, 3, 11)
    assert jst_date(datetime(2027, 3, 9, 15, 0, tzinfo=UTC)) == date(2027, 3, 10)


def test_r_qst_4_three_at_23_59_jst_then_one_at_00_00_jst_is_allowed() -> None:
    late = datetime(2027, 3, 10, 23, 59, 59, tzinfo=JST)
    next_day = late + timedelta(seconds=1)
    assert ask(jst_date(late), today_count=3).refusal_reason is Refusal.daily_quota_exceeded
    # At 00:00 JST the day's count (questions inside jst_day_bounds of the new day) is 0.
    start, _ = jst_day_bounds(jst_date(next_day))
    assert next_day == start
    assert ask(jst_date(next_day), today_count=0).is_allowed


# --- R-QST-5 / R-QST-6 usage period --------------------------------------------------------------------


def test_r_qst_5_first_and_last_day_of_the_period() -> None:
    assert ask(START).is_allowed
    assert ask(END).is_allowed
    assert ask(START - timedelta(days=1)).refusal_reason is Refusal.outside_period
    assert ask(END + timedelta(days=1)).refusal_reason is Refusal.outside_period


def test_r_qst_6_returned_course_takes_questions_on_the_return_day_not_the_next() -> None:
    returned_on = date(2027, 1, 20)
    window = questions_window(START, END, returned_on)
    assert window == QuestionWindow(START, returned_on)
    assert ask(returned_on, window=window).is_allowed
    assert ask(returned_on + timedelta(days=1), window=window).refusal_reason is (
        Refusal.outside_period
    )


def test_r_qst_6_returned_after_the_end_changes_nothing() -> None:
    assert questions_window(START, END, END + timedelta(days=3)) == WINDOW


def test_r_qst_6_returned_before_the_start_takes_none() -> None:
    window = questions_window(START, END, START - timedelta(days=5))
    assert not window.contains(START)
    assert ask(START, window=window).refusal_reason is Refusal.outside_period


def test_r_qst_11_course_without_the_question_service() -> None:
    assert ask(service=False).refusal_reason is Refusal.course_has_no_question_service


# --- R-QST-8 answer due date --------------------------------------------------------------------------


def test_r_qst_8_answer_due_1_to_10_days() -> None:
    assert answer_due_on(date(2027, 2, 25)) == date(2027, 3, 7)
    assert answer_due_on(date(2028, 2, 25), 4) == date(2028, 2, 29)
    assert answer_due_on(date(2027, 2, 25), 1) == date(2027, 2, 26)
    for bad in (0, 11):
        with pytest.raises(ValueError, match="due_days"):
            answer_due_on(date(2027, 2, 25), bad)


# --- R-QST-10 history ---------------------------------------------------------------------------------


def test_r_qst_10_history_readable_through_the_last_day_only() -> None:
    assert history_readable(END, END)
    assert not history_readable(END + timedelta(days=1), END)


# --- R-QST-1 attachments ------------------------------------------------------------------------------

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.mark.parametrize(
    ("head", "kind", "media_type"),
    [
        (PDF, AttachmentKind.pdf, "application/pdf"),
        (PNG, AttachmentKind.png, "image/png"),
        (JPEG, AttachmentKind.jpeg, "image/jpeg"),
        (b"\xff\xd8\xff\xe1\x00\x18Exif", AttachmentKind.jpeg, "image/jpeg"),
    ],
)
def test_r_qst_1_attachment_kind_by_content(
    head: bytes, kind: AttachmentKind, media_type: str
) -> None:
    assert sniff_attachment(head) is kind
    assert sniff_attachment(head[:SNIFF_BYTES]) is kind
    assert kind.media_type == media_type


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"%PDF",  # truncated signature
        b" %PDF-1.7",  # not at offset 0
        b"\x89PNG\r\n\x1a",  # 7 of the 8 signature bytes
        b"\xff\xd8\x00",
        b"GIF89a",
        b"PK\x03\x04",  # a .docx or a zip renamed to .pdf
        b"<html><body>%PDF-",
        b"MZ\x90\x00",  # an executable named photo.jpg
    ],
)
def test_r_qst_1_other_content_is_not_an_allowed_attachment(head: bytes) -> None:
    assert sniff_attachment(head) is None


def test_r_qst_1_size_limit_10_mb_each() -> None:
    assert attachment_refusal(PDF, MAX_ATTACHMENT_BYTES) is None
    assert (
        attachment_refusal(PDF, MAX_ATTACHMENT_BYTES + 1) is AttachmentRefusal.attachment_too_large
    )
    assert attachment_refusal(PNG, 0) is AttachmentRefusal.attachment_empty
    assert attachment_refusal(b"GIF89a", 100) is AttachmentRefusal.attachment_type_not_allowed
    assert MAX_ATTACHMENT_BYTES == 10 * 1024 * 1024


def test_r_qst_1_at_most_three_attachments() -> None:
    assert MAX_ATTACHMENTS == 3
    assert attachment_count_refusal(0) is None
    assert attachment_count_refusal(3) is None
    assert attachment_count_refusal(4) is AttachmentRefusal.too_many_attachments
    with pytest.raises(ValueError, match="count"):
        attachment_count_refusal(-1)
