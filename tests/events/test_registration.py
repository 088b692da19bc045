"""Members register for workshops and webinars; the wait list moves up by itself; the join link
reaches confirmed registrants only (R-CON-6; R-CON-5 for webinars)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import (
    EventDelivery,
    EventKind,
    EventRegistration,
    EventStatus,
    RegistrationStatus,
)
from tests.events.factories import (
    API,
    NOW,
    STARTS,
    ZOOM,
    counts,
    emails_to,
    make_event,
    member,
    reload_event,
    set_now,
)
from tests.factories import bearer_for

SECOND = timedelta(seconds=1)


async def _register(
    client: httpx.AsyncClient, event_id: object, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(f"{API}/events/{event_id}/registrations", headers=headers)


async def test_r_con_6_registration_confirms_until_capacity_then_waitlists_in_order(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(session, capacity=2, minimum_headcount=2)
    people = [await member(session, settings) for _ in range(4)]
    await session.commit()

    answers = [await _register(client, event.id, headers) for _, headers in people]

    assert [a.status_code for a in answers] == [201] * 4
    assert [a.json()["status"] for a in answers] == [
        "registered",
        "registered",
        "waitlisted",
        "waitlisted",
    ]
    assert [a.json()["waitlist_position"] for a in answers] == [None, None, 1, 2]
    location = answers[0].headers["location"]
    assert location == f"{API}/me/event-registrations/{answers[0].json()['id']}"
    again = await client.get(location, headers=people[0][1])
    assert again.status_code == 200 and again.json()["status"] == "registered"
    event = await reload_event(session, event.id)
    assert (event.registered_count, event.waitlisted_count) == (2, 2)
    page = (await client.get(f"{API}/events/{event.id}")).json()
    assert page["seats_left"] == 0 and page["waitlisted_count"] == 2
    assert page["group_work_expected"] is True and page["minimum_headcount"] == 2


async def test_r_con_6_registering_twice_returns_the_existing_registration(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(session, capacity=1, minimum_headcount=1)
    _, first = await member(session, settings)
    _, second = await member(session, settings)
    await session.commit()

    created = await _register(client, event.id, first)
    repeated = await _register(client, event.id, first)
    waiting = await _register(client, event.id, second)
    waiting_again = await _register(client, event.id, second)

    assert (created.status_code, repeated.status_code) == (201, 200)
    assert repeated.json()["id"] == created.json()["id"]
    assert (waiting.status_code, waiting_again.status_code) == (201, 200)
    assert waiting_again.json()["id"] == waiting.json()["id"]
    assert waiting_again.json()["waitlist_position"] == 1
    event = await reload_event(session, event.id)
    assert (event.registered_count, event.waitlisted_count, event.queue_seq) == (1, 1, 2)


async def test_r_con_6_registration_closes_at_the_exact_instant(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    closes = STARTS - timedelta(days=1)
    event = await make_event(session, registration_closes_at=closes)
    _, early = await member(session, settings, at=closes - SECOND)
    _, late = await member(session, settings, at=closes)

    await set_now(session, closes - SECOND)
    assert (await _register(client, event.id, early)).status_code == 201

    await set_now(session, closes)
    before = await counts(session)
    refused = await _register(client, event.id, late)
    assert refused.status_code == 409
    assert refused.json()["type"] == "event-registration-closed"
    assert await counts(session) == before
    page = (await client.get(f"{API}/events/{event.id}")).json()
    assert page["is_registration_open"] is False


async def test_r_con_6_registration_requires_the_membership(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(session)
    _, headers = await member(session, settings, membership=False)
    await session.commit()
    before = await counts(session)

    refused = await _register(client, event.id, headers)

    assert refused.status_code == 403
    assert refused.json()["type"] == "membership-required"
    assert await counts(session) == before


async def test_r_con_6_drafts_are_not_found_and_cancelled_events_refuse_registration(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    draft = await make_event(session, status=EventStatus.draft)
    cancelled = await make_event(session, status=EventStatus.cancelled)
    _, headers = await member(session, settings)
    await session.commit()

    assert (await _register(client, draft.id, headers)).json()["type"] == "event-not-found"
    assert (await client.get(f"{API}/events/{draft.id}")).status_code == 404
    refused = await _register(client, cancelled.id, headers)
    assert (refused.status_code, refused.json()["type"]) == (409, "event-cancelled")
    # A cancelled event's page stays readable (registrants learn of it); the list drops it.
    assert (await client.get(f"{API}/events/{cancelled.id}")).json()["status"] == "cancelled"
    listed = (await client.get(f"{API}/events")).json()["items"]
    assert listed == []


async def test_r_con_6_cancelling_frees_the_seat_for_the_first_waitlisted_member(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(session, capacity=1, minimum_headcount=1)
    seated, seated_headers = await member(session, settings)
    first, first_headers = await member(session, settings, name="一番 待子")
    second, second_headers = await member(session, settings, name="二番 待男")
    await session.commit()
    seat = (await _register(client, event.id, seated_headers)).json()
    first_wait = (await _register(client, event.id, first_headers)).json()
    second_wait = (await _register(client, event.id, second_headers)).json()
    assert (first_wait["waitlist_position"], second_wait["waitlist_position"]) == (1, 2)

    cancelled = await client.post(
        f"{API}/me/event-registrations/{seat['id']}/cancel", headers=seated_headers
    )

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "member"
    promoted = (
        await client.get(f"{API}/me/event-registrations/{first_wait['id']}", headers=first_headers)
    ).json()
    assert promoted["status"] == "registered"
    assert promoted["promoted_at"] is not None and promoted["waitlist_position"] is None
    still_waiting = (
        await client.get(
            f"{API}/me/event-registrations/{second_wait['id']}", headers=second_headers
        )
    ).json()
    assert (still_waiting["status"], still_waiting["waitlist_position"]) == ("waitlisted", 1)
    mails = await emails_to(session, first, "event_waitlist_promoted")
    assert len(mails) == 1
    assert "参加が確定" in mails[0].subject or "参加が確定" in mails[0].body_text
    assert str(event.id) in mails[0].body_text
    assert await emails_to(session, second, "event_waitlist_promoted") == []
    assert await emails_to(session, seated, "event_waitlist_promoted") == []
    event = await reload_event(session, event.id)
    assert (event.registered_count, event.waitlisted_count) == (1, 1)

    # The promoted member now sees the join link; cancelling twice changes nothing.
    page = (await client.get(f"{API}/events/{event.id}", headers=first_headers)).json()
    assert page["join_url"] == ZOOM
    twice = await client.post(
        f"{API}/me/event-registrations/{seat['id']}/cancel", headers=seated_headers
    )
    assert twice.status_code == 200 and twice.json()["status"] == "cancelled"
    assert (await reload_event(session, event.id)).registered_count == 1


async def test_r_con_6_cancelling_a_wait_list_place_promotes_nobody_and_closes_the_gap(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(session, capacity=1, minimum_headcount=1)
    _, seated = await member(session, settings)
    _, first = await member(session, settings)
    _, second = await member(session, settings)
    await session.commit()
    await _register(client, event.id, seated)
    first_wait = (await _register(client, event.id, first)).json()
    second_wait = (await _register(client, event.id, second)).json()

    await client.post(f"{API}/me/event-registrations/{first_wait['id']}/cancel", headers=first)

    mine = (await client.get(f"{API}/events/{event.id}", headers=second)).json()
    assert mine["my_registration"] == {
        "id": second_wait["id"],
        "status": "waitlisted",
        "waitlist_position": 1,
    }
    event = await reload_event(session, event.id)
    assert (event.registered_count, event.waitlisted_count) == (1, 1)


async def test_r_con_6_re_registering_after_cancelling_goes_to_the_back_of_the_line(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(session, capacity=1, minimum_headcount=1)
    _, seated = await member(session, settings)
    _, me = await member(session, settings)
    _, other = await member(session, settings)
    await session.commit()
    await _register(client, event.id, seated)
    mine = (await _register(client, event.id, me)).json()
    await _register(client, event.id, other)
    assert mine["waitlist_position"] == 1

    await client.post(f"{API}/me/event-registrations/{mine['id']}/cancel", headers=me)
    again = await _register(client, event.id, me)

    assert again.status_code == 201
    assert again.json()["id"] != mine["id"]
    assert (again.json()["status"], again.json()["waitlist_position"]) == ("waitlisted", 2)
    history = (await client.get(f"{API}/me/event-registrations", headers=me)).json()["items"]
    assert sorted(item["status"] for item in history) == ["cancelled", "waitlisted"]


async def test_r_con_6_another_member_cannot_read_or_cancel_my_registration(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(session)
    _, mine = await member(session, settings)
    _, theirs = await member(session, settings)
    await session.commit()
    registration = (await _register(client, event.id, mine)).json()
    before = await counts(session)

    read = await client.get(f"{API}/me/event-registrations/{registration['id']}", headers=theirs)
    cancel = await client.post(
        f"{API}/me/event-registrations/{registration['id']}/cancel", headers=theirs
    )

    assert (read.status_code, read.json()["type"]) == (404, "event-registration-not-found")
    assert (cancel.status_code, cancel.json()["type"]) == (404, "event-registration-not-found")
    assert await counts(session) == before
    stored = await session.get(EventRegistration, registration["id"], populate_existing=True)
    assert stored is not None and stored.status is RegistrationStatus.registered
    assert (await client.get(f"{API}/me/event-registrations", headers=theirs)).json()["items"] == []


async def test_r_con_6_a_member_cannot_cancel_once_the_event_has_started(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    event = await make_event(session)
    user, headers = await member(session, settings)
    await set_now(session, NOW)
    registration = (await _register(client, event.id, headers)).json()

    await set_now(session, STARTS - SECOND)
    headers = await bearer_for(session, user, settings, now=STARTS - SECOND)
    await session.commit()
    read = await client.get(f"{API}/me/event-registrations/{registration['id']}", headers=headers)
    assert read.status_code == 200

    await set_now(session, STARTS)
    headers = await bearer_for(session, user, settings, now=STARTS)
    await session.commit()
    before = await counts(session)
    refused = await client.post(
        f"{API}/me/event-registrations/{registration['id']}/cancel", headers=headers
    )
    assert (refused.status_code, refused.json()["type"]) == (409, "event-already-started")
    assert await counts(session) == before


async def test_r_con_6_join_link_only_for_the_callers_confirmed_registration(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(session, capacity=1, minimum_headcount=1)
    _, confirmed = await member(session, settings)
    _, waitlisted = await member(session, settings)
    _, bystander = await member(session, settings)
    _, quitter = await member(session, settings)
    await session.commit()
    await _register(client, event.id, confirmed)
    await _register(client, event.id, waitlisted)
    gone = (await _register(client, event.id, quitter)).json()
    await client.post(f"{API}/me/event-registrations/{gone['id']}/cancel", headers=quitter)

    async def page(headers: dict[str, str]) -> dict[str, object]:
        response = await client.get(f"{API}/events/{event.id}", headers=headers)
        assert response.status_code == 200
        body: dict[str, object] = response.json()
        return body

    assert (await page(confirmed))["join_url"] == ZOOM
    for headers in (waitlisted, bystander, quitter, {}):
        body = await page(headers)
        assert body["join_url"] is None, headers
        assert ZOOM not in str(body)
    # Never in lists, not even for the confirmed registrant.
    for headers in (confirmed, {}):
        listed = await client.get(f"{API}/events", headers=headers)
        assert ZOOM not in listed.text
    own = await client.get(f"{API}/me/event-registrations", headers=confirmed)
    assert ZOOM not in own.text
    # A token that does not authenticate is refused, not treated as anonymous.
    bad = await client.get(f"{API}/events/{event.id}", headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401


async def test_r_con_5_recorded_webinar_reference_is_shown_to_confirmed_registrants_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    event = await make_event(
        session,
        kind=EventKind.webinar,
        delivery=EventDelivery.recorded,
        capacity=None,
        join_url="https://stream.example.jp/live/abc",
    )
    event.recording_video_asset_id = "vimeo-123456"
    _, registrant = await member(session, settings)
    await session.commit()
    created = (await _register(client, event.id, registrant)).json()
    assert created["status"] == "registered"  # no capacity: always a seat

    mine = (await client.get(f"{API}/events/{event.id}", headers=registrant)).json()
    anonymous = (await client.get(f"{API}/events/{event.id}")).json()

    assert mine["recording_video_asset_id"] == "vimeo-123456"
    assert anonymous["recording_video_asset_id"] is None
    assert mine["has_chat_qa"] is False and mine["seats_left"] is None
    assert mine["group_work_expected"] is None


async def test_r_con_6_public_list_shows_upcoming_published_events_in_start_order(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await set_now(session, NOW)
    later = await make_event(session, title="後", starts_at=STARTS + timedelta(days=1))
    sooner = await make_event(session, title="先", kind=EventKind.webinar, capacity=None)
    await make_event(session, title="下書き", status=EventStatus.draft)
    await make_event(
        session,
        title="終了",
        starts_at=NOW - timedelta(hours=3),
        ends_at=NOW,  # ended at this instant: gone
        registration_closes_at=NOW - timedelta(hours=3),
    )
    on_air = await make_event(
        session,
        title="開催中",
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + SECOND,
        registration_closes_at=NOW - timedelta(hours=1),
    )
    await session.commit()

    items = (await client.get(f"{API}/events")).json()["items"]
    assert [i["id"] for i in items] == [str(on_air.id), str(sooner.id), str(later.id)]
    assert all("join_url" not in item for item in items)
    workshops = (await client.get(f"{API}/events", params={"kind": "workshop"})).json()
    assert [i["id"] for i in workshops["items"]] == [str(on_air.id), str(later.id)]
    first = (await client.get(f"{API}/events", params={"limit": 2})).json()
    rest = (
        await client.get(f"{API}/events", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in items]


async def test_r_con_6_my_registrations_are_mine_only_with_wait_list_positions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    full = await make_event(session, capacity=1, minimum_headcount=1)
    open_event = await make_event(session, kind=EventKind.webinar, capacity=None)
    _, other = await member(session, settings)
    _, me = await member(session, settings)
    await session.commit()
    await _register(client, full.id, other)
    await _register(client, full.id, me)
    await _register(client, open_event.id, me)

    items = (await client.get(f"{API}/me/event-registrations", headers=me)).json()["items"]

    by_event = {item["event_id"]: item for item in items}
    assert set(by_event) == {str(full.id), str(open_event.id)}
    assert by_event[str(full.id)]["waitlist_position"] == 1
    assert by_event[str(open_event.id)]["status"] == "registered"
    assert by_event[str(full.id)]["event"]["title"] == full.title
    rows = await session.scalars(select(EventRegistration))
    assert len(list(rows)) == 3
