"""R-QST-1: a question or answer request over the body cap (`MAX_UPLOAD_BODY_BYTES`: three full
attachments and the text) is refused with one problem, 413 `attachment-too-large`, whether its
`Content-Length` declared the size or it streamed in chunked — before the rest is read, and
nothing is created or stored."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Question, QuestionStatus
from app.questions.rules import MAX_UPLOAD_BODY_BYTES
from tests.questions.helpers import (
    PDF,
    ask,
    count_attachments,
    count_questions,
    jst,
    member_with_enrollment,
    questions_path,
    staff_headers,
    stored_files,
)
from tests.questions.test_ask import DAY

pytestmark = pytest.mark.usefixtures("storage_root")

BOUNDARY = "manabi-body-cap"
CHUNK = 1024 * 1024
FILE_CHUNKS = MAX_UPLOAD_BODY_BYTES // CHUNK + 2  # one file alone is past the cap


@dataclass
class Upload:
    """A multipart body with one oversized PDF attachment, as chunks or as bytes."""

    fields: dict[str, str]
    sent_chunks: int = 0

    def _head(self) -> bytes:
        parts = [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in self.fields.items()
        ]
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; '
            'filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        return "".join(parts).encode()

    def _tail(self) -> bytes:
        return f"\r\n--{BOUNDARY}--\r\n".encode()

    async def chunks(self) -> AsyncIterator[bytes]:
        """No Content-Length: httpx sends the body as it is produced (chunked)."""
        self.sent_chunks += 1
        yield self._head() + PDF
        for _ in range(FILE_CHUNKS):
            self.sent_chunks += 1
            yield b"0" * CHUNK
        self.sent_chunks += 1
        yield self._tail()

    def whole(self) -> bytes:
        return self._head() + PDF + b"0" * (FILE_CHUNKS * CHUNK) + self._tail()


def multipart(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def assert_too_large(response: httpx.Response, *, language: str = "ja") -> None:
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "attachment-too-large"
    assert problem["status"] == 413
    assert problem["request_id"] == response.headers["x-request-id"]
    if language == "en":
        assert problem["detail"] == "At most 3 attachments of 10 MB each."
    else:
        assert problem["detail"] == "添付ファイルは3つまで、1つ10 MBまでです。"


async def test_r_qst_1_a_chunked_question_past_the_cap_is_a_problem_and_stores_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
) -> None:
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings)
    upload = Upload({"title": "第2章について", "body": "図3の意味がわかりません。"})

    response = await client.post(
        questions_path(enrollment), headers=multipart(headers), content=upload.chunks()
    )

    assert_too_large(response)
    assert upload.sent_chunks < FILE_CHUNKS  # cut off while it streamed in, not after
    assert await count_questions(session) == 0
    assert await count_attachments(session) == 0
    assert stored_files(storage_root) == []


async def test_r_qst_1_a_declared_length_past_the_cap_gets_the_same_problem(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
) -> None:
    """Was Starlette's plain-text "Content Too Large"; now the route's problem, in English
    when asked for."""
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings)
    body = Upload({"title": "第2章について", "body": "図3の意味がわかりません。"}).whole()

    response = await client.post(
        questions_path(enrollment),
        headers={**multipart(headers), "Accept-Language": "en"},
        content=body,
    )

    assert response.request.headers["content-length"] == str(len(body))
    assert_too_large(response, language="en")
    assert response.headers["content-language"] == "en"
    assert await count_questions(session) == 0
    assert stored_files(storage_root) == []


async def test_r_qst_7_a_chunked_service_question_past_the_cap_is_the_same_problem(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
) -> None:
    await freeze_time(jst(DAY))
    _, headers, _ = await member_with_enrollment(session, settings)
    upload = Upload({"title": "領収書について", "body": "再発行できますか。"})

    response = await client.post(
        "/api/v1/me/service-questions", headers=multipart(headers), content=upload.chunks()
    )

    assert_too_large(response)
    assert await count_questions(session) == 0
    assert stored_files(storage_root) == []


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
async def test_r_qst_1_a_staff_answer_past_the_cap_is_a_problem_and_leaves_the_question_open(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
    chunked: bool,
) -> None:
    """Staff answers follow the same limits (R-QST-1, R-QST-8)."""
    await freeze_time(jst(DAY))
    _, headers, enrollment = await member_with_enrollment(session, settings)
    asked = await ask(client, enrollment, headers)
    assert asked.status_code == 201, asked.text
    _, staff = await staff_headers(session, settings)
    upload = Upload({"body": "図3は売上高の推移です。"})

    response = await client.post(
        f"/api/v1/admin/questions/{asked.json()['id']}/answer",
        headers=multipart(staff),
        content=upload.chunks() if chunked else upload.whole(),
    )

    assert_too_large(response)
    question = await session.get(Question, uuid.UUID(asked.json()["id"]), populate_existing=True)
    assert question is not None and question.status is QuestionStatus.open
    assert await count_attachments(session) == 0
    assert stored_files(storage_root) == []
