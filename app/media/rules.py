"""Pure rules of the media domain: file names, Content-Disposition, byte ranges, link expiry.
R-CON-2 (inline, ranged streaming), R-CON-3 / R-CON-4 (downloads). No I/O, no clock reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from app.media.errors import RangeNotSatisfiable

MAX_STEM_CHARACTERS = 150
_FORBIDDEN_IN_NAMES = re.compile(r'[<>:"/\\|?*;]')
_ASCII_TOKEN_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# RFC 5987 attr-char beyond letters, digits and "-._~", which `quote` always keeps.
_ATTR_CHAR_EXTRA = "!#$&+^`|"


def sanitize_filename(raw: str | None, *, extension: str) -> str:
    """The name a download is offered under: the uploaded name's last path segment, NFC,
    without control/format characters (e.g. RTL overrides) or characters file systems refuse,
    ending in the extension of the type found in the content."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _FORBIDDEN_IN_NAMES.sub("_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem = name
    elif suffix.lower() != extension:
        stem = name  # keep what the uploader wrote; the real type's extension follows
    stem = stem[:MAX_STEM_CHARACTERS].strip(" .") or "download"
    return f"{stem}.{extension}"


def ascii_fallback(filename: str) -> str:
    """`filename=` for old clients: ASCII only (accents dropped, unsafe runs replaced by `_`);
    a name that needs other scripts (Japanese) falls back to `download.<ext>`."""
    stem, _, extension = filename.rpartition(".")
    decomposed = unicodedata.normalize("NFKD", stem)
    if any(ord(ch) > 127 and not unicodedata.combining(ch) for ch in decomposed):
        decomposed = "download"
    plain = decomposed.encode("ascii", "ignore").decode("ascii")
    safe = _ASCII_TOKEN_UNSAFE.sub("_", plain).strip("._") or "download"
    return f"{safe}.{extension}" if extension else safe


def content_disposition(kind: Literal["attachment", "inline"], filename: str | None) -> str:
    """RFC 6266 with an RFC 5987 `filename*=UTF-8''…` for Japanese names."""
    if filename is None:
        return kind
    encoded = quote(filename, safe=_ATTR_CHAR_EXTRA)
    return f"{kind}; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{encoded}"


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range a `Range` header asks of a `size`-byte file (RFC 9110 §14).

    None means "send the whole file" (no header, a malformed one, or several ranges: a server
    may ignore those). Raises `RangeNotSatisfiable` (416) when the range starts past the end or
    asks for a zero-length suffix.
    """
    if not header:
        return None
    match = _SINGLE_RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(size=size)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid: ignore the header
    if start >= size:
        raise RangeNotSatisfiable(size=size)
    end = int(last) if last else size - 1
    return ByteRange(start, min(end, size - 1))


def link_is_live(expires_at: datetime, now: datetime) -> bool:
    """A link works until its expiry instant, exclusive: at `expires_at` it has expired."""
    return now < expires_at
