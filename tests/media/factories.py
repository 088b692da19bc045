"""Real files for media tests (a tiny valid PDF, OOXML packages, MP4/WebM heads) and rows."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Course, Lesson, LessonKind, Role, User
from tests.factories import bearer_for, make_course, make_user


def pdf_bytes(text: str = "Manabi") -> bytes:
    """A minimal but valid one-page PDF (correct xref offsets)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
)


def _entry(name: str) -> zipfile.ZipInfo:
    """A fixed timestamp: the same factory call gives the same bytes (tests compare them)."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _ooxml(part: str, content_type: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            _entry("[Content_Types].xml"), _CT.format(part=part, content_type=content_type)
        )
        archive.writestr(_entry(part), "<root/>")
        for name, data in (extra or {}).items():
            archive.writestr(_entry(name), data)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    return _ooxml(
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    )


def xlsm_bytes() -> bytes:
    return _ooxml(
        "xl/workbook.xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        extra={"xl/vbaProject.bin": b"\x00macro"},
    )


def docx_bytes() -> bytes:
    return _ooxml(
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    )


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_entry("readme.txt"), "hello")
    return buffer.getvalue()


def mp4_bytes(size: int = 4096) -> bytes:
    """An `ftyp` box (what identifies MP4) followed by filler bytes 0..255 repeating."""
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    body = bytes(index % 256 for index in range(size - len(head)))
    return head + body


def webm_bytes() -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 100


def path_of(url: str) -> str:
    """The path of an absolute link (the app is reached through the ASGI test client)."""
    return urlsplit(url).path


async def staff_headers(
    session: AsyncSession, settings: Settings, now: datetime
) -> tuple[User, dict[str, str]]:
    staff = await make_user(session, role=Role.staff)
    return staff, await bearer_for(session, staff, settings, now=now)


async def make_lesson(
    session: AsyncSession,
    course: Course,
    *,
    kind: LessonKind = LessonKind.exercise,
    position: int | None = None,
    video_asset_id: str | None = "asset-intro",
) -> Lesson:
    lesson = Lesson(
        id=uuid.uuid4(),
        course_id=course.id,
        position=position if position is not None else 0,
        kind=kind,
        title="演習",
        description="",
        video_asset_id=None if kind is LessonKind.test else video_asset_id,
        duration_seconds=None if kind is LessonKind.test else 600,
    )
    session.add(lesson)
    await session.flush()
    return lesson


async def course_with_lesson(
    session: AsyncSession, *, is_published: bool = True, kind: LessonKind = LessonKind.exercise
) -> tuple[Course, Lesson]:
    course = await make_course(session, is_published=is_published)
    return course, await make_lesson(session, course, kind=kind)


async def upload_material(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    lesson_id: uuid.UUID,
    data: bytes,
    *,
    filename: str = "レジュメ第1回.pdf",
    title: str = "第1回レジュメ",
    content_type: str = "application/pdf",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/lessons/{lesson_id}/materials",
        headers=headers,
        data={"title": title, "description": "講義の要点"},
        files={"file": (filename, data, content_type)},
    )


async def upload_tool(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    data: bytes,
    *,
    filename: str,
    category: str = "template",
    title: str = "業務改善シート",
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(
        "/api/v1/admin/tools",
        headers=headers,
        data={"title": title, "category": category},
        files={"file": (filename, data, content_type)},
    )
