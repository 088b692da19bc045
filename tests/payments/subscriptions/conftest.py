"""Subscription fixtures: the app talking to the simulator over HTTP (R-PAY-3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.calendar import JST
from app.models import EmailOutbox, User
from app.models.payment import NotificationStatus, PaymentNotification
from app.payments.provider.client import ProviderClient
from app.payments.provider.sns import NotificationVerifier
from app.payments.subscriptions import billing
from app.payments.webhook import processing
from tests.factories import bearer_for, make_user
from tests.payments.simulator_client import SimulatorHandle

WEBHOOK = "/api/v1/webhooks/amazon-pay"
SUBSCRIPTION = "/api/v1/me/subscription"


def jst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


@dataclass
class Paying:
    """The app wired to the simulator, plus helpers to drive a member through billing."""

    app: FastAPI
    client: httpx.AsyncClient
    session: AsyncSession
    sim: SimulatorHandle
    provider: ProviderClient
    settings: Settings
    freeze: object
    members: list[tuple[User, dict[str, str]]] = field(default_factory=list)
    now: datetime | None = None

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] = self.app.state.sessionmaker
        return maker

    async def at(self, moment: datetime) -> None:
        """Move the app's clock; every member's headers get a token minted at that moment."""
        await self.freeze(moment)  # type: ignore[operator]
        self.now = moment
        for user, headers in self.members:
            headers.update(await bearer_for(self.session, user, self.settings, now=moment))

    async def member(self, **kwargs: object) -> tuple[User, dict[str, str]]:
        """A member and their Authorization header (kept valid as the clock moves)."""
        user = await make_user(self.session, **kwargs)  # type: ignore[arg-type]
        headers = await bearer_for(self.session, user, self.settings, now=self.now)
        self.members.append((user, headers))
        return user, headers

    async def sign_up(self, headers: dict[str, str], day: datetime) -> dict[str, object]:
        """Checkout, buyer approval on the simulator, confirmation: the subscription JSON."""
        await self.at(day)
        started = await self.client.post(f"{SUBSCRIPTION}/checkout", headers=headers)
        assert started.status_code == 201, started.text
        checkout_id = started.json()["checkout_session_id"]
        assert started.json()["redirect_url"]
        await self.sim.control.approve_checkout(checkout_id)
        done = await self.client.post(
            f"{SUBSCRIPTION}/checkout/complete",
            json={"checkout_session_id": checkout_id},
            headers=headers,
        )
        assert done.status_code in (200, 402), done.text
        body: dict[str, object] = done.json()
        return body

    async def status(self, headers: dict[str, str]) -> dict[str, object]:
        response = await self.client.get(SUBSCRIPTION, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    async def bill(self, moment: datetime) -> dict[str, int]:
        """The periodic billing job's body at `moment` (the app clock is moved there too)."""
        await self.at(moment)
        return await billing.run_due_subscriptions(self.sessionmaker, self.provider, now=moment)

    async def deliver_notifications(self) -> list[httpx.Response]:
        """Post every held notification to the webhook, as the provider would."""
        held = await self.sim.control.held_notifications()
        return [await item.deliver(self.client, WEBHOOK) for item in held]

    async def process_inbox(self, moment: datetime) -> list[NotificationStatus]:
        """Run the processing job for every stored, unprocessed notification."""
        ids = (
            (
                await self.session.execute(
                    select(PaymentNotification.message_id)
                    .where(PaymentNotification.status == NotificationStatus.received)
                    .order_by(PaymentNotification.received_at)
                )
            )
            .scalars()
            .all()
        )
        return [
            await processing.process_notification(
                self.sessionmaker, self.provider, message_id, now=moment
            )
            for message_id in ids
        ]

    async def emails(self, user: User) -> list[str]:
        rows = await self.session.execute(
            select(EmailOutbox.template)
            .where(EmailOutbox.user_id == user.id)
            .order_by(EmailOutbox.created_at, EmailOutbox.id)
        )
        return list(rows.scalars())


@pytest.fixture
async def paying(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    sim: SimulatorHandle,
    settings: Settings,
    freeze_time: object,
) -> AsyncIterator[Paying]:
    provider = sim.provider()
    verifier = NotificationVerifier.from_settings(sim.settings)
    app.state.payment_provider = provider
    app.state.notification_verifier = verifier
    try:
        yield Paying(app, client, session, sim, provider, settings, freeze_time)
    finally:
        app.state.payment_provider = None
        app.state.notification_verifier = None
        await provider.aclose()
        await verifier.aclose()
