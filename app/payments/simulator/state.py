"""Everything one running simulator holds (R-PAY-3): config, clock, store, notifier, signer,
registered keys, injected faults and background tasks (refund settlement, deliveries).

With a state file (`persistence.py`) the part a real provider keeps is loaded at start and
written after every change (`persist`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from app.payments.provider.objects import RefundState
from app.payments.provider.signing import load_public_key
from app.payments.simulator.certificates import SnsSigner
from app.payments.simulator.checkout import SimulatorStore
from app.payments.simulator.config import SimulatorClock, SimulatorConfig
from app.payments.simulator.notifier import Notifier
from app.payments.simulator.persistence import STATE_VERSION, StateFile

logger = logging.getLogger("manabi.payments.simulator")

FAULT_REASONS = {
    408: "RequestTimeout",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class Fault:
    """Answer the next `remaining` matching provider calls with `status`.

    `when="before"`: the call is not processed. `when="after"`: it is processed (and its answer
    stored under its idempotency key) but the answer is lost, as on a timeout.
    """

    status: int
    remaining: int
    path_prefix: str = "/v2/"
    method: str | None = None
    when: str = "before"
    retry_after: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and path.startswith(self.path_prefix)
            and (self.method is None or self.method.upper() == method.upper())
        )

    def body(self) -> dict[str, str]:
        reason = FAULT_REASONS.get(self.status, "ServiceUnavailable")
        return {"reasonCode": reason, "message": "injected by the simulator"}


class SimulatorState:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.clock = SimulatorClock()
        self.signer = SnsSigner(region=config.sns_region)
        self.notifier = Notifier(config, self.signer, self.clock)
        self.store = SimulatorStore(
            self.clock,
            on_change=self.notifier.publish,
            release_environment=config.release_environment,
        )
        self.public_keys: dict[str, Any] = {}
        self.public_key_pems: dict[str, str] = {}
        for key_id, pem in config.public_keys.items():
            self.register_key(key_id, pem)
        self.faults: list[Fault] = []
        self.refund_settlement = config.refund_settlement
        self.refund_settle_delay_seconds = config.refund_settle_delay_seconds
        self._tasks: set[asyncio.Task[None]] = set()
        self.state_file = StateFile(config.state_file) if config.state_file else None
        self._load()

    def register_key(self, public_key_id: str, public_key_pem: str) -> None:
        self.public_keys[public_key_id] = load_public_key(public_key_pem)
        self.public_key_pems[public_key_id] = public_key_pem

    # --- State file (persistence.py) -----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What a restart keeps: the store, the clock's setting, keys registered at run time."""
        return {
            "version": STATE_VERSION,
            "store": self.store.snapshot(),
            "clock": self.clock.snapshot(),
            "publicKeys": {
                key_id: pem
                for key_id, pem in self.public_key_pems.items()
                if key_id not in self.config.public_keys
            },
        }

    def restore(self, document: dict[str, Any]) -> None:
        """Take a `snapshot()` back; raises (changing nothing) if it is not one."""
        keys = document["publicKeys"]
        if not isinstance(keys, dict):
            raise ValueError("publicKeys must be an object")
        loaded = {key_id: (load_public_key(pem), pem) for key_id, pem in keys.items()}
        clock = SimulatorClock()
        clock.restore(document["clock"])
        self.store.restore(document["store"])
        self.clock.set(frozen_at=clock.frozen_at, offset_seconds=clock.offset_seconds)
        for key_id, (key, pem) in loaded.items():
            if key_id not in self.config.public_keys:  # the configuration's own keys win
                self.public_keys[key_id] = key
                self.public_key_pems[key_id] = pem

    def _load(self) -> None:
        if self.state_file is None:
            return
        try:
            document = self.state_file.read()
            if document is not None:
                self.restore(document)
        except Exception as error:  # never keep the simulator (and `make run`) from starting
            kept = self.state_file.set_aside()
            logger.warning(
                "the simulator's state file %s cannot be used (%s: %s); starting empty%s",
                self.state_file.path,
                type(error).__name__,
                error,
                f", the old file is kept as {kept}" if kept else "",
            )

    def persist(self) -> None:
        """Write the state file if what it keeps changed (nothing without a state file)."""
        if self.state_file is None:
            return
        try:
            self.state_file.write(self.snapshot())
        except OSError as error:
            logger.warning(
                "the simulator could not write its state file %s: %s", self.state_file.path, error
            )

    def resume(self) -> None:
        """After a restart: refunds still settling are settled (auto mode), as the provider would."""
        for refund in list(self.store.refunds.values()):
            if refund.state is RefundState.refund_initiated:
                self.settle_refund_later(refund.refund_id)

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                return fault
        return None

    def schedule(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def settle_refund_later(self, refund_id: str) -> None:
        if self.refund_settlement != "auto":
            return

        async def settle() -> None:
            if self.refund_settle_delay_seconds > 0:
                await asyncio.sleep(self.refund_settle_delay_seconds)
            self.store.settle_refund(refund_id)
            self.persist()

        self.schedule(settle())

    async def wait_idle(self, timeout_seconds: float) -> bool:
        """Wait until no settlement or delivery is in flight; False if the timeout passed."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            pending = set(self._tasks) | self.notifier.in_flight
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await asyncio.wait(pending, timeout=remaining)

    def reset_modes(self) -> None:
        """Back to the configured modes: notifications, faults, outcomes, clock, settlement."""
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self.notifier.clear()
        self.notifier.reset_modes()
        self.faults.clear()
        self.store.reset_outcomes()
        self.clock.set(frozen_at=None, offset_seconds=0)
        self.refund_settlement = self.config.refund_settlement
        self.refund_settle_delay_seconds = self.config.refund_settle_delay_seconds

    def reset_all(self) -> None:
        self.reset_modes()
        self.store.reset_objects()

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.notifier.aclose()
