"""R-PAY-3: the simulator's control API and entry point."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from app.config import Settings
from app.payments.provider.errors import ProviderRejected
from app.payments.provider.objects import CheckoutSessionState
from app.payments.provider.signing import generate_key_pair
from app.payments.simulator import SimulatorConfig, create_simulator_app
from tests.payments.simulator_client import SimulatorHandle

ROOT = Path(__file__).resolve().parents[3]


async def test_r_pay_3_control_api_answers_loopback_only() -> None:
    app = create_simulator_app(SimulatorConfig())
    outsider = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))
    async with httpx.AsyncClient(transport=outsider, base_url="http://sim") as client:
        refused = await client.post("/_sim/reset", json={})
    assert refused.status_code == 403
    local = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=local, base_url="http://sim") as client:
        assert (await client.post("/_sim/reset", json={})).status_code == 200


async def test_r_pay_3_buyer_page_approves_and_redirects_back(sim: SimulatorHandle) -> None:
    async with sim.provider() as provider:
        session = await provider.create_checkout_session(
            recurring=True,
            amount_jpy=980,
            merchant_reference_id="M-PAGE",
            return_url="http://127.0.0.1:3000/checkout/return",
            idempotency_key="page-" + session_suffix(),
        )
    assert session.redirect_url == f"{sim.base_url}/_sim/checkout/{session.checkout_session_id}"
    async with httpx.AsyncClient() as browser:
        page = await browser.get(session.redirect_url)
    assert page.status_code == 303
    assert page.headers["location"] == (
        "http://127.0.0.1:3000/checkout/return"
        f"?amazonCheckoutSessionId={session.checkout_session_id}"
    )
    async with sim.provider() as provider:
        completed = await provider.complete_checkout_session(
            session.checkout_session_id, amount_jpy=980
        )
    assert completed.charge_permission_id is not None


def session_suffix() -> str:
    return uuid.uuid4().hex[:20]


async def test_r_pay_3_certificate_is_served_under_its_own_name_only(sim: SimulatorHandle) -> None:
    await sim.control.set_notification_mode("hold")
    note = await sim.control.subscription_confirmation()
    url = json.loads(note.body)["SigningCertURL"]
    name = url.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=sim.base_url) as client:
        served = await client.get(f"/_sim/sns/{name}")
        other = await client.get("/_sim/sns/SimpleNotificationService-0000.pem")
    assert served.status_code == 200
    assert served.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert other.status_code == 404


async def test_r_pay_3_reset_with_objects_forgets_them(sim: SimulatorHandle) -> None:
    async with sim.provider() as provider:
        session = await sim.completed_checkout(provider)
    assert session.charge_permission_id is not None
    assert (await sim.control.get_object(session.charge_permission_id))["chargePermissionId"]
    await sim.control.reset(objects=True)
    with pytest.raises(httpx.HTTPStatusError):
        await sim.control.get_object(session.charge_permission_id)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("simulator_script", ROOT / "scripts/simulator.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["simulator_script"] = module
    spec.loader.exec_module(module)
    return module


def test_r_pay_3_script_registers_keys_from_files(tmp_path: Path) -> None:
    script = load_script()
    private_pem, public_pem = generate_key_pair()
    _, other_public = generate_key_pair()
    (tmp_path / "merchant.pem").write_text(private_pem)
    (tmp_path / "other.pub.pem").write_text(other_public)
    settings = Settings(payment_public_key_id="SANDBOX-DEV")
    args = script.parse_args(
        [
            "--key-file",
            str(tmp_path / "merchant.pem"),
            "--key",
            f"SANDBOX-OTHER={tmp_path / 'other.pub.pem'}",
        ],
        settings,
    )
    assert args.port == 8001
    assert args.webhook_url == "http://127.0.0.1:8000/api/v1/webhooks/amazon-pay"
    assert script.collect_keys(args, settings) == {
        "SANDBOX-DEV": public_pem,
        "SANDBOX-OTHER": other_public,
    }


def test_r_pay_3_script_falls_back_to_the_apps_own_key(tmp_path: Path) -> None:
    script = load_script()
    private_pem, public_pem = generate_key_pair()
    (tmp_path / "key.pem").write_text(private_pem)
    settings = Settings(payment_private_key_file=str(tmp_path / "key.pem"))
    args = script.parse_args([], settings)
    assert script.collect_keys(args, settings) == {settings.payment_public_key_id: public_pem}


async def test_r_pay_3_checkout_left_open_a_day_is_canceled_as_expired(
    sim: SimulatorHandle,
) -> None:
    """Amazon Pay cancels a checkout the buyer did not complete within 24 hours."""
    start = datetime(2027, 3, 10, 1, 0, tzinfo=UTC)
    await sim.control.set_clock(frozen_at=start)
    async with sim.provider() as provider:
        session = await provider.create_checkout_session(
            recurring=False,
            amount_jpy=4400,
            merchant_reference_id="M-EXPIRE",
            return_url="http://127.0.0.1:3000/checkout/return",
            idempotency_key="exp-" + session_suffix(),
        )
        await sim.control.approve_checkout(session.checkout_session_id)
        await sim.control.set_clock(frozen_at=start + timedelta(hours=23, minutes=59))
        still = await provider.get_checkout_session(session.checkout_session_id)
        assert still.state is CheckoutSessionState.open

        await sim.control.set_clock(frozen_at=start + timedelta(hours=24))
        expired = await provider.get_checkout_session(session.checkout_session_id)
        assert expired.state is CheckoutSessionState.canceled
        assert expired.status_details.reason_code == "Expired"
        with pytest.raises(ProviderRejected) as refused:
            await provider.complete_checkout_session(session.checkout_session_id, amount_jpy=4400)
    assert refused.value.reason_code == "CheckoutSessionCanceled"
