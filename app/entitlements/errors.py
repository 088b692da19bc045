"""Refusals of the entitlement check (R-CON-7)."""

from __future__ import annotations

from app.kit.errors import Forbidden, NotFound


class NotEntitled(Forbidden):
    """The member has no live grant for the item: a clear 403, never an empty 200."""

    type = "not-entitled"
    title = {
        "ja": "この教材を利用する権利がありません",
        "en": "You are not entitled to this content",
    }
    detail = {
        "ja": "会員登録、受講申込み、購入、または所属団体のご契約により利用できるようになります。",
        "en": "Membership, an enrollment, a purchase or your organization's plan gives access.",
    }


class MembershipRequired(Forbidden):
    type = "membership-required"
    title = {
        "ja": "会員限定の機能です",
        "en": "This is for members only",
    }
    detail = {
        "ja": "月額会員のご登録(無料体験を含む)でご利用いただけます。",
        "en": "An active membership (including the free trial) is required.",
    }


class GrantNotFound(NotFound):
    type = "entitlement-grant-not-found"
    title = {
        "ja": "権利付与が見つかりません",
        "en": "Entitlement grant not found",
    }
