"""Capacity holds exactly under concurrency, with real commits on separate connections (R-CON-6).

Every request runs in its own transaction on its own pooled connection (`committing_client`),
all fired at once with `asyncio.gather`.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import set_clock
from app.models import EmailOutbox, Event, EventRegistration, RegistrationStatus, User
from tests.events.factories import API, NOW, make_event, member

Maker = async_sessionmaker[AsyncSession]


async def _setup(
    maker: Maker, settings: Settings, *, capacity: int, members: int
) -> tuple[Event, list[tuple[User, dict[str, str]]]]:
    async with maker() as session:
        await set_clock(session, frozen_at=NOW, offset_seconds=0)
        event = await make_event(session, capacity=capacity, minimum_headcount=1)
        people = [await member(session, settings, name=f"会員 {i}") for i in range(members)]
        await session.commit()
    return event, people


async def _register(
    client: httpx.AsyncClient, event: Event, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(f"{API}/events/{event.id}/registrations", headers=headers)


async def _state(maker: Maker, event: Event) -> tuple[Event, list[EventRegistration]]:
    async with maker() as session:
        stored = await session.get(Event, event.id)
        rows = await session.scalars(
            select(EventRegistration)
            .where(EventRegistration.event_id == event.id)
            .order_by(EventRegistration.queue_seq)
        )
        assert stored is not None
        return stored, list(rows)


async def _positions(
    client: httpx.AsyncClient, people: list[tuple[User, dict[str, str]]]
) -> list[int]:
    positions = []
    for _, headers in people:
        items = (await client.get(f"{API}/me/event-registrations", headers=headers)).json()["items"]
        positions += [i["waitlist_position"] for i in items if i["status"] == "waitlisted"]
    return positions


async def test_r_con_6_capacity_holds_under_20_concurrent_registrations_for_5_seats(
    committing_client: httpx.AsyncClient, committing_sessionmaker: Maker, settings: Settings
) -> None:
    event, people = await _setup(committing_sessionmaker, settings, capacity=5, members=20)

    answers = await asyncio.gather(*(_register(committing_client, event, h) for _, h in people))

    assert {a.status_code for a in answers} == {201}, [
        a.text for a in answers if a.status_code != 201
    ]
    statuses = Counter(a.json()["status"] for a in answers)
    assert statuses == {"registered": 5, "waitlisted": 15}
    positions = sorted(
        a.json()["waitlist_position"] for a in answers if a.json()["status"] == "waitlisted"
    )
    assert positions == list(range(1, 16))  # no gaps, no duplicates
    stored, rows = await _state(committing_sessionmaker, event)
    assert (stored.registered_count, stored.waitlisted_count, stored.queue_seq) == (5, 15, 20)
    assert [r.queue_seq for r in rows] == list(range(1, 21))
    # Seats went to the first five in line, the wait list follows the line.
    assert [r.status for r in rows] == [RegistrationStatus.registered] * 5 + [
        RegistrationStatus.waitlisted
    ] * 15
    assert sorted(await _positions(committing_client, people)) == list(range(1, 16))


async def test_r_con_6_concurrent_cancellations_and_registrations_keep_the_count_exact(
    committing_client: httpx.AsyncClient, committing_sessionmaker: Maker, settings: Settings
) -> None:
    event, people = await _setup(committing_sessionmaker, settings, capacity=5, members=14)
    seated, waiting, newcomers = people[:5], people[5:10], people[10:]
    first = {}
    for user, headers in seated + waiting:  # in order: queue 1..10
        first[user.id] = (await _register(committing_client, event, headers)).json()

    cancels = [
        committing_client.post(
            f"{API}/me/event-registrations/{first[user.id]['id']}/cancel", headers=headers
        )
        for user, headers in seated[:3]
    ]
    registrations = [_register(committing_client, event, headers) for _, headers in newcomers]
    answers = await asyncio.gather(*cancels, *registrations)

    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    stored, rows = await _state(committing_sessionmaker, event)
    assert (stored.registered_count, stored.waitlisted_count) == (5, 6)
    by_user = {r.user_id: r for r in rows if r.status is not RegistrationStatus.cancelled}
    # The three seats went to the first three of the original wait list, never to a newcomer.
    assert [by_user[u.id].status for u, _ in waiting] == [RegistrationStatus.registered] * 3 + [
        RegistrationStatus.waitlisted
    ] * 2
    assert all(by_user[u.id].status is RegistrationStatus.waitlisted for u, _ in newcomers)
    assert sum(r.status is RegistrationStatus.registered for r in rows) == 5
    assert sorted(await _positions(committing_client, people)) == list(range(1, 7))
    async with committing_sessionmaker() as session:
        promoted_mails = await session.scalar(
            select(func.count())
            .select_from(EmailOutbox)
            .where(EmailOutbox.template == "event_waitlist_promoted")
        )
    assert promoted_mails == 3


async def test_r_con_6_one_member_registering_many_times_at_once_gets_one_registration(
    committing_client: httpx.AsyncClient, committing_sessionmaker: Maker, settings: Settings
) -> None:
    event, people = await _setup(committing_sessionmaker, settings, capacity=5, members=1)
    ((_, headers),) = people

    answers = await asyncio.gather(
        *(_register(committing_client, event, headers) for _ in range(6))
    )

    assert Counter(a.status_code for a in answers) == {201: 1, 200: 5}
    assert len({a.json()["id"] for a in answers}) == 1
    stored, rows = await _state(committing_sessionmaker, event)
    assert len(rows) == 1 and stored.registered_count == 1


async def test_r_con_6_a_double_tapped_cancellation_frees_one_seat_and_promotes_one_member(
    committing_client: httpx.AsyncClient, committing_sessionmaker: Maker, settings: Settings
) -> None:
    event, people = await _setup(committing_sessionmaker, settings, capacity=1, members=3)
    seat = (await _register(committing_client, event, people[0][1])).json()
    for _, headers in people[1:]:
        await _register(committing_client, event, headers)

    answers = await asyncio.gather(
        *(
            committing_client.post(
                f"{API}/me/event-registrations/{seat['id']}/cancel", headers=people[0][1]
            )
            for _ in range(4)
        )
    )

    assert {a.status_code for a in answers} == {200}
    stored, rows = await _state(committing_sessionmaker, event)
    assert (stored.registered_count, stored.waitlisted_count) == (1, 1)
    assert [r.status for r in rows] == [
        RegistrationStatus.cancelled,
        RegistrationStatus.registered,
        RegistrationStatus.waitlisted,
    ]
