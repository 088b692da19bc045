"""R-CON-7 / R-SUB-10: the one entitlement question, against real grant rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements import rules, service
from app.entitlements.errors import MembershipRequired, NotEntitled
from app.models import (
    ContentSet,
    ContentSetCourse,
    CourseProgram,
    EntitlementGrant,
    GrantScope,
    GrantSource,
    Role,
)
from tests.factories import make_course, make_grant, make_user

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


async def _may_open(session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID) -> bool:
    return await service.may_open_course(
        session, user_id=user_id, role=Role.member, course_id=course_id, now=NOW
    )


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "revoked_at", "expected"),
    [
        (NOW, None, None, True),  # starts this instant
        (NOW + timedelta(seconds=1), None, None, False),  # not yet
        (NOW - timedelta(days=1), NOW, None, False),  # ended this instant (exclusive end)
        (NOW - timedelta(days=1), NOW + timedelta(seconds=1), None, True),  # last second
        (NOW - timedelta(days=1), None, NOW, False),  # revoked now
        (NOW - timedelta(days=1), None, NOW + timedelta(days=1), True),  # revocation not yet due
    ],
)
def test_r_con_7_grant_window_is_half_open(
    valid_from: datetime, valid_until: datetime | None, revoked_at: datetime | None, expected: bool
) -> None:
    assert (
        rules.grant_is_live(
            valid_from=valid_from, valid_until=valid_until, revoked_at=revoked_at, now=NOW
        )
        is expected
    )


async def test_r_sub_10_membership_grant_opens_membership_courses_only(
    session: AsyncSession,
) -> None:
    member = await make_user(session)
    membership_course = await make_course(session)
    correspondence_course = await make_course(
        session, program=CourseProgram.correspondence, is_membership_content=False
    )
    assert not await _may_open(session, member.id, membership_course.id)

    await make_grant(session, member, scope=GrantScope.membership, source=GrantSource.subscription)

    assert await _may_open(session, member.id, membership_course.id)
    assert not await _may_open(session, member.id, correspondence_course.id)
    assert await service.has_membership(session, user_id=member.id, role=Role.member, now=NOW)


async def test_r_con_7_course_grant_opens_that_course_only(session: AsyncSession) -> None:
    member = await make_user(session)
    bought = await make_course(session, is_membership_content=False)
    other = await make_course(session, is_membership_content=False)
    await make_grant(
        session, member, scope=GrantScope.course, course_id=bought.id, source=GrantSource.purchase
    )
    assert await _may_open(session, member.id, bought.id)
    assert not await _may_open(session, member.id, other.id)
    # A course grant is not a membership.
    with pytest.raises(MembershipRequired):
        await service.require_membership(session, user_id=member.id, role=Role.member, now=NOW)


async def test_r_con_7_content_set_grant_opens_the_sets_courses(session: AsyncSession) -> None:
    member = await make_user(session)
    in_set = await make_course(session, is_membership_content=False)
    outside = await make_course(session, is_membership_content=False)
    content_set = ContentSet(id=uuid.uuid4(), code="plan-basic", title="ベーシックプラン")
    session.add(content_set)
    await session.flush()
    session.add(ContentSetCourse(content_set_id=content_set.id, course_id=in_set.id))
    await make_grant(
        session,
        member,
        scope=GrantScope.content_set,
        content_set_id=content_set.id,
        source=GrantSource.organization_plan,
    )
    assert await _may_open(session, member.id, in_set.id)
    assert not await _may_open(session, member.id, outside.id)


async def test_r_con_7_another_members_grant_opens_nothing(session: AsyncSession) -> None:
    holder = await make_user(session)
    other = await make_user(session)
    course = await make_course(session)
    await make_grant(session, holder)
    with pytest.raises(NotEntitled):
        await service.require_course_access(
            session, user_id=other.id, role=Role.member, course_id=course.id, now=NOW
        )


async def test_r_con_7_staff_preview_everything_members_need_grants(session: AsyncSession) -> None:
    staff = await make_user(session, role=Role.staff)
    grader = await make_user(session, role=Role.grader)
    course = await make_course(session, is_membership_content=False)
    assert await service.may_open_course(
        session, user_id=staff.id, role=Role.staff, course_id=course.id, now=NOW
    )
    assert not await service.may_open_course(
        session, user_id=grader.id, role=Role.grader, course_id=course.id, now=NOW
    )


async def test_r_sub_10_end_grants_shortens_live_and_revokes_future(session: AsyncSession) -> None:
    member = await make_user(session)
    course = await make_course(session)
    current = await make_grant(
        session,
        member,
        source=GrantSource.subscription,
        source_ref="sub-1",
        valid_from=NOW - timedelta(days=10),
    )
    future = await make_grant(
        session,
        member,
        source=GrantSource.subscription,
        source_ref="sub-1",
        valid_from=NOW + timedelta(days=20),
    )
    unrelated = await make_grant(
        session, member, source=GrantSource.subscription, source_ref="sub-2"
    )
    changed = await service.end_grants(
        session,
        source=GrantSource.subscription,
        source_ref="sub-1",
        ends_at=NOW + timedelta(days=1),
    )
    assert changed == 2
    rows = {
        row.id: row
        for row in (
            await session.scalars(
                select(EntitlementGrant).execution_options(populate_existing=True)
            )
        ).all()
    }
    assert rows[current.id].valid_until == NOW + timedelta(days=1)
    assert rows[future.id].revoked_at is not None
    assert rows[unrelated.id].valid_until is None
    # Still open until the end, then closed.
    assert await _may_open(session, member.id, course.id)  # via sub-2 as well
    await session.delete(rows[unrelated.id])
    await session.flush()
    assert await service.may_open_course(
        session,
        user_id=member.id,
        role=Role.member,
        course_id=course.id,
        now=NOW + timedelta(days=1) - timedelta(seconds=1),
    )
    assert not await service.may_open_course(
        session,
        user_id=member.id,
        role=Role.member,
        course_id=course.id,
        now=NOW + timedelta(days=1),
    )


async def test_r_con_7_scope_without_its_target_is_refused_by_the_table(
    session: AsyncSession,
) -> None:
    member = await make_user(session)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await make_grant(session, member, scope=GrantScope.course, course_id=None)
