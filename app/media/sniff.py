"""What a file really is, decided from its bytes, never from its name (R-CON-3, R-CON-4, R-CON-2).

- PDF: starts with `%PDF-`.
- XLSX / DOCX (OOXML): a ZIP holding `[Content_Types].xml` that declares the workbook /
  document main part, and that part itself. Macro-enabled variants (xlsm/docm, or any
  `vbaProject.bin`) are refused: a tools library must not hand out macros.
- CSV: non-empty UTF-8 text (BOM allowed) without NUL bytes.
- Video: MP4 (an `ftyp` box first) or WebM (EBML header with DocType `webm`).

Functions take a seekable binary file and leave its position at 0. They are blocking (the ZIP
directory is read from the end of the file); call them through a worker thread.
"""

from __future__ import annotations

import codecs
import zipfile
from typing import IO

from app.models.media import FileKind

CONTENT_TYPES: dict[FileKind, str] = {
    FileKind.pdf: "application/pdf",
    FileKind.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.csv: "text/csv; charset=utf-8",
}

# kind → (main part, the content type `[Content_Types].xml` must declare for it)
_OOXML_MAIN_PARTS: dict[FileKind, tuple[str, bytes]] = {
    FileKind.xlsx: (
        "xl/workbook.xml",
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
    FileKind.docx: (
        "word/document.xml",
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
}
_MAX_CONTENT_TYPES_XML = 1024 * 1024  # a real one is a few KB; never inflate a bomb
_CHUNK = 1024 * 1024


def detect_kind(file: IO[bytes]) -> FileKind | None:
    """The kind of the file's content, or None when it is none of the accepted kinds."""
    try:
        file.seek(0)
        head = file.read(8)
        if head.startswith(b"%PDF-"):
            return FileKind.pdf
        if head.startswith(b"PK\x03\x04"):
            return _ooxml_kind(file)
        return FileKind.csv if _is_utf8_text(file) else None
    finally:
        file.seek(0)


def _ooxml_kind(file: IO[bytes]) -> FileKind | None:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return None
            try:
                info = archive.getinfo("[Content_Types].xml")
            except KeyError:
                return None
            if info.file_size > _MAX_CONTENT_TYPES_XML:
                return None
            declared = archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return None
    for kind, (main_part, content_type) in _OOXML_MAIN_PARTS.items():
        if main_part in names and content_type in declared:
            return kind
    return None


def _is_utf8_text(file: IO[bytes]) -> bool:
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen_any = False
    while chunk := file.read(_CHUNK):
        if b"\x00" in chunk:
            return False
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
        seen_any = True
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return seen_any


def detect_video_content_type(head: bytes) -> str | None:
    """`video/mp4` or `video/webm` from the first bytes of a file, else None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return "video/webm"
    return None
