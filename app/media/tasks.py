"""Background jobs of the media domain.

`delete_stored_object` removes a deleted material's or tool's bytes from storage. It is deferred
in the same transaction that deletes the row (`app.kit.jobs.defer_in_transaction`): if that
transaction rolls back, the file stays with its row; if it commits, the job runs and retries
until the storage answers. Deleting a missing object succeeds, so a retry is harmless.
"""

from __future__ import annotations

from app.media.storage import build_storage
from app.worker import app, worker_settings


@app.task(name="app.media.tasks.delete_stored_object", queue="default", retry=5)
async def delete_stored_object(key: str) -> None:
    storage = build_storage(worker_settings())
    try:
        await storage.delete(key)
    finally:
        close = getattr(storage, "aclose", None)
        if close is not None:
            await close()
