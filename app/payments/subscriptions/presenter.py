"""The member's view of a subscription (PAYMENTS.md "Member API shape")."""

from __future__ import annotations

from datetime import date

from app.models.payment import Subscription
from app.payments.subscriptions import service
from app.payments.subscriptions.emails import AMAZON_PAY_ACCOUNT_URL
from app.payments.subscriptions.schemas import PaymentIssueOut, SubscriptionOut

_ISSUES = {
    "payment_declined": {
        "ja": "月額料金のお支払いができませんでした。再請求を行います。Amazon Pay のお支払い方法をご確認ください。",
        "en": "The monthly payment failed and will be retried. Please check your payment method on Amazon Pay.",
    },
    "payment_method_invalid": {
        "ja": "Amazon Pay のお支払い方法がご利用いただけません。Amazon Pay でお支払い方法を更新してください。",
        "en": "Your Amazon Pay payment method cannot be used. Please update it on Amazon Pay.",
    },
    "payment_method_expired": {
        "ja": "Amazon Pay のお支払い方法の有効期限が切れています。Amazon Pay で更新してください。",
        "en": "Your Amazon Pay payment method has expired. Please update it on Amazon Pay.",
    },
    "permission_closed": {
        "ja": "Amazon Pay での定期支払いの設定が解除されました。ご利用期限後に継続される場合は再度お申し込みください。",
        "en": "The recurring payment was closed on Amazon Pay. Sign up again to continue after access ends.",
    },
}


def present(subscription: Subscription, *, today: date, language: str) -> SubscriptionOut:
    issue = None
    if subscription.payment_issue is not None:
        texts = _ISSUES.get(subscription.payment_issue, _ISSUES["payment_declined"])
        issue = PaymentIssueOut(
            reason=subscription.payment_issue,
            message=texts.get(language, texts["en"]),
            fix_url=AMAZON_PAY_ACCOUNT_URL,
        )
    next_charge = service.next_charge_on(subscription)
    confirmed = subscription.status.value != "pending"
    return SubscriptionOut(
        id=subscription.id,
        status=subscription.status,
        has_access=service.has_access(subscription, today),
        price_jpy=subscription.price_jpy,
        signup_on=subscription.signup_on if confirmed else None,
        trial_end_on=subscription.trial_last_on,
        cancel_at_period_end=subscription.cancel_at_period_end,
        access_until_on=service.access_until_on(subscription),
        next_renewal_on=next_charge,
        next_amount_jpy=subscription.price_jpy if next_charge is not None else None,
        payment_issue=issue,
        ended_on=subscription.ended_on,
    )
