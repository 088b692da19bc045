"""Refusals of the reports domain (R-ENR-6 … R-ENR-15). Stable problem types; ja/en text.

Submission refusals map one-to-one onto `app.enrollments.rules.EnrollmentRefusal` slugs
(`submission_refusal`)."""

from __future__ import annotations

from app.enrollments.errors import ReEnrollmentFeeUnpaid
from app.enrollments.rules import EnrollmentRefusal
from app.kit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ProblemError,
    TooManyRequests,
    ValidationFailed,
)


class ReportEnrollmentNotFound(NotFound):
    """Unknown enrollment, or another learner's: both look the same (no enumeration)."""

    type = "report-enrollment-not-found"
    title = {"ja": "受講のお申し込みが見つかりません", "en": "Enrollment not found"}


class ReportUnitNotFound(NotFound):
    type = "report-unit-not-found"
    title = {"ja": "レポートが見つかりません", "en": "Report unit not found"}


class ReportSubmissionNotFound(NotFound):
    type = "report-submission-not-found"
    title = {"ja": "提出されたレポートが見つかりません", "en": "Report submission not found"}


class CourseNotCorrespondence(NotFound):
    type = "correspondence-course-not-found"
    title = {"ja": "通信講座が見つかりません", "en": "Correspondence course not found"}


class ReportUnitInvalid(ValidationFailed):
    type = "report-unit-invalid"
    title = {"ja": "レポートの設定に誤りがあります", "en": "The report unit is not valid"}
    detail = {"ja": "{reason}", "en": "{reason}"}


class ReportUnitHasSubmissions(Conflict):
    type = "report-unit-has-submissions"
    title = {
        "ja": "提出済みのレポートがあるため変更できません",
        "en": "The unit already has submissions and cannot be changed this way",
    }


class ReportAnswersInvalid(ValidationFailed):
    """A multiple-choice submission must answer every question with one of its choices; an
    essay submission must carry its text."""

    type = "report-answers-invalid"
    title = {"ja": "解答の内容に誤りがあります", "en": "The answers are not valid"}
    detail = {"ja": "{reason}", "en": "{reason}"}


class EnrollmentNotActive(Conflict):
    type = "enrollment-not-active"
    title = {
        "ja": "このお申し込みではレポートを提出できません",
        "en": "Reports cannot be submitted for this enrollment",
    }
    detail = {
        "ja": "取消または返品されたお申し込みです。",
        "en": "The enrollment was cancelled or returned.",
    }


class SubmissionAfterEnrollmentEnd(Conflict):
    """R-ENR-8: after 23:59:59 JST of the enrollment's last day."""

    type = "report-submission-after-enrollment-end"
    title = {
        "ja": "在籍期間が終了しているため提出できません",
        "en": "The enrollment period has ended; reports can no longer be submitted",
    }
    detail = {
        "ja": "レポートは在籍期間の最終日 ({enrollment_end_on}) の23時59分59秒(日本時間)までに提出してください。",
        "en": "Reports must arrive by 23:59:59 JST on the enrollment's last day ({enrollment_end_on}).",
    }


class ReportAlreadySubmitted(Conflict):
    """R-ENR-7: one submission per unit without the resubmission service."""

    type = "report-already-submitted"
    title = {"ja": "このレポートは提出済みです", "en": "This report has already been submitted"}
    detail = {
        "ja": "各レポートの提出は1回です(再提出サービスを除く)。",
        "en": "Each report is submitted once (except under the resubmission service).",
    }


class ReportGradingPending(Conflict):
    """R-ENR-12: a resubmission waits for the previous submission's grade."""

    type = "report-grading-pending"
    title = {
        "ja": "前回提出分の採点が終わっていません",
        "en": "The previous submission has not been graded yet",
    }


class ReportUnitPassed(Conflict):
    """R-ENR-12: resubmission only while the unit's best score is below the pass mark."""

    type = "report-unit-passed"
    title = {
        "ja": "合格点に達しているため再提出できません",
        "en": "The unit has reached the pass mark and cannot be resubmitted",
    }


class ReportAlreadyGraded(Conflict):
    """R-ENR-15: a graded report is not graded again (staff re-grade with a reason)."""

    type = "report-already-graded"
    title = {"ja": "このレポートは採点済みです", "en": "This report has already been graded"}


class ReportNotGraded(Conflict):
    type = "report-not-graded"
    title = {"ja": "このレポートはまだ採点されていません", "en": "This report has not been graded"}


class ReportNotEssay(Conflict):
    type = "report-not-essay"
    title = {
        "ja": "択一式レポートは自動採点されます",
        "en": "Multiple-choice reports are graded automatically",
    }


class ReportAssignedToAnotherGrader(Forbidden):
    type = "report-assigned-to-another-grader"
    title = {
        "ja": "このレポートは他の採点者に割り当てられています",
        "en": "This report is assigned to another grader",
    }


class GraderNotFound(ValidationFailed):
    type = "grader-not-found"
    title = {"ja": "採点者が見つかりません", "en": "Grader not found"}


class CertificateChecksTooFrequent(TooManyRequests):
    """The public verification answers a name: each client address gets a few checks a minute,
    so numbers cannot be walked to harvest names (R-ENR-13)."""

    type = "certificate-verification-rate-limited"
    title = {
        "ja": "照会の回数が多すぎます",
        "en": "Too many certificate checks",
    }
    detail = {
        "ja": "{retry_after} 秒後にもう一度お試しください。",
        "en": "Try again in {retry_after} seconds.",
    }


class CertificateNotFound(NotFound):
    """Unknown certificate, or one the caller may not receive (R-ENR-13): both look the same."""

    type = "certificate-not-found"
    title = {"ja": "修了証書が見つかりません", "en": "Certificate not found"}


class CertificateLinkInvalid(Forbidden):
    type = "certificate-link-invalid"
    title = {"ja": "ダウンロードリンクが正しくありません", "en": "The download link is not valid"}


class CertificateLinkExpired(ProblemError):
    type = "certificate-link-expired"
    status = 410
    title = {
        "ja": "ダウンロードリンクの有効期限が切れています",
        "en": "The download link has expired",
    }
    detail = {
        "ja": "もう一度ダウンロードリンクを発行してください。",
        "en": "Request a new download link.",
    }


_SUBMISSION_REFUSALS: dict[EnrollmentRefusal, type[ProblemError]] = {
    EnrollmentRefusal.enrollment_ended: SubmissionAfterEnrollmentEnd,
    EnrollmentRefusal.already_submitted: ReportAlreadySubmitted,
    EnrollmentRefusal.grading_pending: ReportGradingPending,
    EnrollmentRefusal.unit_passed: ReportUnitPassed,
}

SUBMISSION_ERRORS: tuple[type[ProblemError], ...] = (
    EnrollmentNotActive,
    ReEnrollmentFeeUnpaid,
    *_SUBMISSION_REFUSALS.values(),
)


def submission_refusal(reason: EnrollmentRefusal, *, enrollment_end_on: str = "") -> ProblemError:
    """The problem for a `rules.may_submit` refusal."""
    return _SUBMISSION_REFUSALS[reason](enrollment_end_on=enrollment_end_on)
