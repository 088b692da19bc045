"""Problems of the enrollment API (R-ENR-1…5, R-ENR-16, R-ENR-17), with stable `type` slugs.

Refusals of the pure rules (`EnrollmentRefusal`) travel in the problem's `reason` extension and
its detail, so clients can tell `already_re_enrolled` from `re_enrollment_period_over`.
"""

from __future__ import annotations

from app.kit.errors import Conflict, NotFound, ProblemError, ValidationFailed


class EnrollmentNotFound(NotFound):
    type = "enrollment-not-found"
    title = {"ja": "受講申込が見つかりません", "en": "Enrollment not found"}


class CorrespondenceSettingsNotFound(NotFound):
    type = "correspondence-settings-not-found"
    title = {
        "ja": "このコースは通信教育の設定がありません",
        "en": "This course has no correspondence-course settings",
    }


class NotCorrespondenceCourse(ProblemError):
    type = "not-correspondence-course"
    status = 409
    title = {"ja": "通信教育のコースではありません", "en": "Not a correspondence course"}


class LearnerNotFound(NotFound):
    type = "learner-not-found"
    title = {"ja": "受講者が見つかりません", "en": "Learner not found"}
    detail = {
        "ja": "指定された受講者はあなたの組織に所属していません。",
        "en": "The learner does not belong to your organization.",
    }


class EnrollmentAlreadyExists(Conflict):
    type = "enrollment-already-exists"
    title = {
        "ja": "このコースはすでに受講中です",
        "en": "An enrollment in this course is already live",
    }
    detail = {
        "ja": "同じコースの受講申込が有効なうちは、新たに申し込めません。",
        "en": "A learner has one live enrollment per course.",
    }


class ResubmissionServiceNotOffered(ValidationFailed):
    type = "resubmission-service-not-offered"
    title = {
        "ja": "このコースは再提出サービスを利用できません",
        "en": "This course does not offer the resubmission service",
    }


class CancellationPeriodOver(Conflict):
    type = "cancellation-period-over"
    title = {"ja": "解約できる期間を過ぎています", "en": "The cancellation period is over"}
    detail = {
        "ja": "教材の到着日から8日を過ぎたため、解約できません(最終日: {deadline})。",
        "en": "Applications can be cancelled until 8 days after the materials arrive "
        "(last day: {deadline}).",
    }


class CancellationReasonRequired(ValidationFailed):
    type = "cancellation-reason-required"
    title = {"ja": "解約理由を入力してください", "en": "A reason is required"}
    detail = {
        "ja": "当社の責による解約には理由が必要です。",
        "en": "A cancellation because the company was at fault needs a reason.",
    }


class EnrollmentNotLive(Conflict):
    type = "enrollment-not-live"
    title = {
        "ja": "この受講申込はすでに終了または解約されています",
        "en": "The enrollment is no longer live",
    }
    detail = {"ja": "現在の状態: {status}", "en": "Current status: {status}"}


class ReEnrollmentFeeUnpaid(Conflict):
    type = "re-enrollment-fee-unpaid"
    title = {
        "ja": "再受講料のお支払いが完了していません",
        "en": "The re-enrollment fee is not paid yet",
    }
    detail = {
        "ja": "お支払いの完了後に、レポートの提出や質問ができるようになります。",
        "en": "Reports and questions open once the fee is paid.",
    }


class DeliveryDatesInvalid(ValidationFailed):
    type = "enrollment-delivery-dates-invalid"
    title = {"ja": "発送日・到着日が正しくありません", "en": "The shipping dates are not valid"}
    detail = {
        "ja": "受付日 ≤ 発送日 ≤ 到着日 の順で指定してください。",
        "en": "Dates must be ordered: accepted ≤ shipped ≤ delivered.",
    }


class ReturnDateInvalid(ValidationFailed):
    type = "enrollment-return-date-invalid"
    title = {"ja": "返品日が正しくありません", "en": "The return date is not valid"}
    detail = {
        "ja": "返品日は受付日以降で、今日より後にはできません。",
        "en": "The return date is on or after acceptance and not in the future.",
    }


class ReEnrollmentNotAllowed(Conflict):
    type = "re-enrollment-not-allowed"
    title = {"ja": "再受講を申し込めません", "en": "Re-enrollment is not allowed"}
    detail = {"ja": "理由: {reason}", "en": "Reason: {reason}"}


class ReEnrollmentNotPending(Conflict):
    type = "re-enrollment-not-pending"
    title = {
        "ja": "支払い待ちの再受講ではありません",
        "en": "This is not a re-enrollment awaiting payment",
    }


class CheckoutMismatch(Conflict):
    type = "re-enrollment-checkout-mismatch"
    title = {
        "ja": "決済セッションがこの再受講と一致しません",
        "en": "The checkout session does not belong to this re-enrollment",
    }


class CheckoutNotApproved(Conflict):
    type = "re-enrollment-checkout-not-approved"
    title = {"ja": "お支払いが承認されていません", "en": "The payment has not been approved"}


class LeaveNotAllowed(Conflict):
    type = "leave-not-allowed"
    title = {"ja": "休学を申請できません", "en": "Leave of absence is not allowed"}
    detail = {"ja": "理由: {reason}", "en": "Reason: {reason}"}


class LeaveNotPending(Conflict):
    type = "leave-not-pending"
    title = {"ja": "承認待ちの休学申請がありません", "en": "No leave request awaits approval"}


class LeaveProofInvalid(ProblemError):
    type = "leave-proof-invalid"
    status = 415
    title = {
        "ja": "証明書類の形式に対応していません",
        "en": "The proof document type is not supported",
    }
    detail = {
        "ja": "PDF・PNG・JPEG のファイルを添付してください。",
        "en": "Attach a PDF, PNG or JPEG file.",
    }


def refusal_text(reason: str) -> str:
    """The slug of a rule refusal as shown in a problem detail."""
    return reason.replace("_", "-")
