"""The enrollment tables hold what the rules compute (R-ENR-1, R-ENR-3, R-ENR-4)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import make_user


async def test_r_enr_3_enrollment_stores_the_rule_dates(session: AsyncSession) -> None:
    user = await make_user(session)
    course, settings = await make_correspondence_course(session, standard_period_months=3)
    enrollment = await make_enrollment(
        session, user, course, settings, accepted_on=date(2026, 11, 20)
    )
    assert enrollment.start_on == date(2026, 12, 1)
    assert enrollment.enrollment_end_on == date(2027, 5, 31)
    assert enrollment.excellent_deadline_on == date(2027, 4, 30)


async def test_r_enr_16_an_enrollment_is_re_enrolled_at_most_once(session: AsyncSession) -> None:
    user = await make_user(session)
    course, settings = await make_correspondence_course(session)
    first = await make_enrollment(session, user, course, settings, accepted_on=date(2026, 1, 5))
    second = await make_enrollment(session, user, course, settings, accepted_on=date(2027, 1, 5))
    second.re_enrollment_of_id = first.id
    await session.flush()
    third = await make_enrollment(session, user, course, settings, accepted_on=date(2027, 2, 5))
    third.re_enrollment_of_id = first.id
    with pytest.raises(IntegrityError):
        await session.flush()
