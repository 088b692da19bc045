"""The re-enrollment confirmation email (R-ENR-16), called directly as the fee's settlement does:
new dates, no excellent completion, the order number and the ¥4,400 fee, to the learner and the
organization's training manager."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.enrollments import emails, rules
from app.kit.calendar import JST
from app.models import AccountStatus, Enrollment, EnrollmentStatus, Role, User
from app.models.enrollment import CompletionStatus
from app.models.payment import OrderKind, PaymentOrder
from app.payments.orders.service import OrderLineInput, create_order
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.enrollments.outbox import by_user, enrollment_emails, sent
from tests.factories import make_organization, make_user

BASE = "https://manabi.example.jp"
NOW = datetime(2027, 8, 10, 10, tzinfo=JST)


async def _re_enrollment(
    session: AsyncSession, learner: User, manager: User | None
) -> tuple[Enrollment, PaymentOrder]:
    """A paid re-enrollment 2027-09-01 … 2028-02-29 of an enrollment that ended 2027-05-31."""
    course, course_settings = await make_correspondence_course(session, title="人事労務コース")
    previous = await make_enrollment(
        session,
        learner,
        course,
        course_settings,
        accepted_on=date(2026, 11, 20),
        status=EnrollmentStatus.ended,
        organization_id=learner.organization_id,
    )
    previous.completion_status = CompletionStatus.not_completed
    order = await create_order(
        session,
        user_id=learner.id,
        kind=OrderKind.re_enrollment,
        title="再受講料 人事労務コース",
        lines=[OrderLineInput(description="再受講料", unit_price_jpy=rules.RE_ENROLLMENT_FEE_JPY)],
        now=NOW,
    )
    start, end = rules.re_enrollment_period(
        rules.start_on(date(2027, 8, 10), same_month_start=False),
        rules.enrollment_months(course_settings.standard_period_months),
    )
    row = Enrollment(
        id=uuid.uuid4(),
        user_id=learner.id,
        course_id=course.id,
        organization_id=learner.organization_id,
        channel=previous.channel,
        status=EnrollmentStatus.active,
        accepted_on=date(2027, 8, 10),
        start_on=start,
        enrollment_end_on=end,
        original_end_on=end,
        excellent_deadline_on=None,
        question_quota=6,
        training_manager_user_id=manager.id if manager else None,
        re_enrollment_of_id=previous.id,
        order_id=order.id,
    )
    session.add(row)
    await session.flush()
    return row, order


async def test_r_enr_16_re_enrollment_confirmed_to_learner_and_training_manager(
    session: AsyncSession,
) -> None:
    org = await make_organization(session)
    learner = await make_user(session, name="山田 花子", organization_id=org.id)
    manager = await make_user(session, role=Role.org_admin, name="Ken Sato", organization_id=org.id)
    manager.locale = "en"
    row, order = await _re_enrollment(session, learner, manager)
    assert (row.start_on, row.enrollment_end_on) == (date(2027, 9, 1), date(2028, 2, 29))

    written = await emails.re_enrollment_confirmed(
        session, row, order, now=NOW, frontend_base_url=BASE + "/"
    )

    rows = await enrollment_emails(session)
    assert {r.id for r in written} == {r.id for r in rows}
    assert sent(rows) == {
        (learner.id, "re_enrollment_confirmed"),
        (manager.id, "re_enrollment_confirmed"),
    }
    mails = by_user(rows)
    [to_learner], [to_manager] = mails[learner.id], mails[manager.id]
    assert to_learner.subject == "【学びオンライン】再受講お手続き完了のお知らせ:人事労務コース"
    body = to_learner.body_text
    assert body.startswith("山田 花子 様")
    assert "開講日: 2027年9月1日" in body
    assert "在籍期間: 2027年9月1日 〜 2028年2月29日" in body
    assert f"注文番号: {order.order_number}" in body
    assert "再受講料: 4,400円(税込)" in body
    assert "優秀修了の認定はありません" in body
    assert f"{BASE}/me/enrollments/{row.id}" in body
    english = to_manager.body_text
    assert to_manager.locale == "en" and english.startswith("Dear Ken Sato,")
    assert "Learner: 山田 花子" in english
    assert "Enrollment period: 2027-09-01 to 2028-02-29" in english
    assert f"Order number: {order.order_number}" in english
    assert "Re-enrollment fee: ¥4,400 (tax included)" in english
    assert "cannot be completed with excellence" in english
    assert f"{BASE}/organizations/me/enrollments/{row.id}" in english


async def test_r_enr_16_individual_re_enrollment_to_the_learner_only_and_inactive_skipped(
    session: AsyncSession,
) -> None:
    learner = await make_user(session)
    row, order = await _re_enrollment(session, learner, None)
    written = await emails.re_enrollment_confirmed(
        session, row, order, now=NOW, frontend_base_url=BASE
    )
    assert [(r.user_id, r.template) for r in written] == [(learner.id, "re_enrollment_confirmed")]

    withdrawn = await make_user(session, status=AccountStatus.withdrawn)
    row, order = await _re_enrollment(session, withdrawn, None)
    assert (
        await emails.re_enrollment_confirmed(session, row, order, now=NOW, frontend_base_url=BASE)
        == []
    )
