"""Points problems (R-REF-10). `InsufficientPoints` lives with the pure rule that raises it
(`app.payments.rules.points`)."""

from __future__ import annotations

from app.kit.errors import ValidationFailed
from app.payments.rules.points import InsufficientPoints

__all__ = ["InsufficientPoints", "PointGrantInvalid"]


class PointGrantInvalid(ValidationFailed):
    type = "point-grant-invalid"
    title = {"ja": "ポイント付与の内容に誤りがあります", "en": "The point grant is not valid"}
    detail = {
        "ja": "有効期限は今日以降の日付を指定してください。キャンペーン付与にはキャンペーンコードが必要です。",
        "en": "The expiry must be today or later; a campaign grant needs a campaign code.",
    }
