"""Configuration and clock of the provider simulator (R-PAY-3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


@dataclass
class SimulatorConfig:
    merchant_id: str = "MANABIDEVMERCHANT"
    topic_arn: str = "arn:aws:sns:ap-northeast-1:000000000000:manabi-dev-ipn"
    sns_region: str = "ap-northeast-1"
    webhook_url: str | None = None
    public_keys: dict[str, str] = field(default_factory=dict)  # PublicKeyId -> public PEM
    notification_mode: str = "push"  # push | hold
    signature_version: str = "2"
    delivery_max_attempts: int = 5
    delivery_backoff_seconds: float = 1.0
    delivery_timeout_seconds: float = 10.0
    refund_settlement: str = "auto"  # auto | manual
    refund_settle_delay_seconds: float = 0.0
    release_environment: str = "Sandbox"
    state_file: Path | None = None  # None: in memory only; else kept there (see persistence.py)


class SimulatorClock:
    """Real time by default; `frozen_at` stops it, `offset_seconds` shifts it, so the simulator's
    timestamps can follow the app's test clock."""

    def __init__(self) -> None:
        self.frozen_at: datetime | None = None
        self.offset_seconds = 0.0

    def set(self, *, frozen_at: datetime | None, offset_seconds: float) -> None:
        if frozen_at is not None and frozen_at.tzinfo is None:
            frozen_at = frozen_at.replace(tzinfo=UTC)
        self.frozen_at = frozen_at
        self.offset_seconds = offset_seconds

    def snapshot(self) -> dict[str, Any]:
        frozen_at = self.frozen_at.isoformat() if self.frozen_at is not None else None
        return {"frozenAt": frozen_at, "offsetSeconds": self.offset_seconds}

    def restore(self, document: dict[str, Any]) -> None:
        frozen_at = document["frozenAt"]
        offset_seconds = document["offsetSeconds"]
        if not isinstance(offset_seconds, int | float) or isinstance(offset_seconds, bool):
            raise ValueError("offsetSeconds must be a number")
        self.set(
            frozen_at=datetime.fromisoformat(frozen_at) if frozen_at is not None else None,
            offset_seconds=float(offset_seconds),
        )

    def now(self) -> datetime:
        if self.frozen_at is not None:
            return self.frozen_at
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)
