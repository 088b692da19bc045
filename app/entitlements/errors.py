"""Refusals of the entitlement check (R-CON-7)."""

from __future__ import annotations

from app.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed


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


class GrantAlreadyRevoked(Conflict):
    type = "entitlement-grant-already-revoked"
    title = {
        "ja": "この権利付与は既に取り消されています",
        "en": "This entitlement grant is already revoked",
    }


class GrantTargetInvalid(ValidationFailed):
    """The scope names what the grant opens: a course grant needs `course_id` only, a content
    set grant `content_set_id` only, a membership grant neither."""

    type = "entitlement-grant-target-invalid"
    title = {
        "ja": "権利付与の対象の指定が正しくありません",
        "en": "The grant's target does not fit its scope",
    }
    detail = {
        "ja": "scope が course なら course_id、content_set なら content_set_id だけを指定してください。",
        "en": "Give course_id for scope course, content_set_id for scope content_set, "
        "neither for membership.",
    }


class GrantWindowInvalid(ValidationFailed):
    type = "entitlement-grant-window-invalid"
    title = {
        "ja": "権利付与の期間が正しくありません",
        "en": "The grant's validity period is not valid",
    }
    detail = {
        "ja": "valid_until は valid_from および現在より後の日時にしてください。",
        "en": "valid_until must be after valid_from and after now.",
    }


class ContentSetNotFound(NotFound):
    type = "content-set-not-found"
    title = {"ja": "コンテンツセットが見つかりません", "en": "Content set not found"}


class ContentSetCodeTaken(Conflict):
    type = "content-set-code-taken"
    title = {
        "ja": "このコードは既に使われています",
        "en": "This content set code is already in use",
    }
    detail = {
        "ja": "コード「{code}」は別のコンテンツセットで使われています。",
        "en": "Another content set uses the code '{code}'.",
    }


class ContentSetInUse(Conflict):
    type = "content-set-in-use"
    title = {
        "ja": "権利付与が参照しているコンテンツセットは削除できません",
        "en": "A content set that grants refer to cannot be deleted",
    }


class ContentSetCoursesUnknown(ValidationFailed):
    type = "content-set-courses-unknown"
    title = {
        "ja": "存在しないコースが含まれています",
        "en": "Some courses do not exist",
    }
    detail = {
        "ja": "errors に存在しないコースIDがあります。",
        "en": "See errors for the unknown course ids.",
    }
