"""Q&A by chat during a live webinar only (R-CON-5): who may post, when, how often, who reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.events.rules import CHAT_MESSAGES_PER_WINDOW
from app.models import Event, EventDelivery, EventKind, User
from tests.events.factories import API, NOW, STARTS, counts, make_event, member, set_now, staff
from tests.factories import bearer_for

SECOND = timedelta(seconds=1)
ENDS = STARTS + timedelta(hours=2)


async def _webinar_with_registrants(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    *,
    delivery: EventDelivery = EventDelivery.live,
    kind: EventKind = EventKind.webinar,
    capacity: int | None = 1,
) -> tuple[Event, User, User]:
    """A webinar with one confirmed registrant and one waitlisted member (registered at NOW)."""
    await set_now(session, NOW)
    event = await make_event(
        session,
        kind=kind,
        delivery=delivery,
        capacity=capacity,
        minimum_headcount=1 if kind is EventKind.workshop else None,
        ends_at=ENDS,
    )
    confirmed, confirmed_headers = await member(session, settings)
    waitlisted, waitlisted_headers = await member(session, settings)
    await session.commit()
    for headers in (confirmed_headers, waitlisted_headers):
        answer = await client.post(f"{API}/events/{event.id}/registrations", headers=headers)
        assert answer.status_code == 201
    return event, confirmed, waitlisted


async def _at(
    session: AsyncSession, settings: Settings, user: User, at: datetime
) -> dict[str, str]:
    """Move the clock to `at` and return a token of `user` valid then."""
    await set_now(session, at)
    headers = await bearer_for(session, user, settings, now=at)
    await session.commit()
    return headers


async def _post(
    client: httpx.AsyncClient, event: Event, headers: dict[str, str], body: str = "質問です"
) -> httpx.Response:
    return await client.post(
        f"{API}/events/{event.id}/chat-messages", json={"body": body}, headers=headers
    )


async def test_r_con_5_chat_opens_at_starts_at_and_closes_at_ends_at_exactly(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    event, confirmed, _ = await _webinar_with_registrants(client, session, settings)

    before_start = await _post(
        client, event, await _at(session, settings, confirmed, STARTS - SECOND)
    )
    at_start = await _post(client, event, await _at(session, settings, confirmed, STARTS))
    last_second = await _post(client, event, await _at(session, settings, confirmed, ENDS - SECOND))
    at_end = await _post(client, event, await _at(session, settings, confirmed, ENDS))

    assert (before_start.status_code, before_start.json()["type"]) == (409, "event-chat-closed")
    assert at_start.status_code == 201, at_start.text
    assert at_start.json()["is_mine"] is True
    assert at_start.json()["posted_at"].startswith("2026-12-08T01:00:00")
    assert last_second.status_code == 201
    assert (at_end.status_code, at_end.json()["type"]) == (409, "event-chat-closed")
    page = (
        await client.get(
            f"{API}/events/{event.id}", headers=await _at(session, settings, confirmed, STARTS)
        )
    ).json()
    assert page["is_chat_open"] is True and page["has_chat_qa"] is True


@pytest.mark.parametrize(
    ("kind", "delivery"),
    [(EventKind.webinar, EventDelivery.recorded), (EventKind.workshop, EventDelivery.live)],
)
async def test_r_con_5_recorded_webinars_and_workshops_never_take_chat_questions(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    kind: EventKind,
    delivery: EventDelivery,
) -> None:
    event, confirmed, _ = await _webinar_with_registrants(
        client, session, settings, kind=kind, delivery=delivery
    )
    headers = await _at(session, settings, confirmed, STARTS + timedelta(minutes=5))
    before = await counts(session)

    refused = await _post(client, event, headers)

    assert (refused.status_code, refused.json()["type"]) == (409, "event-chat-closed")
    assert await counts(session) == before


async def test_r_con_5_only_confirmed_registrants_post_and_read(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    event, confirmed, waitlisted = await _webinar_with_registrants(client, session, settings)
    during = STARTS + timedelta(minutes=5)
    outsider, _ = await member(session, settings)
    _, staff_headers = await staff(session, settings, at=during)
    mine = await _at(session, settings, confirmed, during)
    assert (await _post(client, event, mine, "開始前の資料はありますか?")).status_code == 201
    before = await counts(session)

    for user in (waitlisted, outsider):
        headers = await _at(session, settings, user, during)
        refused = await _post(client, event, headers)
        assert (refused.status_code, refused.json()["type"]) == (403, "event-registration-required")
        read = await client.get(f"{API}/events/{event.id}/chat-messages", headers=headers)
        assert (read.status_code, read.json()["type"]) == (403, "event-registration-required")
    staff_post = await _post(client, event, staff_headers)
    assert staff_post.status_code == 403
    anonymous = await client.get(f"{API}/events/{event.id}/chat-messages")
    assert anonymous.status_code == 401
    assert await counts(session) == before

    as_member = (await client.get(f"{API}/events/{event.id}/chat-messages", headers=mine)).json()[
        "items"
    ]
    as_staff = (
        await client.get(f"{API}/events/{event.id}/chat-messages", headers=staff_headers)
    ).json()["items"]
    assert [m["body"] for m in as_member] == ["開始前の資料はありますか?"]
    assert as_member[0]["author_user_id"] is None and as_member[0]["author_name"] is None
    assert as_staff[0]["author_user_id"] == str(confirmed.id)
    assert as_staff[0]["author_name"] == confirmed.name
    assert as_staff[0]["is_mine"] is False


async def test_r_con_5_messages_have_a_length_limit_and_no_blank_questions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    event, confirmed, _ = await _webinar_with_registrants(client, session, settings)
    headers = await _at(session, settings, confirmed, STARTS)
    before = await counts(session)

    for body in ("", "   ", "あ" * 1001):
        refused = await _post(client, event, headers, body)
        assert (refused.status_code, refused.json()["type"]) == (422, "validation-error")
    assert await counts(session) == before
    assert (await _post(client, event, headers, "あ" * 1000)).status_code == 201


async def test_r_con_5_chat_is_rate_limited_per_member(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    event, confirmed, _ = await _webinar_with_registrants(client, session, settings, capacity=None)
    # Both members are confirmed (no capacity); the limit of one does not touch the other.
    headers = await _at(session, settings, confirmed, STARTS + timedelta(seconds=1))
    answers = [
        await _post(client, event, headers, f"質問 {i}") for i in range(CHAT_MESSAGES_PER_WINDOW)
    ]
    assert [a.status_code for a in answers] == [201] * CHAT_MESSAGES_PER_WINDOW
    before = await counts(session)

    limited = await _post(client, event, headers)

    assert limited.status_code == 429
    assert limited.json()["type"] == "event-chat-rate-limited"
    assert limited.headers["retry-after"] == "59"
    assert await counts(session) == before
    # The next minute window accepts again.
    later = await _at(session, settings, confirmed, STARTS + timedelta(minutes=1))
    assert (await _post(client, event, later)).status_code == 201


async def test_r_con_5_a_retried_question_with_the_same_idempotency_key_is_posted_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    event, confirmed, _ = await _webinar_with_registrants(client, session, settings)
    headers = {**await _at(session, settings, confirmed, STARTS), "Idempotency-Key": "q-1"}

    first = await _post(client, event, headers)
    replay = await _post(client, event, headers)

    assert first.status_code == replay.status_code == 201
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json()["id"] == first.json()["id"]
    listed = (await client.get(f"{API}/events/{event.id}/chat-messages", headers=headers)).json()[
        "items"
    ]
    assert len(listed) == 1


async def test_r_con_5_polling_after_the_last_seen_message_returns_only_newer_ones(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    event, confirmed, _ = await _webinar_with_registrants(client, session, settings)
    headers = await _at(session, settings, confirmed, STARTS)
    # Same instant for every post (frozen clock): the id breaks the tie, as the cursor does.
    posted = [(await _post(client, event, headers, f"質問 {i}")).json() for i in range(3)]
    url = f"{API}/events/{event.id}/chat-messages"

    everything = (await client.get(url, headers=headers)).json()["items"]
    after_first = await client.get(url, params={"after": everything[0]["id"]}, headers=headers)
    after_last = await client.get(url, params={"after": everything[-1]["id"]}, headers=headers)

    assert sorted(m["id"] for m in everything) == sorted(p["id"] for p in posted)
    assert [m["id"] for m in after_first.json()["items"]] == [m["id"] for m in everything[1:]]
    assert after_last.json()["items"] == []
