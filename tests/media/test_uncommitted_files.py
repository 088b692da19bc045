"""Stored files follow the transaction that records them (`app.media.uncommitted`): a file put
during a transaction that does not commit is deleted again, a committed one stays. Used by
question attachments (R-QST-1, tests/questions/test_uncommitted_attachments.py) and the leave
proof (R-ENR-17, here through the API), with the real local-disk storage."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.config import Settings
from app.enrollments.service import open_grant
from app.kit.calendar import JST
from app.media.storage.local import LocalDiskStorage
from app.media.uncommitted import (
    delete_unless_committed,
    delete_when_committed,
    put_with_transaction,
)
from app.models import Enrollment, Role
from app.models.question import Question
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import bearer_for, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def stored(storage: LocalDiskStorage) -> set[str]:
    return {
        str(path.relative_to(storage.root)) for path in storage.root.rglob("*") if path.is_file()
    }


async def put(session: AsyncSession, storage: LocalDiskStorage, key: str) -> None:
    await put_with_transaction(session, storage, key, PDF, content_type="application/pdf")


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions as the app's: their commit and rollback behave as in production (savepoints
    inside the test's rolled-back transaction)."""
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


async def test_r_qst_1_r_enr_17_a_rolled_back_transaction_deletes_its_files_a_committed_one_keeps_them(
    sessionmaker: async_sessionmaker[AsyncSession], storage: LocalDiskStorage
) -> None:
    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        await put(session, storage, "proofs/kept")
        await session.commit()
        await put(session, storage, "proofs/dropped")  # the next transaction (autobegun later)
        assert stored(storage) == {"proofs/kept", "proofs/dropped"}
        await session.execute(text("SELECT 1"))
        await session.rollback()
        assert stored(storage) == {"proofs/kept"}
        await session.rollback()  # nothing left to decide: the committed file stays
    assert stored(storage) == {"proofs/kept"}


async def test_r_qst_1_r_enr_17_a_failed_commit_deletes_the_files(
    sessionmaker: async_sessionmaker[AsyncSession], storage: LocalDiskStorage
) -> None:
    """The rows are flushed by the commit itself and refused (a foreign key here): the file put
    before is gone once the session ends."""
    async with sessionmaker() as session:
        await put(session, storage, "questions/orphan")
        session.add(
            Question(id=uuid.uuid4(), user_id=uuid.uuid4(), title="t", body="b", kind="service")
        )
        with pytest.raises(IntegrityError):
            await session.commit()
    assert stored(storage) == set()


async def test_r_qst_1_r_enr_17_a_savepoint_decides_for_its_own_files(
    sessionmaker: async_sessionmaker[AsyncSession], storage: LocalDiskStorage
) -> None:
    """A rolled-back savepoint deletes what was stored inside it; a released one leaves the
    decision to the enclosing transaction."""
    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        await put(session, storage, "outer")
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await put(session, storage, "inner-refused")
                raise RuntimeError("a step inside the savepoint failed")
        assert stored(storage) == {"outer"}
        async with session.begin_nested():
            await put(session, storage, "inner-released")
        assert stored(storage) == {"outer", "inner-released"}
        await session.rollback()
    assert stored(storage) == set()


async def test_r_con_2_a_replaced_file_is_deleted_only_when_the_replacement_commits(
    sessionmaker: async_sessionmaker[AsyncSession], storage: LocalDiskStorage
) -> None:
    """`delete_when_committed`: a failed replacement keeps the old file (and drops the new one);
    a committed one deletes the old file; a rolled-back savepoint keeps it too."""
    await storage.put("videos/a.old", b"old", content_type="video/mp4")
    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        await put(session, storage, "videos/a.failed")
        delete_when_committed(session, storage, "videos/a.old")
        await session.rollback()
        assert stored(storage) == {"videos/a.old"}

        await session.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                delete_when_committed(session, storage, "videos/a.old")
                raise RuntimeError("the replacement inside the savepoint failed")
        await put(session, storage, "videos/a.new")
        delete_when_committed(session, storage, "videos/a.old")
        assert stored(storage) == {"videos/a.old", "videos/a.new"}
        await session.commit()
    assert stored(storage) == {"videos/a.new"}


class UndeletableStorage(LocalDiskStorage):
    async def delete(self, key: str) -> None:
        raise OSError("storage unavailable")


async def test_r_qst_1_r_enr_17_a_failed_deletion_is_logged_never_raised(
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = UndeletableStorage(tmp_path)
    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        delete_unless_committed(session, storage, "proofs/stuck")
        await session.rollback()  # does not raise
    records = [r for r in caplog.records if r.name == "manabi.media.uncommitted"]
    assert [r.levelno for r in records] == [logging.ERROR]
    assert records[0].storage_key == "proofs/stuck"  # type: ignore[attr-defined]


# --- R-ENR-17: the leave-of-absence proof, through the API ------------------------------------


async def _staff_and_running_enrollment(
    session: AsyncSession, settings: Settings, freeze_time: Callable[[datetime], Awaitable[None]]
) -> tuple[dict[str, str], Enrollment]:
    """An enrollment 2026-12-01 … 2027-05-31, on 2027-03-01 (well before the leave deadline)."""
    now = datetime(2027, 3, 1, 10, tzinfo=JST)
    await freeze_time(now)
    course, course_settings = await make_correspondence_course(session)
    learner = await make_user(session)
    enrollment = await make_enrollment(
        session, learner, course, course_settings, accepted_on=date(2026, 11, 20)
    )
    await open_grant(session, enrollment, granted_by_user_id=None)
    staff = await make_user(session, role=Role.staff)
    return await bearer_for(session, staff, settings, now=now), enrollment


async def _apply(
    client: httpx.AsyncClient, headers: dict[str, str], enrollment: Enrollment
) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/enrollments/{enrollment.id}/leave",
        headers=headers,
        data={"reason": "illness_or_injury", "months": "3"},
        files={"file": ("proof.pdf", PDF, "application/pdf")},
    )


async def test_r_enr_17_a_leave_request_that_fails_after_storing_the_proof_deletes_it(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    """The enrollment update after the put is refused by the database (a trigger standing in
    for any later failure): 500, the enrollment unchanged, and no proof left in storage."""
    headers, enrollment = await _staff_and_running_enrollment(session, settings, freeze_time)
    await session.execute(
        text(
            "CREATE FUNCTION refuse_leave_proof() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
        )
    )
    await session.execute(
        text(
            "CREATE TRIGGER refuse_leave_proof BEFORE UPDATE ON enrollment FOR EACH ROW "
            "WHEN (NEW.leave_proof_key IS NOT NULL) EXECUTE FUNCTION refuse_leave_proof()"
        )
    )
    await session.commit()  # visible to the request (the test's transaction still rolls back)

    response = await _apply(client, headers, enrollment)

    assert response.status_code == 500, response.text
    assert response.json()["type"] == "internal-error"
    row = await session.scalar(
        select(Enrollment)
        .where(Enrollment.id == enrollment.id)
        .execution_options(populate_existing=True)
    )
    assert row is not None and row.leave_months == 0 and row.leave_proof_key is None
    assert stored(storage) == set()


async def test_r_enr_17_a_granted_leave_keeps_its_proof(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    freeze_time,  # type: ignore[no-untyped-def]
    storage: LocalDiskStorage,
) -> None:
    headers, enrollment = await _staff_and_running_enrollment(session, settings, freeze_time)

    response = await _apply(client, headers, enrollment)

    assert response.status_code == 200, response.text
    assert response.json()["leave"]["has_proof"] is True
    row = await session.scalar(
        select(Enrollment)
        .where(Enrollment.id == enrollment.id)
        .execution_options(populate_existing=True)
    )
    assert row is not None and row.leave_proof_key is not None
    assert stored(storage) == {row.leave_proof_key}
