"""Staff manage webinars and workshops: create, change, publish, cancel, list registrants and
the wait list (R-CON-5, R-CON-6). Refusals are problems that change nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import (
    AuditEvent,
    EventRegistration,
    EventStatus,
    Lesson,
    RegistrationStatus,
    Role,
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
    staff,
)
from tests.factories import bearer_for, make_course, make_user

WORKSHOP: dict[str, Any] = {
    "kind": "workshop",
    "title": "業務改善ワークショップ",
    "description": "グループ演習があります。",
    "starts_at": "2026-12-08T10:00:00+09:00",
    "ends_at": "2026-12-08T12:00:00+09:00",
    "capacity": 12,
    "minimum_headcount": 4,
    "join_url": ZOOM,
}


async def _audit_actions(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.occurred_at)))


async def test_r_con_6_staff_create_publish_and_members_see_the_workshop(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, headers = await staff(session, settings)
    await session.commit()

    created = await client.post(f"{API}/admin/events", json=WORKSHOP, headers=headers)

    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"{API}/admin/events/{body['id']}"
    assert body["status"] == "draft" and body["delivery"] == "live"
    assert body["registration_closes_at"] == body["starts_at"]  # the default
    assert body["join_url"] == ZOOM
    assert (body["minimum_headcount"], body["group_work_expected"]) == (4, False)
    assert (await client.get(f"{API}/events/{body['id']}")).status_code == 404  # draft

    published = await client.post(f"{API}/admin/events/{body['id']}/publish", headers=headers)
    assert published.status_code == 200 and published.json()["status"] == "published"
    again = await client.post(f"{API}/admin/events/{body['id']}/publish", headers=headers)
    assert again.json()["published_at"] == published.json()["published_at"]

    public = (await client.get(f"{API}/events/{body['id']}")).json()
    assert public["title"] == WORKSHOP["title"] and public["join_url"] is None
    assert public["seats_left"] == 12 and public["is_registration_open"] is True
    assert await _audit_actions(session) == ["event.created", "event.published"]


async def test_r_con_5_staff_create_a_recorded_webinar_with_its_recording(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, headers = await staff(session, settings)
    course = await make_course(session, lessons=1)
    lesson_id = (
        await session.scalars(select(Lesson.id).where(Lesson.course_id == course.id))
    ).one()
    await session.commit()
    payload = {
        "kind": "webinar",
        "delivery": "recorded",
        "title": "録画配信ウェビナー",
        "starts_at": "2026-12-08T19:00:00+09:00",
        "ends_at": "2026-12-08T20:00:00+09:00",
        "recording_lesson_id": str(lesson_id),
        "recording_video_asset_id": "vimeo-42",
    }

    created = await client.post(f"{API}/admin/events", json=payload, headers=headers)

    assert created.status_code == 201, created.text
    assert created.json()["capacity"] is None and created.json()["has_chat_qa"] is False
    assert created.json()["recording_lesson_id"] == str(lesson_id)


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"kind": "workshop", "capacity": None}, "body.capacity", "required_for_workshops"),
        ({"minimum_headcount": None}, "body.minimum_headcount", "required_for_workshops"),
        ({"minimum_headcount": 13}, "body.minimum_headcount", "must_not_exceed_capacity"),
        ({"delivery": "recorded"}, "body.delivery", "workshops_are_live"),
        ({"ends_at": "2026-12-08T10:00:00+09:00"}, "body.ends_at", "must_be_after_starts_at"),
        (
            {"registration_closes_at": "2026-12-08T12:00:01+09:00"},
            "body.registration_closes_at",
            "must_not_be_after_ends_at",
        ),
        (
            {"recording_lesson_id": str(uuid.UUID(int=7)), "delivery": "live"},
            "body.recording_lesson_id",
            "only_for_recorded_webinars",
        ),
        (
            {"kind": "webinar", "capacity": None},
            "body.minimum_headcount",
            "only_for_workshops",
        ),
    ],
)
async def test_r_con_6_incoherent_events_are_refused_with_a_code_per_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    changes: dict[str, Any],
    field: str,
    code: str,
) -> None:
    await set_now(session, NOW)
    _, headers = await staff(session, settings)
    await session.commit()
    before = await counts(session)

    refused = await client.post(
        f"{API}/admin/events", json={**WORKSHOP, **changes}, headers=headers
    )

    assert refused.status_code == 400, refused.text
    assert refused.json()["type"] == "event-invalid"
    assert code in refused.json()["errors"][field]
    assert await counts(session) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"join_url": "http://zoom.us/j/1"},  # not https
        {"join_url": "javascript:alert(1)"},
        {"join_url": "https://user:pw@zoom.us/j/1"},
        {"join_url": "https://"},
        {"starts_at": "2026-12-08T10:00:00"},  # no offset
        {"capacity": 0},
        {"minimum_headcount": 0},
        {"title": "   "},
        {"kind": "seminar"},
        {"unknown": 1},
    ],
)
async def test_r_con_6_malformed_event_payloads_are_422_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, changes: dict[str, Any]
) -> None:
    await set_now(session, NOW)
    _, headers = await staff(session, settings)
    await session.commit()
    before = await counts(session)

    refused = await client.post(
        f"{API}/admin/events", json={**WORKSHOP, **changes}, headers=headers
    )

    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "validation-error"
    assert await counts(session) == before


async def test_r_con_6_unknown_recording_lesson_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, headers = await staff(session, settings)
    await session.commit()
    payload = {
        "kind": "webinar",
        "delivery": "recorded",
        "title": "録画",
        "starts_at": "2026-12-08T19:00:00+09:00",
        "ends_at": "2026-12-08T20:00:00+09:00",
        "recording_lesson_id": str(uuid.uuid4()),
    }
    refused = await client.post(f"{API}/admin/events", json=payload, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["errors"]["body.recording_lesson_id"] == ["lesson_not_found"]


async def test_r_con_6_raising_the_capacity_promotes_the_wait_list_in_order(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, staff_headers = await staff(session, settings)
    event = await make_event(session, capacity=1, minimum_headcount=1)
    people = [await member(session, settings) for _ in range(4)]
    await session.commit()
    for _, headers in people:
        await client.post(f"{API}/events/{event.id}/registrations", headers=headers)

    changed = await client.patch(
        f"{API}/admin/events/{event.id}", json={"capacity": 3}, headers=staff_headers
    )

    assert changed.status_code == 200, changed.text
    assert (changed.json()["registered_count"], changed.json()["waitlisted_count"]) == (3, 1)
    statuses = [
        (
            await session.scalar(
                select(EventRegistration.status)
                .where(EventRegistration.user_id == user.id)
                .execution_options(populate_existing=True)
            )
        )
        for user, _ in people
    ]
    assert statuses == [
        RegistrationStatus.registered,
        RegistrationStatus.registered,
        RegistrationStatus.registered,
        RegistrationStatus.waitlisted,
    ]
    assert [
        len(await emails_to(session, user, "event_waitlist_promoted")) for user, _ in people
    ] == [
        0,
        1,
        1,
        0,
    ]
    audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "event.updated"))
    assert audit is not None and audit.data == {"fields": ["capacity"]}


async def test_r_con_6_capacity_below_the_registered_count_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, staff_headers = await staff(session, settings)
    event = await make_event(session, capacity=3, minimum_headcount=1)
    for _ in range(2):
        _, headers = await member(session, settings)
        await session.commit()
        await client.post(f"{API}/events/{event.id}/registrations", headers=headers)
    before = await counts(session)

    refused = await client.patch(
        f"{API}/admin/events/{event.id}", json={"capacity": 1}, headers=staff_headers
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "event-capacity-below-registered"
    assert await counts(session) == before
    assert (await reload_event(session, event.id)).capacity == 3
    ok = await client.patch(
        f"{API}/admin/events/{event.id}", json={"capacity": 2}, headers=staff_headers
    )
    assert ok.status_code == 200


async def test_r_con_6_patch_changes_only_what_is_sent_and_refuses_null_for_required_fields(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, headers = await staff(session, settings)
    event = await make_event(session)
    await session.commit()

    renamed = await client.patch(
        f"{API}/admin/events/{event.id}",
        json={"title": "新しい題名", "join_url": None},
        headers=headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "新しい題名" and renamed.json()["join_url"] is None
    assert renamed.json()["capacity"] == 5
    for body in ({"title": None}, {"starts_at": None}, {"kind": "webinar"}):
        refused = await client.patch(f"{API}/admin/events/{event.id}", json=body, headers=headers)
        assert refused.status_code == 422, body
    unknown = await client.patch(f"{API}/admin/events/{uuid.uuid4()}", json={}, headers=headers)
    assert (unknown.status_code, unknown.json()["type"]) == (404, "event-not-found")


async def test_r_con_6_cancelling_an_event_cancels_registrations_and_emails_them(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, staff_headers = await staff(session, settings)
    event = await make_event(session, capacity=1, minimum_headcount=1)
    seated, seated_headers = await member(session, settings)
    waiting, waiting_headers = await member(session, settings)
    quitter, quitter_headers = await member(session, settings)
    await session.commit()
    await client.post(f"{API}/events/{event.id}/registrations", headers=seated_headers)
    await client.post(f"{API}/events/{event.id}/registrations", headers=waiting_headers)
    gone = (
        await client.post(f"{API}/events/{event.id}/registrations", headers=quitter_headers)
    ).json()
    await client.post(f"{API}/me/event-registrations/{gone['id']}/cancel", headers=quitter_headers)

    cancelled = await client.post(
        f"{API}/admin/events/{event.id}/cancel",
        json={"reason": "講師の体調不良のため"},
        headers=staff_headers,
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["registered_count"] == 0
    for user in (seated, waiting):
        mails = await emails_to(session, user, "event_cancelled")
        assert len(mails) == 1 and event.title in mails[0].body_text
    assert await emails_to(session, quitter, "event_cancelled") == []
    mine = (await client.get(f"{API}/me/event-registrations", headers=seated_headers)).json()
    assert mine["items"][0]["cancel_reason"] == "event_cancelled"
    page = (await client.get(f"{API}/events/{event.id}", headers=seated_headers)).json()
    assert page["join_url"] is None and page["my_registration"] is None

    twice = await client.post(f"{API}/admin/events/{event.id}/cancel", headers=staff_headers)
    assert twice.status_code == 200
    assert len(await emails_to(session, seated, "event_cancelled")) == 1
    refused = await client.patch(
        f"{API}/admin/events/{event.id}", json={"title": "x"}, headers=staff_headers
    )
    assert refused.json()["type"] == "event-cancelled"
    refused = await client.post(f"{API}/admin/events/{event.id}/publish", headers=staff_headers)
    assert refused.json()["type"] == "event-cancelled"


async def test_r_con_6_staff_list_registrants_and_the_wait_list_in_line_order(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, staff_headers = await staff(session, settings)
    event = await make_event(session, capacity=2, minimum_headcount=2)
    people = [await member(session, settings, name=f"会員 {i}") for i in range(5)]
    await session.commit()
    for _, headers in people:
        await client.post(f"{API}/events/{event.id}/registrations", headers=headers)

    everyone = (
        await client.get(f"{API}/admin/events/{event.id}/registrations", headers=staff_headers)
    ).json()["items"]
    waitlist = (
        await client.get(
            f"{API}/admin/events/{event.id}/registrations",
            params={"status": "waitlisted", "limit": 2},
            headers=staff_headers,
        )
    ).json()
    rest = (
        await client.get(
            f"{API}/admin/events/{event.id}/registrations",
            params={"status": "waitlisted", "limit": 2, "cursor": waitlist["next_cursor"]},
            headers=staff_headers,
        )
    ).json()

    assert [r["user_name"] for r in everyone] == [f"会員 {i}" for i in range(5)]
    assert [r["status"] for r in everyone] == ["registered"] * 2 + ["waitlisted"] * 3
    queue = waitlist["items"] + rest["items"]
    assert [r["waitlist_position"] for r in queue] == [1, 2, 3]
    assert [r["user_id"] for r in queue] == [str(user.id) for user, _ in people[2:]]
    assert all(r["user_email"] for r in queue)


@pytest.mark.parametrize("role", [Role.member, Role.grader, Role.org_admin])
async def test_r_con_6_non_staff_are_refused_on_every_admin_events_operation(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, role: Role
) -> None:
    await set_now(session, NOW)
    event = await make_event(session)
    user = await make_user(session, role=role)
    headers = await bearer_for(session, user, settings, now=NOW)
    await session.commit()
    before = await counts(session)
    base = f"{API}/admin/events"
    calls = [
        ("GET", base, None),
        ("POST", base, WORKSHOP),
        ("GET", f"{base}/{event.id}", None),
        ("PATCH", f"{base}/{event.id}", {"title": "乗っ取り"}),
        ("POST", f"{base}/{event.id}/publish", None),
        ("POST", f"{base}/{event.id}/cancel", {}),
        ("GET", f"{base}/{event.id}/registrations", None),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["type"] == "role-not-allowed"
    assert await counts(session) == before


async def test_r_con_6_staff_see_every_status_and_filter(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await set_now(session, NOW)
    _, headers = await staff(session, settings)
    draft = await make_event(session, status=EventStatus.draft, starts_at=STARTS)
    published = await make_event(session, starts_at=STARTS + timedelta(days=1))
    await session.commit()

    everything = (await client.get(f"{API}/admin/events", headers=headers)).json()["items"]
    drafts = (
        await client.get(f"{API}/admin/events", params={"status": "draft"}, headers=headers)
    ).json()["items"]

    assert [e["id"] for e in everything] == [str(published.id), str(draft.id)]
    assert [e["id"] for e in drafts] == [str(draft.id)]
    assert everything[0]["join_url"] == ZOOM
