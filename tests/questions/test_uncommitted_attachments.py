"""R-QST-1: attachments are stored before the request's transaction commits; when it does not
commit after all (a later step raises, the commit itself fails) they are deleted from storage
again, so no file is left without its row. A committed question keeps its files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import set_clock
from app.models import Question, QuestionAttachment
from tests.questions.helpers import (
    JPEG,
    NOON,
    PDF,
    ask,
    count_attachments,
    count_questions,
    member_with_enrollment,
    stored_files,
)

pytestmark = pytest.mark.usefixtures("storage_root")

FILES = [("a.pdf", PDF), ("b.jpg", JPEG)]


async def test_r_qst_1_attachments_are_deleted_when_a_later_step_of_the_request_fails(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage_root: Path,
) -> None:
    """With an `Idempotency-Key`, the answer is saved after the question and its files: that
    step is refused by the database here (a trigger standing in for any later failure)."""
    await freeze_time(NOON)
    _, headers, enrollment = await member_with_enrollment(session, settings)
    await session.execute(
        text(
            "CREATE FUNCTION refuse_idempotent_answer() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
        )
    )
    await session.execute(
        text(
            "CREATE TRIGGER refuse_idempotent_answer BEFORE UPDATE ON idempotency_record "
            "FOR EACH ROW EXECUTE FUNCTION refuse_idempotent_answer()"
        )
    )
    await session.commit()  # visible to the request (the test's transaction still rolls back)

    response = await ask(client, enrollment, {**headers, "Idempotency-Key": "retry-1"}, files=FILES)

    assert response.status_code == 500, response.text
    assert response.json()["type"] == "internal-error"
    assert await count_questions(session) == 0
    assert await count_attachments(session) == 0
    assert stored_files(storage_root) == []


@pytest.fixture
async def attachment_rows_refused_at_commit(engine: AsyncEngine) -> AsyncIterator[None]:
    """A deferred constraint trigger: attachment rows insert fine and are refused by COMMIT."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE FUNCTION refuse_attachments_at_commit() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
            )
        )
        await connection.execute(
            text(
                "CREATE CONSTRAINT TRIGGER refuse_attachments_at_commit AFTER INSERT ON "
                "question_attachment DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION refuse_attachments_at_commit()"
            )
        )
    try:
        yield
    finally:
        async with engine.begin() as connection:
            await connection.execute(
                text("DROP TRIGGER refuse_attachments_at_commit ON question_attachment")
            )
            await connection.execute(text("DROP FUNCTION refuse_attachments_at_commit()"))


@pytest.mark.usefixtures("attachment_rows_refused_at_commit")
async def test_r_qst_1_attachments_are_deleted_when_the_commit_fails(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    storage_root: Path,
) -> None:
    async with committing_sessionmaker() as session:
        await set_clock(session, frozen_at=NOON, offset_seconds=0)
        _, headers, enrollment = await member_with_enrollment(session, settings)
        await session.commit()

    response = await ask(committing_client, enrollment, headers, files=FILES)

    assert response.status_code == 500, response.text
    async with committing_sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Question)) == 0
        assert await session.scalar(select(func.count()).select_from(QuestionAttachment)) == 0
    assert stored_files(storage_root) == []


async def test_r_qst_1_a_committed_question_keeps_its_files(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    storage_root: Path,
) -> None:
    async with committing_sessionmaker() as session:
        await set_clock(session, frozen_at=NOON, offset_seconds=0)
        _, headers, enrollment = await member_with_enrollment(session, settings)
        await session.commit()

    response = await ask(committing_client, enrollment, headers, files=FILES)

    assert response.status_code == 201, response.text
    async with committing_sessionmaker() as session:
        keys = set((await session.scalars(select(QuestionAttachment.storage_key))).all())
    assert len(keys) == 2
    assert {str(path.relative_to(storage_root)) for path in stored_files(storage_root)} == keys
