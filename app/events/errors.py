"""Refusals of the live-events domain (R-CON-5, R-CON-6). Stable problem types; ja/en text."""

from __future__ import annotations

from app.kit.errors import Conflict, Forbidden, NotFound, TooManyRequests, ValidationFailed


class EventNotFound(NotFound):
    """Unknown event, or a draft seen by someone who is not staff."""

    type = "event-not-found"
    title = {"ja": "イベントが見つかりません", "en": "Event not found"}


class EventRegistrationNotFound(NotFound):
    """Unknown registration, or another member's: both look the same (no enumeration)."""

    type = "event-registration-not-found"
    title = {"ja": "お申し込みが見つかりません", "en": "Registration not found"}


class EventInvalid(ValidationFailed):
    """The event's values contradict each other; `errors` names each field with stable codes."""

    type = "event-invalid"
    title = {"ja": "イベントの設定に誤りがあります", "en": "The event settings are not valid"}
    detail = {
        "ja": "errors に項目ごとの理由(コード)があります。",
        "en": "See errors for the reason (a code) per field.",
    }


class EventCancelled(Conflict):
    type = "event-cancelled"
    title = {"ja": "このイベントは中止されました", "en": "This event was cancelled"}


class EventRegistrationClosed(Conflict):
    type = "event-registration-closed"
    title = {"ja": "申し込みの受付は終了しました", "en": "Registration is closed"}
    detail = {
        "ja": "申し込みの締め切り ({closes_at}) を過ぎています。",
        "en": "Registration closed at {closes_at}.",
    }


class EventAlreadyStarted(Conflict):
    type = "event-already-started"
    title = {
        "ja": "開始後のため申し込みを取り消せません",
        "en": "The event has started; the registration can no longer be cancelled",
    }


class EventCapacityBelowRegistered(Conflict):
    type = "event-capacity-below-registered"
    title = {
        "ja": "定員を申込済みの人数より少なくできません",
        "en": "The capacity cannot be lower than the number of registered members",
    }
    detail = {
        "ja": "現在 {registered} 名が申込済みです。",
        "en": "{registered} members are registered.",
    }


class EventRegistrationRequired(Forbidden):
    type = "event-registration-required"
    title = {
        "ja": "参加が確定した方のみご利用いただけます",
        "en": "Only members with a confirmed registration may do this",
    }


class EventChatClosed(Conflict):
    type = "event-chat-closed"
    title = {"ja": "チャットでの質問は受け付けていません", "en": "The Q&A chat is closed"}
    detail = {
        "ja": "チャットでのご質問はライブ配信のウェビナーの開催中のみ受け付けています"
        "(録画配信では質問できません)。",
        "en": "Questions by chat are taken only while a live webinar is on air "
        "(recorded webinars have no Q&A).",
    }


class EventChatRateLimited(TooManyRequests):
    type = "event-chat-rate-limited"
    title = {"ja": "投稿が多すぎます", "en": "Too many messages"}
    detail = {
        "ja": "{retry_after}秒後に再度お試しください。",
        "en": "Try again in {retry_after} seconds.",
    }
