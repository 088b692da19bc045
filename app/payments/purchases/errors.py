"""Purchase problems (SPEC §8, R-SUB-9). Stable problem types; never reworded."""

from __future__ import annotations

from app.kit.errors import Conflict, NotFound, ValidationFailed


class PurchaseNotFound(NotFound):
    """Also what another member's purchase looks like: object-level authorization."""

    type = "purchase-not-found"
    title = {"ja": "購入履歴が見つかりません", "en": "Purchase not found"}


class ProductAlreadyPurchased(Conflict):
    type = "product-already-purchased"
    title = {
        "ja": "この商品はすでに購入済みです",
        "en": "You already own this product",
    }
    detail = {
        "ja": "受講期間中({access_ends_on} まで)は同じ商品を購入できません。期間を延ばす場合は有料延長商品をご利用ください。",
        "en": "It cannot be bought again while your access lasts (through {access_ends_on}). "
        "Buy a paid extension to extend it.",
    }


class PurchaseInProgress(Conflict):
    type = "purchase-in-progress"
    title = {
        "ja": "この商品のお支払い手続き中です",
        "en": "A checkout for this product is already in progress",
    }
    detail = {
        "ja": "手続き中の購入を完了するか、取り消してからやり直してください。",
        "en": "Complete or cancel the pending purchase first.",
    }


class ExtensionTargetMissing(Conflict):
    type = "extension-target-missing"
    title = {
        "ja": "延長できる購入がありません",
        "en": "There is no purchase to extend",
    }
    detail = {
        "ja": "有料延長は、対象商品の受講期間中にのみ購入できます。",
        "en": "A paid extension can be bought only while the product it extends is accessible.",
    }


class PointsExceedPrice(ValidationFailed):
    type = "points-exceed-price"
    title = {
        "ja": "利用ポイントが商品価格を超えています",
        "en": "More points than the price",
    }
    detail = {
        "ja": "利用できるポイントは商品価格({price}円)までです。",
        "en": "At most the price ({price} yen) can be paid with points.",
    }


class PurchaseNotPending(Conflict):
    type = "purchase-not-pending"
    title = {
        "ja": "この購入は手続き中ではありません",
        "en": "This purchase is not awaiting payment",
    }
    detail = {
        "ja": "購入の状態: {status}",
        "en": "The purchase is {status}.",
    }


class CheckoutNotApproved(Conflict):
    type = "checkout-not-approved"
    title = {
        "ja": "Amazon Pay でのお支払い手続きが完了していません",
        "en": "The payment was not approved on Amazon Pay yet",
    }
    detail = {
        "ja": "Amazon Pay の画面でお支払い方法を選んで確定してから、もう一度お試しください。",
        "en": "Choose and confirm the payment method on Amazon Pay, then try again.",
    }


class NotGoods(Conflict):
    type = "purchase-not-goods"
    title = {"ja": "物品の購入ではありません", "en": "This purchase is not for physical goods"}


class DeliveryDatesInvalid(ValidationFailed):
    type = "delivery-dates-invalid"
    title = {"ja": "配送の日付に誤りがあります", "en": "The delivery dates are not valid"}
    detail = {
        "ja": "発送日 ≤ 受取日 ≤ 返品受領日 の順で、今日以前の日付を指定してください。",
        "en": "Dates must be shipped ≤ received ≤ returned, and not in the future.",
    }


class PurchaseNotPaid(Conflict):
    type = "purchase-not-paid"
    title = {"ja": "お支払いが完了していない購入です", "en": "This purchase is not paid"}
    detail = {"ja": "購入の状態: {status}", "en": "The purchase is {status}."}
