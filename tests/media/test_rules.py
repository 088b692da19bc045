"""Pure media rules: names, Content-Disposition, byte ranges, content sniffing, signed links.
R-CON-2, R-CON-3, R-CON-4."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.media import links, sniff
from app.media.errors import LinkExpired, LinkInvalid, RangeNotSatisfiable
from app.media.rules import ByteRange, content_disposition, parse_range, sanitize_filename
from app.models.media import FileKind
from tests.media.factories import (
    docx_bytes,
    mp4_bytes,
    pdf_bytes,
    plain_zip_bytes,
    webm_bytes,
    xlsm_bytes,
    xlsx_bytes,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
KEY = "k" * 40


@pytest.mark.parametrize(
    ("raw", "extension", "expected"),
    [
        ("レジュメ第1回.pdf", "pdf", "レジュメ第1回.pdf"),
        ("C:\\Users\\taro\\資料.PDF", "pdf", "資料.pdf"),
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ("請求書\u202egpj.pdf", "pdf", "請求書gpj.pdf"),  # RTL override removed
        ('a"b;c.pdf', "pdf", "a_b_c.pdf"),
        ("report.exe", "pdf", "report.exe.pdf"),  # the content's type decides the extension
        ("", "csv", "download.csv"),
        (None, "xlsx", "download.xlsx"),
        ("..", "pdf", "download.pdf"),
        ("ｶﾞｲﾄﾞ.pdf", "pdf", "ｶﾞｲﾄﾞ.pdf"),  # NFC keeps half-width kana as typed
    ],
)
def test_r_con_3_sanitize_filename(raw: str | None, extension: str, expected: str) -> None:
    assert sanitize_filename(raw, extension=extension) == expected


def test_r_con_3_sanitize_filename_caps_length() -> None:
    name = sanitize_filename("あ" * 400 + ".pdf", extension="pdf")
    assert name == "あ" * 150 + ".pdf"


def test_r_con_3_content_disposition_uses_rfc5987_for_japanese_names() -> None:
    header = content_disposition("attachment", "レジュメ 第1回.pdf")
    assert header == (
        "attachment; filename=\"download.pdf\"; filename*=UTF-8''"
        "%E3%83%AC%E3%82%B8%E3%83%A5%E3%83%A1%20%E7%AC%AC1%E5%9B%9E.pdf"
    )
    assert content_disposition("attachment", "guide.pdf") == (
        "attachment; filename=\"guide.pdf\"; filename*=UTF-8''guide.pdf"
    )
    assert content_disposition("attachment", "Café menu.csv").startswith(
        'attachment; filename="Cafe_menu.csv";'
    )
    assert content_disposition("inline", None) == "inline"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=0-", ByteRange(0, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),  # clipped to the end
        ("bytes=-100", ByteRange(900, 999)),  # suffix
        ("bytes=-5000", ByteRange(0, 999)),  # suffix longer than the file
        ("bytes=999-999", ByteRange(999, 999)),  # the last byte
        ("bytes=5-1", None),  # invalid: ignored
        ("items=0-1", None),  # other unit: ignored
        ("bytes=0-1,5-6", None),  # several ranges: whole file
        ("bytes=-", None),
    ],
)
def test_r_con_2_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=-0"])
def test_r_con_2_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as raised:
        parse_range(header, 1000)
    assert raised.value.headers["Content-Range"] == "bytes */1000"


def test_r_con_2_byte_range_content_range() -> None:
    assert ByteRange(0, 99).content_range(1000) == "bytes 0-99/1000"
    assert ByteRange(0, 99).length == 100


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (pdf_bytes(), FileKind.pdf),
        (xlsx_bytes(), FileKind.xlsx),
        (docx_bytes(), FileKind.docx),
        ("氏名,点数\n山田,90\n".encode(), FileKind.csv),
        (b"\xef\xbb\xbfname,score\n", FileKind.csv),  # UTF-8 BOM
        ("氏名,点数\n".encode("cp932"), None),  # Shift_JIS is not UTF-8
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # an executable
        (b"a,b\x00c", None),  # NUL: binary
        (xlsm_bytes(), None),  # macros refused
        (plain_zip_bytes(), None),  # a ZIP that is not OOXML
        (b"PK\x03\x04broken", None),
        (b"", None),
    ],
)
def test_r_con_4_detect_kind_from_content(data: bytes, expected: FileKind | None) -> None:
    assert sniff.detect_kind(io.BytesIO(data)) == expected


def test_r_con_2_detect_video_content_type() -> None:
    assert sniff.detect_video_content_type(mp4_bytes()[:64]) == "video/mp4"
    assert sniff.detect_video_content_type(webm_bytes()[:64]) == "video/webm"
    assert sniff.detect_video_content_type(pdf_bytes()[:64]) is None


# --- Signed links ---------------------------------------------------------------------------------


def _issue(purpose: links.LinkPurpose = links.LinkPurpose.material, **overrides: object) -> str:
    values: dict[str, object] = {
        "purpose": purpose,
        "subject": str(uuid.UUID(int=1)),
        "member_id": uuid.UUID(int=2),
        "expires_at": NOW + timedelta(minutes=5),
        "signing_key": KEY,
    }
    values.update(overrides)
    return links.issue(**values)  # type: ignore[arg-type]


def _verify(token: str, now: datetime = NOW, key: str = KEY) -> links.LinkClaims:
    return links.verify(token, purposes=(links.LinkPurpose.material,), now=now, signing_key=key)


def test_r_con_3_link_round_trip() -> None:
    claims = _verify(_issue())
    assert claims.subject == str(uuid.UUID(int=1))
    assert claims.member_id == uuid.UUID(int=2)
    assert claims.expires_at == NOW + timedelta(minutes=5)


def test_r_con_3_link_expires_at_the_exact_instant() -> None:
    token = _issue()
    _verify(token, NOW + timedelta(minutes=5) - timedelta(seconds=1))
    with pytest.raises(LinkExpired):
        _verify(token, NOW + timedelta(minutes=5))


def test_r_con_3_expiry_is_whole_seconds() -> None:
    issued = datetime(2026, 11, 23, 3, 0, 0, 900_000, tzinfo=UTC)
    assert links.expiry(issued, 300) == datetime(2026, 11, 23, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # MAC altered
        lambda t: t.split(".")[0],  # no MAC
        lambda t: "x" + t,  # payload altered
        lambda t: t + ".extra",
        lambda t: "",
        lambda t: "a" * 600,
    ],
)
def test_r_con_3_tampered_link_is_refused(mutate) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LinkInvalid):
        _verify(mutate(_issue()))


def test_r_con_3_link_payload_swapped_for_another_file_is_refused() -> None:
    """Re-encoding the payload with another file id keeps the old MAC: refused."""
    import base64

    token = _issue()
    payload, mac = token.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    forged = raw.replace(str(uuid.UUID(int=1)), str(uuid.UUID(int=9)))
    forged_payload = base64.urlsafe_b64encode(forged.encode()).rstrip(b"=").decode()
    with pytest.raises(LinkInvalid):
        _verify(f"{forged_payload}.{mac}")


def test_r_con_3_link_signed_with_another_key_or_for_another_purpose_is_refused() -> None:
    with pytest.raises(LinkInvalid):
        _verify(_issue(signing_key="another-key-" * 4))
    with pytest.raises(LinkInvalid):
        _verify(_issue(links.LinkPurpose.video))
