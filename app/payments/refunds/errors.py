"""Refund problems (R-REF-7, R-REF-8, R-REF-11). Stable problem types; never reworded."""

from __future__ import annotations

from app.kit.errors import Conflict, ValidationFailed


class PurchaseAlreadyRefunded(Conflict):
    type = "purchase-already-refunded"
    title = {"ja": "この購入はすでに返金済みです", "en": "This purchase was already refunded"}
    detail = {
        "ja": "返金は1件の購入につき1回だけ行われます。",
        "en": "A purchase is refunded once.",
    }


class RefundNotAllowed(Conflict):
    """The rules refuse the refund on the request day (R-REF-7, or R-REF-8 for goods)."""

    type = "refund-not-allowed"
    title = {"ja": "返金の条件を満たしていません", "en": "The refund conditions are not met"}
    detail = {
        "ja": "{rule}: {reason}",
        "en": "{rule}: {reason}",
    }


class RefundQuoteUnavailable(Conflict):
    type = "refund-quote-unavailable"
    title = {
        "ja": "返金額を計算できません",
        "en": "The refund cannot be computed",
    }
    detail = {
        "ja": "商品に公開中の講座がありません。事務局で個別に対応します。",
        "en": "The product has no published lectures; the support office decides by hand.",
    }


class GoodsNotReturned(Conflict):
    type = "goods-not-returned"
    title = {
        "ja": "商品の返送が確認できていません",
        "en": "The goods have not come back yet",
    }
    detail = {
        "ja": "発送済みの物品は、返品受領日を記録してから返金します(R-REF-8)。",
        "en": "Shipped goods are refunded once their return is recorded (R-REF-8).",
    }


class GoodsRequestInvalid(ValidationFailed):
    type = "goods-refund-request-invalid"
    title = {
        "ja": "物品の返金申請の内容に誤りがあります",
        "en": "The goods refund request is not valid",
    }


class ProviderRefusedRefund(Conflict):
    """The provider refused the cash refund (e.g. more than the charge has left), or already
    holds a refund for this purchase with another amount (a retry on a later day): staff look."""

    type = "refund-refused-by-provider"
    title = {
        "ja": "決済サービスが返金を受け付けませんでした",
        "en": "The payment service refused the refund",
    }
    detail = {"ja": "理由: {reason_code}", "en": "Reason: {reason_code}"}
