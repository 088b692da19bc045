"""A purchase is refunded once however many staff requests race (R-REF-11), on real commits."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models import PurchaseRefund, Role
from tests.payments.purchases.racing import RACERS, buy, goods, person
from tests.payments.purchases.shop import PURCHASES
from tests.payments.simulator_client import SimulatorHandle


async def test_r_ref_11_racing_refund_requests_refund_once(
    wired: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: SimulatorHandle,
) -> None:
    """Six staff requests at once (some retrying with one Idempotency-Key): one refund row, one
    provider refund, the rest refused or replayed."""
    _, headers = await person(committing_sessionmaker, settings)
    _, staff = await person(committing_sessionmaker, settings, Role.staff)
    product = await goods(committing_sessionmaker, 3000)
    started = (await buy(wired, headers, product, 0)).json()
    await sim.control.approve_checkout(started["redirect_url"].rsplit("/", 1)[-1])
    paid = await wired.post(f"{PURCHASES}/{started['id']}/complete", headers=headers)
    assert paid.json()["status"] == "active", paid.text
    path = f"/api/v1/admin/purchases/{started['id']}/refund"

    async def request(index: int) -> httpx.Response:
        extra = {"Idempotency-Key": "same-refund"} if index % 2 else {}
        return await wired.post(path, json={"reason": "重複申請"}, headers={**staff, **extra})

    answers = await asyncio.gather(*(request(i) for i in range(RACERS)))

    created = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 409]
    assert len(created) + len(refused) == RACERS, [a.text for a in answers]
    assert {a.json()["provider_refund_id"] for a in created} == {
        created[0].json()["provider_refund_id"]
    }
    assert {a.json()["type"] for a in refused} <= {"purchase-already-refunded"}
    async with committing_sessionmaker() as session:
        rows = (await session.scalars(select(PurchaseRefund))).all()
    assert len(rows) == 1 and rows[0].cash_jpy == 3000
    settled: dict[str, Any] = await sim.control.settle_refund(rows[0].provider_refund_id or "")
    charge = await sim.control.get_object(settled["chargeId"])
    assert charge["refundedAmount"]["amount"] == "3000"
