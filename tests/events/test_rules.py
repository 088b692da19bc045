"""Pure rules of webinars and workshops (R-CON-5, R-CON-6): windows, seats, group work, settings."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.events import rules
from app.models import EventDelivery, EventKind, EventStatus
from app.notifications.formatting import format_email_datetime

T = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("now", "expected"),
    [(T - SECOND, True), (T, False), (T + SECOND, False)],
)
def test_r_con_6_registration_closes_at_the_exact_instant(now: datetime, expected: bool) -> None:
    assert (
        rules.registration_is_open(status=EventStatus.published, closes_at=T, now=now) is expected
    )


@pytest.mark.parametrize("status", [EventStatus.draft, EventStatus.cancelled])
def test_r_con_6_registration_is_closed_unless_published(status: EventStatus) -> None:
    assert not rules.registration_is_open(status=status, closes_at=T, now=T - timedelta(days=1))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (T - SECOND, False),  # one second before the start
        (T, True),  # opens at starts_at exactly
        (T + timedelta(hours=2) - SECOND, True),  # last second
        (T + timedelta(hours=2), False),  # closed at ends_at exactly
    ],
)
def test_r_con_5_chat_is_open_on_the_half_open_live_window(now: datetime, expected: bool) -> None:
    assert (
        rules.chat_is_open(
            kind=EventKind.webinar,
            delivery=EventDelivery.live,
            status=EventStatus.published,
            starts_at=T,
            ends_at=T + timedelta(hours=2),
            now=now,
        )
        is expected
    )


@pytest.mark.parametrize(
    ("kind", "delivery", "status"),
    [
        (EventKind.webinar, EventDelivery.recorded, EventStatus.published),  # no Q&A, ever
        (EventKind.workshop, EventDelivery.live, EventStatus.published),  # questions on Zoom
        (EventKind.webinar, EventDelivery.live, EventStatus.cancelled),
    ],
)
def test_r_con_5_chat_is_never_open_for_recorded_webinars_workshops_or_cancelled_events(
    kind: EventKind, delivery: EventDelivery, status: EventStatus
) -> None:
    assert not rules.chat_is_open(
        kind=kind,
        delivery=delivery,
        status=status,
        starts_at=T,
        ends_at=T + timedelta(hours=2),
        now=T,
    )


@pytest.mark.parametrize(("now", "expected"), [(T - SECOND, True), (T, False), (T + SECOND, False)])
def test_r_con_6_a_member_may_cancel_until_the_start(now: datetime, expected: bool) -> None:
    assert rules.member_may_cancel(starts_at=T, now=now) is expected


@pytest.mark.parametrize(
    ("minimum", "registered", "expected"),
    [(None, 10, None), (3, 2, False), (3, 3, True), (3, 4, True), (1, 0, False)],
)
def test_r_con_6_group_work_needs_the_minimum_headcount(
    minimum: int | None, registered: int, expected: bool | None
) -> None:
    assert (
        rules.group_work_expected(minimum_headcount=minimum, registered_count=registered)
        is expected
    )


@pytest.mark.parametrize(
    ("capacity", "registered", "expected"),
    [(None, 10_000, True), (5, 4, True), (5, 5, False), (1, 0, True)],
)
def test_r_con_6_a_new_registration_gets_a_seat_while_seats_are_left(
    capacity: int | None, registered: int, expected: bool
) -> None:
    assert rules.gets_a_seat(capacity=capacity, registered_count=registered) is expected


@given(
    capacity=st.one_of(st.none(), st.integers(min_value=1, max_value=500)),
    registered=st.integers(min_value=0, max_value=500),
    waitlisted=st.integers(min_value=0, max_value=500),
)
def test_r_con_6_promotion_never_overfills_and_never_leaves_a_seat_empty_with_a_queue(
    capacity: int | None, registered: int, waitlisted: int
) -> None:
    if capacity is not None:
        registered = min(registered, capacity)
    promoted = rules.seats_to_fill(
        capacity=capacity, registered_count=registered, waitlisted_count=waitlisted
    )
    assert 0 <= promoted <= waitlisted
    if capacity is not None:
        assert registered + promoted <= capacity
        # Nobody stays waiting while a seat is free.
        assert registered + promoted == capacity or promoted == waitlisted
    else:
        assert promoted == waitlisted


BASE = rules.EventSettings(
    kind=EventKind.workshop,
    delivery=EventDelivery.live,
    starts_at=T,
    ends_at=T + timedelta(hours=2),
    registration_closes_at=T,
    capacity=10,
    minimum_headcount=4,
    recording_lesson_id=None,
    recording_video_asset_id=None,
)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {}),
        ({"ends_at": T}, {"body.ends_at": ["must_be_after_starts_at"]}),
        (
            {"registration_closes_at": T + timedelta(hours=2, seconds=1)},
            {"body.registration_closes_at": ["must_not_be_after_ends_at"]},
        ),
        ({"registration_closes_at": T + timedelta(hours=2)}, {}),  # until the end is allowed
        ({"delivery": EventDelivery.recorded}, {"body.delivery": ["workshops_are_live"]}),
        ({"capacity": None}, {"body.capacity": ["required_for_workshops"]}),
        ({"minimum_headcount": None}, {"body.minimum_headcount": ["required_for_workshops"]}),
        ({"minimum_headcount": 11}, {"body.minimum_headcount": ["must_not_exceed_capacity"]}),
        ({"minimum_headcount": 10}, {}),
        (
            {"recording_video_asset_id": "vimeo-1"},
            {"body.recording_video_asset_id": ["only_for_recorded_webinars"]},
        ),
        (
            {"kind": EventKind.webinar, "capacity": None, "minimum_headcount": None},
            {},
        ),
        (
            {"kind": EventKind.webinar, "minimum_headcount": 2},
            {"body.minimum_headcount": ["only_for_workshops"]},
        ),
        (
            {
                "kind": EventKind.webinar,
                "delivery": EventDelivery.recorded,
                "minimum_headcount": None,
                "recording_lesson_id": uuid.uuid4(),
            },
            {},
        ),
    ],
)
def test_r_con_5_r_con_6_event_settings_must_agree(
    changes: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    assert rules.event_violations(dataclasses.replace(BASE, **changes)) == expected


def test_r_con_6_email_datetimes_are_jst() -> None:
    assert format_email_datetime(T, "ja") == "2026年12月8日 10:00"
    assert format_email_datetime(T, "en") == "2026-12-08 10:00 (JST)"
