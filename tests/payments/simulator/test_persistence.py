"""R-PAY-3: the simulator plays the provider faithfully across restarts: with a state file, a new
simulator continues with the objects, idempotency answers, queued outcomes and clock of the old."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.payments.provider.client import ProviderClient
from app.payments.provider.objects import ChargeState, CheckoutSessionState, RefundState
from app.payments.provider.signing import generate_key_pair
from app.payments.simulator import SimulatorConfig, create_simulator_app
from app.payments.simulator.state import SimulatorState
from tests.payments.simulator.test_control import load_script

KEY_ID = "SANDBOX-PERSIST-TEST"
RETURN_URL = "http://127.0.0.1:3000/checkout/return"
PRIVATE_PEM, PUBLIC_PEM = generate_key_pair()


def simulator_app(state_file: Path | None, **overrides: Any) -> FastAPI:
    values: dict[str, Any] = {
        "public_keys": {KEY_ID: PUBLIC_PEM},
        "notification_mode": "hold",
        "refund_settlement": "manual",
        "state_file": state_file,
    }
    values.update(overrides)
    return create_simulator_app(SimulatorConfig(**values))


def state_of(app: FastAPI) -> SimulatorState:
    state: SimulatorState = app.state.simulator
    return state


def transport(app: FastAPI) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))


@asynccontextmanager
async def clients(
    app: FastAPI, *, private_key_pem: str = PRIVATE_PEM, key_id: str = KEY_ID
) -> AsyncIterator[tuple[ProviderClient, httpx.AsyncClient]]:
    """The adapter (signed `/v2`) and a plain client for `/_sim`, both over ASGI."""
    provider = ProviderClient(
        base_url="http://sim/v2",
        public_key_id=key_id,
        private_key_pem=private_key_pem,
        store_id="amzn1.application-oa2-client.persisttest",
        transport=transport(app),
        max_attempts=1,
    )
    async with provider, httpx.AsyncClient(transport=transport(app), base_url="http://sim") as sim:
        yield provider, sim


async def control(sim: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    response = await sim.request(method, f"/_sim{path}", json=body)
    response.raise_for_status()
    return response.json()


async def approved_session(provider: ProviderClient, sim: httpx.AsyncClient, key: str) -> str:
    session = await provider.create_checkout_session(
        recurring=True,
        amount_jpy=980,
        merchant_reference_id=f"M-{key}",
        return_url=RETURN_URL,
        idempotency_key=key,
        charge_now=True,
    )
    await control(sim, "POST", f"/checkoutSessions/{session.checkout_session_id}/approve")
    return session.checkout_session_id


def stored_document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


@pytest.fixture
def simulator_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog on the simulator's logger itself (the app's logging config stops propagation)."""
    logger = logging.getLogger("manabi.payments.simulator")
    logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


async def test_r_pay_3_a_new_simulator_continues_from_the_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "simulator-state.json"
    first = simulator_app(path)
    async with clients(first) as (provider, sim):
        await control(sim, "PUT", "/clock", {"offsetSeconds": 3600.25})
        session_id = await approved_session(provider, sim, "persist-checkout-1")
        completed = await provider.complete_checkout_session(session_id, amount_jpy=980)
        permission_id, charge_id = completed.charge_permission_id, completed.charge_id
        assert permission_id is not None and charge_id is not None
        refund = await provider.create_refund(
            charge_id=charge_id, amount_jpy=300, idempotency_key="persist-refund-1"
        )
        await control(
            sim,
            "POST",
            f"/chargePermissions/{permission_id}/outcomes",
            {"outcomes": ["SoftDeclined"]},
        )
        pending_id = await approved_session(provider, sim, "persist-checkout-2")
        ids = [session_id, permission_id, charge_id, refund.refund_id, pending_id]
        before = {
            object_id: await control(sim, "GET", f"/objects/{object_id}") for object_id in ids
        }

        # Written atomically after each change, and only after a change.
        assert [item.name for item in path.parent.iterdir()] == [path.name]
        inode = path.stat().st_ino
        await control(sim, "GET", "/notifications")
        await provider.get_charge(charge_id)
        assert path.stat().st_ino == inode
    old = state_of(first).store

    second = simulator_app(path)
    new = state_of(second).store
    assert new.permissions == old.permissions
    assert new.charges == old.charges
    assert new.refunds == old.refunds
    assert new.sessions == old.sessions
    stamp = new.charges[charge_id].status_details.last_updated_timestamp
    assert stamp == old.charges[charge_id].status_details.last_updated_timestamp
    assert stamp.tzinfo is not None
    assert state_of(second).clock.offset_seconds == 3600.25
    assert state_of(second).clock.frozen_at is None

    async with clients(second) as (provider, sim):
        after = {object_id: await control(sim, "GET", f"/objects/{object_id}") for object_id in ids}
        assert after == before

        # The same idempotency keys replay the same answers; nothing new is created.
        replayed = await provider.create_refund(
            charge_id=charge_id, amount_jpy=300, idempotency_key="persist-refund-1"
        )
        assert replayed.refund_id == refund.refund_id
        again = await provider.create_checkout_session(
            recurring=True,
            amount_jpy=980,
            merchant_reference_id="M-persist-checkout-1",
            return_url=RETURN_URL,
            idempotency_key="persist-checkout-1",
            charge_now=True,
        )
        assert again.checkout_session_id == session_id
        assert len(new.refunds) == 1 and len(new.sessions) == 2

        # The permission is charged again; the queued outcome comes first.
        declined = await provider.create_charge(
            charge_permission_id=permission_id,
            amount_jpy=980,
            merchant_reference_id="M-renewal",
            idempotency_key="persist-charge-1",
        )
        assert declined.state is ChargeState.declined
        assert declined.reason_code == "SoftDeclined"
        renewed = await provider.create_charge(
            charge_permission_id=permission_id,
            amount_jpy=980,
            merchant_reference_id="M-renewal",
            idempotency_key="persist-charge-2",
        )
        assert renewed.state is ChargeState.captured

        # The approval survived: the second checkout completes; the refund settles.
        pending = await provider.complete_checkout_session(pending_id, amount_jpy=980)
        assert pending.state is CheckoutSessionState.completed
        settled = await control(sim, "POST", f"/refunds/{refund.refund_id}/settle", {})
        assert settled["statusDetails"]["state"] == "Refunded"
        charge = await provider.get_charge(charge_id)
        assert charge.refunded_jpy == 300

    third = state_of(simulator_app(path)).store
    assert third.refunds[refund.refund_id].state is RefundState.refunded
    assert set(third.charges) == {
        charge_id,
        declined.charge_id,
        renewed.charge_id,
        pending.charge_id,
    }


async def test_r_pay_3_frozen_clock_and_run_time_keys_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "simulator-state.json"
    frozen = datetime(2027, 3, 10, 1, 2, 3, 456789, tzinfo=UTC)
    other_private, other_public = generate_key_pair()
    first = simulator_app(path)
    async with clients(first) as (_provider, sim):
        await control(sim, "PUT", "/clock", {"frozenAt": frozen.isoformat()})
        await control(
            sim, "POST", "/keys", {"publicKeyId": "SANDBOX-LATER", "publicKeyPem": other_public}
        )

    second = simulator_app(path)
    assert state_of(second).clock.now() == frozen
    async with clients(second, private_key_pem=other_private, key_id="SANDBOX-LATER") as (
        provider,
        sim,
    ):
        assert datetime.fromisoformat((await control(sim, "GET", "/clock"))["now"]) == frozen
        session = await provider.create_checkout_session(
            recurring=False,
            amount_jpy=4400,
            merchant_reference_id="M-LATER-KEY",
            return_url=RETURN_URL,
            idempotency_key="later-key-1",
        )
    assert session.status_details.last_updated_timestamp == frozen.replace(microsecond=0)
    assert stored_document(path)["publicKeys"] == {"SANDBOX-LATER": other_public}


async def test_r_pay_3_reset_with_objects_empties_the_state_file(tmp_path: Path) -> None:
    path = tmp_path / "simulator-state.json"
    app = simulator_app(path)
    async with clients(app) as (provider, sim):
        session_id = await approved_session(provider, sim, "reset-checkout-1")
        await control(sim, "PUT", "/clock", {"offsetSeconds": 60})
        await control(sim, "POST", "/reset", {})  # modes only: objects stay, clock is reset
        kept = stored_document(path)
        assert [item["checkoutSessionId"] for item in kept["store"]["checkoutSessions"]] == [
            session_id
        ]
        assert kept["clock"] == {"frozenAt": None, "offsetSeconds": 0.0}

        await control(sim, "POST", "/reset", {"objects": True})
    emptied = stored_document(path)["store"]
    assert emptied["checkoutSessions"] == []
    assert emptied["approvedCheckoutSessions"] == []
    assert emptied["idempotency"] == []
    assert state_of(simulator_app(path)).store.sessions == {}


async def test_r_pay_3_a_refund_left_settling_settles_after_a_restart(tmp_path: Path) -> None:
    """The settlement task is not kept, but the provider finishes the refund: auto mode resumes
    it at startup."""
    path = tmp_path / "simulator-state.json"
    first = simulator_app(path)  # manual settlement: the refund stays RefundInitiated
    async with clients(first) as (provider, sim):
        session_id = await approved_session(provider, sim, "resume-checkout-1")
        completed = await provider.complete_checkout_session(session_id, amount_jpy=980)
        assert completed.charge_id is not None
        refund = await provider.create_refund(
            charge_id=completed.charge_id, amount_jpy=980, idempotency_key="resume-refund-1"
        )
    assert refund.state is RefundState.refund_initiated

    second = simulator_app(path, refund_settlement="auto")
    async with second.router.lifespan_context(second):
        assert await state_of(second).wait_idle(5)
    assert state_of(second).store.refunds[refund.refund_id].state is RefundState.refunded
    stored = stored_document(path)["store"]["refunds"]
    assert [item["statusDetails"]["state"] for item in stored] == ["Refunded"]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"version": 99}',
        b'{"version": 1, "store": {"checkoutSessions": [{"checkoutSessionId": 1}]}}',
    ],
    ids=["not-json", "not-utf8", "not-an-object", "other-version", "invalid-objects"],
)
async def test_r_pay_3_an_unusable_state_file_starts_empty_with_a_warning(
    tmp_path: Path, simulator_warnings: pytest.LogCaptureFixture, content: bytes
) -> None:
    path = tmp_path / "simulator-state.json"
    path.write_bytes(content)
    app = simulator_app(path)
    store = state_of(app).store
    assert (store.sessions, store.permissions, store.charges, store.idempotency) == ({}, {}, {}, {})
    warnings = [
        record
        for record in simulator_warnings.records
        if record.name == "manabi.payments.simulator" and record.levelno == logging.WARNING
    ]
    assert warnings and str(path) in warnings[0].getMessage()
    assert (tmp_path / "simulator-state.json.corrupt").read_bytes() == content

    async with clients(app) as (provider, sim):  # it serves, and writes a fresh file
        await approved_session(provider, sim, "after-corrupt-1")
    assert len(stored_document(path)["store"]["checkoutSessions"]) == 1


def test_r_pay_3_in_memory_by_default_and_state_file_option() -> None:
    """Tests (and the session simulator) write nothing; the script takes `--state-file`."""
    assert SimulatorConfig().state_file is None
    assert state_of(create_simulator_app(SimulatorConfig())).state_file is None
    script = load_script()
    settings = script.Settings()
    assert script.parse_args([], settings).state_file is None
    args = script.parse_args(["--state-file", ".devpay/simulator-state.json"], settings)
    assert args.state_file == Path(".devpay/simulator-state.json")
