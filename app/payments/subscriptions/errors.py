"""Subscription problems (R-SUB)."""

from __future__ import annotations

from app.kit.errors import Conflict, Forbidden, NotFound, ProblemError


class SubscriptionNotFound(NotFound):
    type = "subscription-not-found"
    title = {"ja": "定期購入が見つかりません", "en": "No subscription found"}


class SubscriptionAlreadyExists(Conflict):
    type = "subscription-already-exists"
    title = {"ja": "すでに会員プランをご利用中です", "en": "You already have a membership"}
    detail = {
        "ja": "ご利用中(または支払い手続き中)の定期購入があります。状態は会員情報からご確認ください。",
        "en": "A subscription is already running or waiting for payment; see your membership status.",
    }


class SubscriptionNotForOrganizations(Forbidden):
    type = "subscription-individuals-only"
    title = {
        "ja": "会員プランは個人のお客様専用です",
        "en": "The membership plan is for individuals only",
    }
    detail = {
        "ja": "法人でのご利用は法人契約をご検討ください(R-SUB-1)。",
        "en": "Organizations use a business contract instead (R-SUB-1).",
    }


class CheckoutSessionMismatch(Conflict):
    type = "checkout-session-mismatch"
    title = {
        "ja": "お支払い手続きが一致しません",
        "en": "The checkout does not belong to this subscription",
    }


class CheckoutNotApproved(Conflict):
    type = "checkout-not-approved"
    title = {
        "ja": "Amazon Pay でのお支払い手続きが完了していません",
        "en": "The checkout has not been approved on Amazon Pay",
    }
    detail = {
        "ja": "Amazon Pay の画面で手続きを完了してから、もう一度お試しください。",
        "en": "Finish the steps on the Amazon Pay page, then try again.",
    }


class PaymentMethodNotChargeable(Conflict):
    type = "payment-method-not-chargeable"
    title = {
        "ja": "お支払い方法をご利用いただけません",
        "en": "The payment method cannot be charged",
    }
    detail = {
        "ja": "Amazon Pay のお支払い方法をご確認ください。",
        "en": "Please check your payment method on Amazon Pay.",
    }


class InitialChargeDeclined(ProblemError):
    """The first charge of a subscription without a trial was declined (R-SUB-2: one trial)."""

    type = "payment-declined"
    status = 402
    keeps_writes = True  # the order stays as a failed order in the member's history
    title = {"ja": "お支払いができませんでした", "en": "The payment was declined"}
    detail = {
        "ja": "Amazon Pay でお支払い方法をご確認のうえ、もう一度お申し込みください。",
        "en": "Check your payment method on Amazon Pay and sign up again.",
    }


class NothingToCancel(Conflict):
    type = "subscription-not-cancelable"
    title = {"ja": "解約できる状態ではありません", "en": "The subscription cannot be canceled now"}


class NothingToResume(Conflict):
    type = "subscription-not-resumable"
    title = {
        "ja": "再開できる状態ではありません",
        "en": "The subscription cannot be resumed now",
    }
    detail = {
        "ja": "解約手続き済みで、ご利用期限前の定期購入だけ再開できます(R-SUB-6)。",
        "en": "Only a canceled subscription whose access has not ended can be resumed (R-SUB-6).",
    }
