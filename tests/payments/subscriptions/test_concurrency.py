"""Two renewal runs at once never charge twice; a lost provider answer is recovered with the
same key (PAYMENTS.md "Idempotency and integrity", R-SUB-3, R-PAY-1).

These tests commit (concurrent transactions need real connections), so they use the
`committing_*` fixtures and move the clock through the dev clock endpoint, never `freeze_time`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models.payment import PaymentOrder, Subscription, SubscriptionCharge
from app.payments.provider.client import ProviderClient
from app.payments.subscriptions import billing
from tests.factories import bearer_for, make_user
from tests.payments.simulator_client import SimulatorHandle
from tests.payments.subscriptions.conftest import SUBSCRIPTION, jst


@pytest.fixture
async def provider(app: FastAPI, sim: SimulatorHandle) -> AsyncIterator[ProviderClient]:
    client = sim.provider()
    app.state.payment_provider = client
    try:
        yield client
    finally:
        app.state.payment_provider = None
        await client.aclose()


async def _trialing_subscription(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    sim: SimulatorHandle,
    settings: Settings,
    signup_at: datetime,
) -> Subscription:
    clock = await committing_client.put(
        "/api/v1/dev/clock", json={"frozen_at": signup_at.isoformat()}
    )
    assert clock.status_code == 200, clock.text
    async with committing_sessionmaker() as session:
        user = await make_user(session)
        headers = await bearer_for(session, user, settings, now=signup_at)
        await session.commit()
    started = await committing_client.post(f"{SUBSCRIPTION}/checkout", headers=headers)
    assert started.status_code == 201, started.text
    checkout_id = started.json()["checkout_session_id"]
    await sim.control.approve_checkout(checkout_id)
    done = await committing_client.post(
        f"{SUBSCRIPTION}/checkout/complete",
        json={"checkout_session_id": checkout_id},
        headers=headers,
    )
    assert done.status_code == 200 and done.json()["status"] == "trialing", done.text
    async with committing_sessionmaker() as session:
        return await session.get_one(Subscription, uuid.UUID(done.json()["id"]))


async def _charges(sim: SimulatorHandle, permission_id: str) -> set[str]:
    """Charges the simulator created on the permission (from its notification log)."""
    return {
        item["objectId"]
        for item in await sim.control.notifications()
        if item.get("objectType") == "CHARGE" and item.get("chargePermissionId") == permission_id
    }


async def test_r_sub_3_two_renewal_runs_at_once_charge_once(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    sim: SimulatorHandle,
    settings: Settings,
    provider: ProviderClient,
) -> None:
    subscription = await _trialing_subscription(
        committing_client, committing_sessionmaker, sim, settings, jst(2027, 6, 1)
    )
    renewal = jst(2027, 6, 8, 0, 5)
    results = await asyncio.gather(
        *(
            billing.run_due_subscriptions(committing_sessionmaker, provider, now=renewal)
            for _ in range(4)
        )
    )
    outcomes: dict[str, int] = {}
    for counts in results:
        for outcome, count in counts.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    assert outcomes.get("charged") == 1, outcomes
    async with committing_sessionmaker() as session:
        attempts = await session.scalar(
            select(func.count())
            .select_from(SubscriptionCharge)
            .where(SubscriptionCharge.subscription_id == subscription.id)
        )
        orders = await session.scalar(
            select(func.count())
            .select_from(PaymentOrder)
            .where(PaymentOrder.user_id == subscription.user_id)
        )
        refreshed = await session.get_one(Subscription, subscription.id)
    assert attempts == 1 and orders == 1
    assert (
        refreshed.next_renewal_on is not None
        and refreshed.next_renewal_on.isoformat() == "2027-07-08"
    )
    assert subscription.charge_permission_id is not None
    assert len(await _charges(sim, subscription.charge_permission_id)) == 1
    # A later run the same day finds nothing to do.
    assert await billing.run_due_subscriptions(committing_sessionmaker, provider, now=renewal) == {}


async def test_r_pay_1_lost_answer_is_recovered_with_the_same_key(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    sim: SimulatorHandle,
    settings: Settings,
    provider: ProviderClient,
) -> None:
    # An adapter that does not retry, so the lost answer surfaces to the billing run.
    no_retry = sim.provider(max_attempts=1)
    subscription = await _trialing_subscription(
        committing_client, committing_sessionmaker, sim, settings, jst(2027, 6, 1)
    )
    renewal = jst(2027, 6, 8, 0, 5)
    # The provider creates the charge but the answer is lost (a 503 after processing).
    await sim.control.inject_failure(503, path_prefix="/v2/charges", method="POST", when="after")
    try:
        first = await billing.run_subscription(
            committing_sessionmaker, no_retry, subscription.id, now=renewal
        )
        assert first is billing.RunOutcome.waiting
        async with committing_sessionmaker() as session:
            attempt = (
                await session.execute(
                    select(SubscriptionCharge).where(
                        SubscriptionCharge.subscription_id == subscription.id
                    )
                )
            ).scalar_one()
        assert attempt.status.value == "pending" and attempt.provider_charge_id is None
        # The next run sends the same key and gets the first charge back: no second charge.
        second = await billing.run_subscription(
            committing_sessionmaker, no_retry, subscription.id, now=renewal
        )
        assert second is billing.RunOutcome.charged
    finally:
        await no_retry.aclose()
    assert subscription.charge_permission_id is not None
    assert len(await _charges(sim, subscription.charge_permission_id)) == 1
    async with committing_sessionmaker() as session:
        attempts = (
            (
                await session.execute(
                    select(SubscriptionCharge).where(
                        SubscriptionCharge.subscription_id == subscription.id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [(a.attempt, a.status.value) for a in attempts] == [(1, "captured")]
