"""Product problems (SPEC §8). Stable problem types; never reworded."""

from __future__ import annotations

from app.kit.errors import Conflict, NotFound, ValidationFailed


class ProductNotFound(NotFound):
    type = "product-not-found"
    title = {"ja": "商品が見つかりません", "en": "Product not found"}


class ProductCodeTaken(Conflict):
    type = "product-code-taken"
    title = {
        "ja": "この商品コードは既に使われています",
        "en": "This product code is already in use",
    }
    detail = {
        "ja": "商品コード「{code}」は別の商品で使われています。",
        "en": "Another product uses the code '{code}'.",
    }


class ProductTargetInvalid(ValidationFailed):
    """The kind and what the product opens do not fit together (or the target is unknown)."""

    type = "product-target-invalid"
    title = {
        "ja": "商品の種類と対象が一致しません",
        "en": "The product kind and its target do not match",
    }
    detail = {
        "ja": "単体講座はコース、パッケージとパスはコンテンツセット、有料延長は延長対象の商品を"
        "指定してください。物品以外は基本受講期間(日数)が必要です。",
        "en": "A single course names a course, a package or pass a content set, an extension "
        "the product it extends. Every kind but goods needs base access days.",
    }
