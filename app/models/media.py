"""Media: lesson materials, the tools library, video assets and the download ledger.
R-CON-2, R-CON-3, R-CON-4 (and R-REF: a material download counts as a watched lecture).

- `Material` (教材): a PDF attached to a lesson, shown on the lesson's materials tab.
- `Tool` (管理改善ツール): the library of templates, guide texts and spreadsheets (PDF, XLSX,
  DOCX, CSV) that members list and download.
- `VideoAsset`: a video file uploaded for the local development video host (a production host
  such as Vimeo or Cloudflare Stream keeps its own assets; lessons only name the asset id).
- `MaterialDownload`: one row per download a member made; refunds (R-REF) read which lessons a
  member downloaded material of. Rows keep `lesson_id`/`course_id` (RESTRICT: a lesson with
  download history is not deleted) and survive the material's deletion (`material_id` SET NULL,
  `filename` kept as it was).

The file bytes live in the storage adapter (`app.media.storage`) under `storage_key`; the type is
decided from the content at upload (`file_kind`), never from the file's name.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model
from app.models.user import _enum


class FileKind(StrEnum):
    pdf = "pdf"
    xlsx = "xlsx"
    docx = "docx"
    csv = "csv"


class ToolCategory(StrEnum):
    template = "template"  # テンプレート
    guide = "guide"  # ガイドテキスト
    spreadsheet = "spreadsheet"  # エクセルシート


class Material(Model):
    __tablename__ = "material"
    __table_args__ = (
        # A lesson's materials tab reads in (position, id) order.
        Index("ix_material_lesson_id_position", "lesson_id", "position", "id"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer)
    file_kind: Mapped[FileKind] = mapped_column(_enum(FileKind, "file_kind"))
    content_type: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))  # sanitised original name
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class Tool(Model):
    __tablename__ = "tool"
    __table_args__ = (
        Index("ix_tool_position", "position", "id"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    category: Mapped[ToolCategory] = mapped_column(_enum(ToolCategory, "tool_category"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer)
    file_kind: Mapped[FileKind] = mapped_column(_enum(FileKind, "file_kind"))
    content_type: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class VideoAsset(Model):
    __tablename__ = "video_asset"
    __table_args__ = (
        Index("uq_video_asset_asset_id", "asset_id", unique=True),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    asset_id: Mapped[str] = mapped_column(String(200))  # what `lesson.video_asset_id` names
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class MaterialDownload(Model):
    __tablename__ = "material_download"
    __table_args__ = (
        # R-REF: "which lessons of course C did member U download material of".
        Index("ix_material_download_user_course", "user_id", "course_id", "lesson_id"),
        # Member history and staff report, newest first (keyset on downloaded_at, id).
        Index("ix_material_download_user_time", "user_id", "downloaded_at", "id"),
        Index("ix_material_download_lesson_time", "lesson_id", "downloaded_at", "id"),
        Index("ix_material_download_material_id", "material_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    material_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("material.id", ondelete="SET NULL")
    )
    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lesson.id", ondelete="RESTRICT"))
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"))
    filename: Mapped[str] = mapped_column(String(255))
    downloaded_at: Mapped[datetime]
