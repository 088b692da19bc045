"""Refusals of the media domain (R-CON-2, R-CON-3, R-CON-4). Stable problem types; never reworded."""

from __future__ import annotations

from typing import Any

from app.content.errors import LessonHasNoVideo as LessonHasNoVideo
from app.content.errors import LessonNotFound as LessonNotFound  # one type everywhere
from app.kit.errors import (
    Forbidden,
    NotFound,
    ProblemError,
    ServiceUnavailable,
    ValidationFailed,
)


class MaterialNotFound(NotFound):
    type = "material-not-found"
    title = {"ja": "教材が見つかりません", "en": "Material not found"}


class ToolNotFound(NotFound):
    type = "tool-not-found"
    title = {"ja": "ツールが見つかりません", "en": "Tool not found"}


class VideoAssetNotFound(NotFound):
    type = "video-asset-not-found"
    title = {"ja": "動画が見つかりません", "en": "Video not found"}


class StoredFileMissing(NotFound):
    """The record exists but its bytes are gone from storage (an operator must re-upload)."""

    type = "stored-file-missing"
    title = {"ja": "ファイルが見つかりません", "en": "The file is missing"}
    detail = {
        "ja": "お手数ですが事務局までお問い合わせください。",
        "en": "Please contact support.",
    }


class FileTooLarge(ProblemError):
    type = "file-too-large"
    status = 413
    title = {"ja": "ファイルが大きすぎます", "en": "The file is too large"}
    detail = {
        "ja": "{max_megabytes} MB 以下のファイルを指定してください。",
        "en": "Files may be at most {max_megabytes} MB.",
    }


class UnsupportedFileType(ProblemError):
    """The content (not the name) is not one of the allowed types."""

    type = "unsupported-file-type"
    status = 415
    title = {"ja": "この種類のファイルは登録できません", "en": "This type of file is not accepted"}
    detail = {
        "ja": "ファイルの内容が {allowed} ではありません。",
        "en": "The file's content is not {allowed}.",
    }


class FileEmpty(ValidationFailed):
    type = "file-empty"
    title = {"ja": "ファイルが空です", "en": "The file is empty"}


class LinkInvalid(Forbidden):
    """A download/playback link we did not issue (forged, altered, truncated, other purpose)."""

    type = "link-invalid"
    title = {"ja": "リンクが正しくありません", "en": "The link is not valid"}
    detail = {
        "ja": "教材・動画の画面からもう一度開いてください。",
        "en": "Open it again from the material or video screen.",
    }


class LinkExpired(ProblemError):
    """Links are short-lived (R-CON-2, R-CON-3): ask for a new one."""

    type = "link-expired"
    status = 410
    title = {"ja": "リンクの有効期限が切れています", "en": "The link has expired"}
    detail = {
        "ja": "教材・動画の画面からもう一度開いてください。",
        "en": "Ask for a new link from the material or video screen.",
    }


class LinkNotYours(Forbidden):
    """The link names another member than the one signed in."""

    type = "link-not-yours"
    title = {
        "ja": "このリンクは別の会員に発行されたものです",
        "en": "This link was issued to another member",
    }
    detail = {
        "ja": "ご自身でログインして教材・動画の画面から開いてください。",
        "en": "Sign in and open it from your own material or video screen.",
    }


class RangeNotSatisfiable(ProblemError):
    type = "range-not-satisfiable"
    status = 416
    title = {
        "ja": "指定された範囲を返せません",
        "en": "The requested range cannot be served",
    }

    def __init__(self, *, size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.headers["Content-Range"] = f"bytes */{size}"


class StorageUnavailable(ServiceUnavailable):
    """The object store did not answer as expected (network, credentials, outage)."""

    type = "storage-unavailable"
    title = {
        "ja": "ファイルの保存先に接続できません",
        "en": "The file store is unavailable",
    }
    detail = {
        "ja": "時間をおいて再度お試しください。",
        "en": "Please try again later.",
    }
