"""Payment fixtures: the provider simulator over real HTTP (R-PAY-1 … R-PAY-3).

- `simulator` (session): the simulator app served by uvicorn in a background thread on a free
  loopback port, with one key pair generated for the session and registered. Notifications are
  held by default (tests deliver them with `HeldNotification.deliver` or switch to push mode).
- `sim` (function): the same handle after resetting the simulator's modes and notifications
  (objects are kept; their ids are random, so tests do not collide).

See `tests/payments/simulator_client.py` for the handle's API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from app.config import Settings
from app.payments.provider.signing import generate_key_pair
from app.payments.simulator import SimulatorConfig, create_simulator_app
from tests.payments.live_server import LiveServer
from tests.payments.simulator_client import SimulatorControl, SimulatorHandle

TEST_PUBLIC_KEY_ID = "SANDBOX-MANABI-TEST-KEY"


@pytest.fixture(scope="session")
def simulator(settings: Settings) -> Iterator[SimulatorHandle]:
    private_pem, public_pem = generate_key_pair()
    config = SimulatorConfig(
        merchant_id=settings.payment_merchant_id,
        topic_arn=settings.payment_sns_topic_arn,
        sns_region=settings.payment_sns_region,
        public_keys={TEST_PUBLIC_KEY_ID: public_pem},
        notification_mode="hold",
        delivery_backoff_seconds=0.05,
        delivery_max_attempts=3,
    )
    server = LiveServer(create_simulator_app(config)).start()
    try:
        sim_settings = settings.model_copy(
            update={
                "payment_provider_base_url": f"{server.base_url}/v2",
                "payment_public_key_id": TEST_PUBLIC_KEY_ID,
                "payment_private_key_pem": SecretStr(private_pem),
                "payment_sns_cert_fetch_base_url": f"{server.base_url}/_sim/sns/",
            }
        )
        yield SimulatorHandle(
            base_url=server.base_url,
            api_base_url=f"{server.base_url}/v2",
            settings=sim_settings,
            control=SimulatorControl(server.base_url),
            public_key_id=TEST_PUBLIC_KEY_ID,
            private_key_pem=private_pem,
            public_key_pem=public_pem,
        )
    finally:
        server.stop()


@pytest.fixture
async def sim(simulator: SimulatorHandle) -> AsyncIterator[SimulatorHandle]:
    await simulator.control.reset()
    yield simulator
