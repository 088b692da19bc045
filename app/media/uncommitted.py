"""Stored files follow the transaction that records them (R-QST-1 attachments, R-ENR-17 proofs).

A file is put in storage before the transaction that adds its row commits (the bytes must be
there once the row is visible). When that transaction does not commit after all — a later step
raised, the commit itself failed, the request was refused — the file would stay in storage with
no row naming it. `put_with_transaction(session, storage, key, source, content_type=...)` puts
the file and ties its key to the session's transaction (`delete_unless_committed` only ties, for
a put of one's own): if the transaction ends without committing, the key is deleted. The mirror,
`delete_when_committed`, removes a file the transaction replaced (a row now names a new key) only
once that transaction has committed, so a failed replacement keeps the old file in service.

How: listeners on the session's sync `Session` (added with its first key) on SQLAlchemy's
transaction events. A key belongs to the innermost transaction open when it was registered:

- that transaction commits: at the outermost level the file is kept; a released savepoint hands
  its keys to the enclosing transaction;
- it ends any other way (rollback, a failed commit, the session closed without committing; a
  savepoint rolled back): its keys are deleted.

The deletion runs where the transaction ends — for a request, the rollback or close of the
request session in `app.db`, before the response is sent. SQLAlchemy runs those in its greenlet,
so the storage's async `delete` is awaited there (`await_only`); outside one (a plain sync
`Session`) it is scheduled on the running loop. A failed deletion is logged with its key and
never raised: the request's own outcome stands, and the orphan is left for an operator.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import event
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

from app.media.storage import Storage

logger = logging.getLogger("manabi.media.uncommitted")

_INFO_KEY = "manabi.media.uncommitted"
_background: set[asyncio.Task[None]] = set()


@dataclass
class _Stored:
    storage: Storage
    key: str
    transaction: SessionTransaction | None
    """The innermost transaction when it was registered; None: the next outermost one."""
    on_commit: bool = False
    """False: delete unless the transaction commits (a new file); True: delete only when it
    commits (a file the transaction replaced)."""


@dataclass
class _Tracker:
    stored: list[_Stored] = field(default_factory=list)
    committing: SessionTransaction | None = None


async def put_with_transaction(
    session: AsyncSession,
    storage: Storage,
    key: str,
    source: bytes | IO[bytes],
    *,
    content_type: str,
) -> None:
    """`storage.put`, deleted again unless the session's transaction commits. Registered before
    the put, so a put that fails half-way is cleaned up as well (`delete` is idempotent)."""
    delete_unless_committed(session, storage, key)
    await storage.put(key, source, content_type=content_type)


def delete_unless_committed(session: AsyncSession, storage: Storage, key: str) -> None:
    """Delete `key` from `storage` when the session's current transaction ends uncommitted."""
    _track(session, _Stored(storage, key, None))


def delete_when_committed(session: AsyncSession, storage: Storage, key: str) -> None:
    """Delete `key` from `storage` once the session's current transaction has committed (the
    file it replaced); if the transaction does not commit, the file stays."""
    _track(session, _Stored(storage, key, None, on_commit=True))


def _track(session: AsyncSession, stored: _Stored) -> None:
    sync = session.sync_session
    tracker = sync.info.get(_INFO_KEY)
    if not isinstance(tracker, _Tracker):
        tracker = _Tracker()
        sync.info[_INFO_KEY] = tracker
        event.listen(sync, "after_commit", _after_commit)
        event.listen(sync, "after_transaction_end", _after_transaction_end)
    stored.transaction = sync.get_nested_transaction() or sync.get_transaction()
    tracker.stored.append(stored)


def _after_commit(session: Session) -> None:
    """Fires for the outermost transaction and for savepoints; the committing one is the
    innermost open (inner ones are committed and closed first)."""
    tracker: _Tracker = session.info[_INFO_KEY]
    tracker.committing = session.get_nested_transaction() or session.get_transaction()


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    tracker: _Tracker = session.info[_INFO_KEY]
    committed = transaction is tracker.committing
    if committed:
        tracker.committing = None
    outermost = transaction.parent is None
    remaining: list[_Stored] = []
    doomed: list[_Stored] = []
    for stored in tracker.stored:
        owner = stored.transaction
        if owner is not transaction and not (owner is None and outermost):
            remaining.append(stored)  # another transaction's (flushes end subtransactions too)
        elif committed and not outermost:
            stored.transaction = transaction.parent  # a released savepoint: the outer one decides
            remaining.append(stored)
        elif committed == stored.on_commit:
            doomed.append(stored)
    tracker.stored = remaining
    if doomed:
        _run(doomed)


async def _delete(doomed: list[_Stored]) -> None:
    for stored in doomed:
        try:
            await stored.storage.delete(stored.key)
        except Exception:
            logger.exception("uncommitted file not deleted", extra={"storage_key": stored.key})
        else:
            logger.info("uncommitted file deleted", extra={"storage_key": stored.key})


def _run(doomed: list[_Stored]) -> None:
    deletion = _delete(doomed)
    try:
        await_only(deletion)
        return
    except MissingGreenlet:
        deletion.close()  # not in SQLAlchemy's greenlet: nothing was awaited
    try:
        task = asyncio.get_running_loop().create_task(_delete(doomed))
    except RuntimeError:
        keys = [stored.key for stored in doomed]
        logger.error("uncommitted files not deleted (no event loop)", extra={"storage_keys": keys})
        return
    _background.add(task)
    task.add_done_callback(_background.discard)
