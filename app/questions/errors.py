"""Refusals of the questions domain (R-QST-1 … R-QST-11), each with a stable problem `type`.

A refused question creates nothing: no question row, no stored file.
"""

from __future__ import annotations

from app.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ProblemError,
    QuotaExceeded,
    TooManyRequests,
    ValidationFailed,
)


class QuestionNotFound(NotFound):
    """Also answered for another member's question: its existence is not disclosed."""

    type = "question-not-found"
    title = {"ja": "質問が見つかりません", "en": "Question not found"}


class QuestionEnrollmentNotFound(NotFound):
    type = "question-enrollment-not-found"
    title = {"ja": "受講講座が見つかりません", "en": "Enrollment not found"}
    detail = {
        "ja": "ご自身が受講している講座の受講IDを指定してください。",
        "en": "Give the id of one of your own enrollments.",
    }


class QuestionServiceUnavailable(Forbidden):
    """R-QST-11."""

    type = "question-service-unavailable"
    title = {
        "ja": "この講座は質問サービスの対象外です",
        "en": "This course has no question service",
    }
    detail = {
        "ja": "学習質問は質問サービスのある通信講座でのみご利用いただけます。",
        "en": "Study questions are available only for correspondence courses with the "
        "question service.",
    }


class QuestionOutsidePeriod(Conflict):
    """R-QST-5 / R-QST-6."""

    type = "question-outside-period"
    title = {
        "ja": "質問の利用期間外です",
        "en": "Outside the question period",
    }
    detail = {
        "ja": "学習質問は受講開始日から受講期限日まで(返品の場合は返品確認日まで)ご利用いただけます"
        "({first_day}〜{last_day})。",
        "en": "Study questions may be asked from the start of the enrollment to its end (to the "
        "day a return was confirmed) ({first_day} to {last_day}).",
    }


class QuestionEnrollmentQuotaExceeded(QuotaExceeded):
    """R-QST-3."""

    type = "question-enrollment-quota-exceeded"
    title = {
        "ja": "この講座の質問回数の上限に達しています",
        "en": "This enrollment's question quota is used up",
    }
    detail = {
        "ja": "学習内容についての質問は1コースにつき{limit}件までです。",
        "en": "At most {limit} study questions per course enrollment.",
    }


class QuestionDailyQuotaExceeded(QuotaExceeded):
    """R-QST-4."""

    type = "question-daily-quota-exceeded"
    title = {
        "ja": "本日の質問回数の上限に達しています",
        "en": "Today's question quota is used up",
    }
    detail = {
        "ja": "学習質問は1日につき合計{limit}問までです。明日以降にお送りください。",
        "en": "At most {limit} study questions per day (Japan time). Please ask again tomorrow.",
    }


class ServiceQuestionRateLimited(TooManyRequests):
    """R-QST-7: the non-study channel has no study quota, only an anti-spam limit."""

    type = "service-question-rate-limited"
    title = {
        "ja": "お問い合わせの送信回数が多すぎます",
        "en": "Too many service questions",
    }
    detail = {
        "ja": "学習以外のご質問は1日{limit}件までです。",
        "en": "At most {limit} service questions per day (Japan time).",
    }


class QuestionHistoryClosed(Forbidden):
    """R-QST-10."""

    type = "question-history-closed"
    title = {
        "ja": "利用期間が終了したため閲覧できません",
        "en": "The question period has ended",
    }
    detail = {
        "ja": "受講期限日を過ぎた講座の質問と回答は閲覧できません。",
        "en": "Questions and answers of an enrollment are not readable after its end.",
    }


class QuestionAlreadyClosed(Conflict):
    """R-QST-8: only an open question is answered or declined, once."""

    type = "question-already-closed"
    title = {
        "ja": "この質問は回答済みまたは対象外として処理済みです",
        "en": "This question was already answered or declined",
    }


class TooManyAttachments(ValidationFailed):
    type = "too-many-attachments"
    title = {"ja": "添付ファイルが多すぎます", "en": "Too many attachments"}
    detail = {
        "ja": "添付できるファイルは{limit}つまでです。",
        "en": "At most {limit} files may be attached.",
    }


class AttachmentEmpty(ValidationFailed):
    type = "attachment-empty"
    title = {"ja": "添付ファイルが空です", "en": "An attachment is empty"}
    detail = {"ja": "「{filename}」は空のファイルです。", "en": '"{filename}" is empty.'}


class AttachmentTooLarge(ProblemError):
    type = "attachment-too-large"
    status = 413
    title = {"ja": "添付ファイルが大きすぎます", "en": "An attachment is too large"}
    detail = {
        "ja": "添付ファイルは1つ{max_megabytes} MBまでです(「{filename}」)。",
        "en": 'Attachments may be at most {max_megabytes} MB each ("{filename}").',
    }


class UploadBodyTooLarge(AttachmentTooLarge):
    """R-QST-1: the request as a whole is over `app.questions.rules.MAX_UPLOAD_BODY_BYTES` (room for three
    full attachments and the text), so some file is too large or there are too many: refused
    while the body streams in, before any file is read. Same `type` as a single file over the
    limit; the detail names no file, none has been read."""

    detail = {
        "ja": "添付ファイルは{limit}つまで、1つ{max_megabytes} MBまでです。",
        "en": "At most {limit} attachments of {max_megabytes} MB each.",
    }


class AttachmentTypeNotAllowed(ProblemError):
    """R-QST-1: decided by the file's content, never by its name or declared type."""

    type = "attachment-type-not-allowed"
    status = 415
    title = {
        "ja": "添付できない形式のファイルです",
        "en": "This file type cannot be attached",
    }
    detail = {
        "ja": "添付できるのはPDF・PNG・JPEGのファイルのみです(「{filename}」)。",
        "en": 'Only PDF, PNG and JPEG files can be attached ("{filename}").',
    }


class QuestionAttachmentNotFound(NotFound):
    type = "question-attachment-not-found"
    title = {"ja": "添付ファイルが見つかりません", "en": "Attachment not found"}


ATTACHMENT_ERRORS: tuple[type[ProblemError], ...] = (
    TooManyAttachments,
    AttachmentEmpty,
    AttachmentTooLarge,
    AttachmentTypeNotAllowed,
)
