"""Commerce test helpers: the app talking to the provider simulator over HTTP (R-PAY-3), with
products, members, points and a clock to walk them through purchases and refunds.

Import the `shop` fixture into a test package's conftest:
`from tests.payments.purchases.shop import shop  # noqa: F401`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.calendar import JST
from app.models import (
    ContentSet,
    ContentSetCourse,
    Course,
    CourseProgram,
    EmailOutbox,
    Lesson,
    LessonProgress,
    MaterialDownload,
    PointGrant,
    PointSource,
    Product,
    ProductKind,
    Role,
    User,
)
from app.payments.points.service import grant_points
from app.payments.provider.client import ProviderClient
from tests.factories import bearer_for, make_course, make_user
from tests.payments.simulator_client import SimulatorHandle

PURCHASES = "/api/v1/me/purchases"


def jst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


@dataclass
class Shop:
    app: FastAPI
    client: httpx.AsyncClient
    session: AsyncSession
    sim: SimulatorHandle
    provider: ProviderClient
    settings: Settings
    freeze: Any
    people: list[tuple[User, dict[str, str]]] = field(default_factory=list)
    now: datetime | None = None

    # --- Clock and people ---------------------------------------------------------------------

    async def at(self, moment: datetime) -> None:
        """Move the app's clock; everyone's headers get a token minted at that moment."""
        await self.freeze(moment)
        self.now = moment
        for user, headers in self.people:
            headers.update(await bearer_for(self.session, user, self.settings, now=moment))

    async def person(self, role: Role = Role.member) -> tuple[User, dict[str, str]]:
        user = await make_user(self.session, role=role)
        headers = await bearer_for(self.session, user, self.settings, now=self.now)
        self.people.append((user, headers))
        return user, headers

    # --- Catalog --------------------------------------------------------------------------------

    async def course(self, lessons: int, *, title: str = "労務管理の実務") -> Course:
        return await make_course(
            self.session,
            title=title,
            program=CourseProgram.purchase,
            is_membership_content=False,
            lessons=lessons,
        )

    async def lessons(self, course: Course) -> list[Lesson]:
        rows = await self.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)
        )
        return list(rows.all())

    async def content_set(self, *courses: Course) -> ContentSet:
        content_set = ContentSet(
            id=uuid.uuid4(), code=f"set-{uuid.uuid4().hex[:10]}", title="セット"
        )
        self.session.add(content_set)
        await self.session.flush()
        for course in courses:
            self.session.add(ContentSetCourse(content_set_id=content_set.id, course_id=course.id))
        await self.session.flush()
        return content_set

    async def product(
        self,
        kind: ProductKind,
        *,
        price: int,
        days: int | None = None,
        course: Course | None = None,
        content_set: ContentSet | None = None,
        extends: Product | None = None,
        bonus_items: list[dict[str, Any]] | None = None,
        is_copyable: bool = False,
        title: str | None = None,
    ) -> Product:
        product = Product(
            id=uuid.uuid4(),
            code=f"p-{uuid.uuid4().hex[:12]}",
            kind=kind,
            title=title or f"{kind.value} 商品",
            description="",
            list_price_jpy=price,
            base_access_days=days,
            course_id=course.id if course else None,
            content_set_id=content_set.id if content_set else None,
            extends_product_id=extends.id if extends else None,
            bonus_items=bonus_items or [],
            is_copyable=is_copyable,
            is_active=True,
        )
        self.session.add(product)
        await self.session.flush()
        return product

    # --- Points ---------------------------------------------------------------------------------

    async def give_points(self, user: User, amount: int, expires_on: date) -> PointGrant:
        assert self.now is not None
        grant = await grant_points(
            self.session,
            user_id=user.id,
            amount=amount,
            expires_on=expires_on,
            source=PointSource.campaign,
            reason="test campaign",
            campaign_code="TEST",
            now=self.now,
        )
        await self.session.commit()
        return grant

    async def points(self, headers: dict[str, str]) -> dict[str, Any]:
        response = await self.client.get("/api/v1/me/points", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    # --- Buying ---------------------------------------------------------------------------------

    async def start(
        self, headers: dict[str, str], product: Product, points: int = 0, **extra: str
    ) -> httpx.Response:
        return await self.client.post(
            PURCHASES,
            json={"product_id": str(product.id), "points_to_use": points},
            headers={**headers, **extra},
        )

    async def buy(
        self,
        headers: dict[str, str],
        product: Product,
        points: int = 0,
        *,
        outcome: str | None = None,
    ) -> dict[str, Any]:
        """Start, approve as the buyer on the simulator, complete: the purchase JSON."""
        started = await self.start(headers, product, points)
        assert started.status_code == 201, started.text
        body: dict[str, Any] = started.json()
        if body["status"] != "pending":
            return body
        session_id = body["redirect_url"].rsplit("/", 1)[-1]
        if outcome is not None:
            await self.sim.control.queue_checkout_outcomes(session_id, [outcome])
        await self.sim.control.approve_checkout(session_id)
        done = await self.client.post(f"{PURCHASES}/{body['id']}/complete", headers=headers)
        assert done.status_code == 200, done.text
        completed: dict[str, Any] = done.json()
        return completed

    # --- Learning -------------------------------------------------------------------------------

    async def watch(self, user: User, lessons: list[Lesson]) -> None:
        """The member started these lessons (progress rows as the progress write records)."""
        assert self.now is not None
        for lesson in lessons:
            self.session.add(
                LessonProgress(
                    id=uuid.uuid4(),
                    user_id=user.id,
                    lesson_id=lesson.id,
                    course_id=lesson.course_id,
                    position_ms=1000,
                    furthest_ms=1000,
                    watched_ms=1000,
                    last_activity_at=self.now,
                    created_at=self.now,
                    updated_at=self.now,
                )
            )
        await self.session.commit()

    async def download(self, user: User, lesson: Lesson) -> None:
        """The member downloaded the lesson's material (the download ledger, R-CON-3)."""
        assert self.now is not None
        self.session.add(
            MaterialDownload(
                id=uuid.uuid4(),
                user_id=user.id,
                material_id=None,
                lesson_id=lesson.id,
                course_id=lesson.course_id,
                filename="resume.pdf",
                downloaded_at=self.now,
            )
        )
        await self.session.commit()

    async def emails(self, user: User) -> list[str]:
        rows = await self.session.execute(
            select(EmailOutbox.template)
            .where(EmailOutbox.user_id == user.id)
            .order_by(EmailOutbox.created_at, EmailOutbox.id)
        )
        return list(rows.scalars())


@pytest.fixture
async def shop(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    sim: SimulatorHandle,
    settings: Settings,
    freeze_time: Any,
) -> AsyncIterator[Shop]:
    provider = sim.provider()
    await sim.control.set_refund_settlement("manual")
    app.state.payment_provider = provider
    try:
        yield Shop(app, client, session, sim, provider, settings, freeze_time)
    finally:
        app.state.payment_provider = None
        await provider.aclose()
