"""The simulator's state file (R-PAY-3): what the provider keeps survives a restart of `make run`.

With `SimulatorConfig.state_file` set (`scripts/simulator.py --state-file`; `make run` uses
`.devpay/simulator-state.json`) the simulator loads the file at start and writes it again after
every request or background step that changed what it keeps (`SimulatorState.persist`). Without
it (tests) everything stays in memory and nothing is written.

Kept, as the real provider keeps them: checkout sessions and which ones the buyer approved,
charge permissions, charges, refunds, the stored answers of idempotency keys, queued charge
outcomes, the clock's setting (frozen instant, offset) and public keys registered through
`POST /_sim/keys` (keys given in the configuration are registered from it at every start and win
over a stored key of the same id). A refund still `RefundInitiated` is settled again after a
restart when settlement is `auto`, as the provider would finish it.

Not kept: injected faults, notifications (held, pending or their delivery history), background
tasks, the delivery and refund-settlement modes (they come from the configuration at start),
and the SNS signing certificate (a new one is generated at every start).

Objects are written with `model_dump(mode="json", by_alias=True)`, timestamps as ISO 8601 with
microseconds (the wire form has whole seconds only), so they read back exactly. The file is
replaced atomically (a temporary file in the same directory, then `os.replace`), so a crash
leaves the old or the new content, never half of it. A file that cannot be read or parsed is
moved aside to `<name>.corrupt` with a warning and the simulator starts empty.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

logger = logging.getLogger("manabi.payments.simulator")

STATE_VERSION = 1

M = TypeVar("M", bound=BaseModel)


def dump_model(model: BaseModel) -> dict[str, Any]:
    """The model as JSON (camelCase), timestamps in ISO 8601 with microseconds."""
    document = model.model_dump(mode="json", by_alias=True)
    _exact_timestamps(model, document)
    return document


def _exact_timestamps(model: BaseModel, document: dict[str, Any]) -> None:
    for name, field in type(model).model_fields.items():
        key = field.serialization_alias or field.alias or name
        value = getattr(model, name)
        if isinstance(value, datetime):
            document[key] = value.isoformat()
        elif isinstance(value, BaseModel):
            _exact_timestamps(value, document[key])
        elif isinstance(value, list):
            for item, item_document in zip(value, document[key], strict=True):
                if isinstance(item, BaseModel):
                    _exact_timestamps(item, item_document)


def load_models(model: type[M], items: Any, id_field: str) -> dict[str, M]:
    """`dump_model` documents back into models, by id, in their stored order."""
    if not isinstance(items, list):
        raise ValueError(f"expected a list of {model.__name__}")
    loaded = [model.model_validate(item) for item in items]
    return {getattr(item, id_field): item for item in loaded}


def text_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} must be a list of strings")
    return value


class StateFile:
    """One JSON file, written only when its content changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._written: str | None = None

    def read(self) -> dict[str, Any] | None:
        """The stored document; None if there is no file. Raises if it cannot be used."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
            raise ValueError(f"not a version {STATE_VERSION} simulator state")
        self._written = text
        return document

    def write(self, document: dict[str, Any]) -> None:
        text = json.dumps(document, ensure_ascii=False, indent=1)
        if text == self._written:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        self._written = text

    def set_aside(self) -> Path | None:
        """Move an unusable file to `<name>.corrupt` (best effort); where it went, if anywhere."""
        self._written = None
        target = self.path.with_name(self.path.name + ".corrupt")
        try:
            os.replace(self.path, target)
        except OSError:
            return None
        return target
