"""scripts/seed.py: one verified account per role, the current terms, registry records; twice is harmless."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements import service as entitlements
from app.kit.security import verify_password
from app.models import (
    Course,
    CustomerRecord,
    Lesson,
    Organization,
    Role,
    TermsDocument,
    TermsKind,
    User,
)
from app.models.progress import QuizQuestion
from scripts.seed import DEMO_ORGANIZATION, credentials_table, seed


async def _counts(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for model in (User, Organization, TermsDocument, CustomerRecord):
        counts[model.__name__] = int(
            await session.scalar(select(func.count()).select_from(model)) or 0
        )
    return counts


async def test_seed_creates_one_user_per_role_and_is_idempotent(session: AsyncSession) -> None:
    before = await _counts(session)
    first = await seed(session)
    after_first = await _counts(session)
    second = await seed(session)
    after_second = await _counts(session)

    assert after_first == after_second  # the second run changed nothing
    assert after_first["User"] - before["User"] == len(Role)
    assert after_first["TermsDocument"] - before["TermsDocument"] == 2
    assert after_first["CustomerRecord"] - before["CustomerRecord"] == 2
    assert after_first["Organization"] - before["Organization"] == 1

    assert {c.status for c in first} == {"created"}
    assert {c.status for c in second} == {"exists"}
    assert [(c.role, c.email, c.password) for c in first] == [
        (c.role, c.email, c.password) for c in second
    ]

    emails = [c.email for c in first]
    users = (await session.scalars(select(User).where(User.email.in_(emails)))).all()
    assert Counter(user.role for user in users) == Counter(set(Role))
    organization_id = await session.scalar(
        select(Organization.id).where(Organization.name == DEMO_ORGANIZATION)
    )
    for user in users:
        assert user.email_verified_at is not None
        credential = next(c for c in first if c.email == user.email)
        assert await verify_password(credential.password, user.password_hash)
        expected_org = organization_id if user.role is Role.org_admin else None
        assert user.organization_id == expected_org

    kinds = await session.scalars(
        select(TermsDocument.kind).where(TermsDocument.version == "2026-11-01")
    )
    assert set(kinds) == {TermsKind.terms, TermsKind.privacy}
    records = (await session.scalars(select(CustomerRecord))).all()
    for record in records:
        assert len(record.customer_number) == 11 and record.customer_number.isdigit()
        assert record.phone.isdigit()


async def test_seed_reports_a_changed_password(session: AsyncSession) -> None:
    await seed(session)
    member = await session.scalar(select(User).where(User.email == "member@manabi.example"))
    assert member is not None
    member.password_hash = "not-the-demo-password"
    await session.flush()
    statuses = {c.role: c.status for c in await seed(session)}
    assert statuses["member"] == "exists: password changed"
    assert statuses["admin"] == "exists"


def test_credentials_table_lists_every_account() -> None:
    from scripts.seed import Credential

    table = credentials_table([Credential("member", "m@example.com", "pw-123", "created")])
    lines = table.splitlines()
    assert lines[0].split() == ["role", "email", "password"]
    assert lines[2].split() == ["member", "m@example.com", "pw-123", "created"]


async def test_r_con_7_seed_gives_the_demo_member_a_catalog_to_open(session: AsyncSession) -> None:
    """`make run` shows published demo courses, and the demo member may open them."""
    await seed(session)
    await seed(session)  # idempotent
    courses = (await session.scalars(select(Course).where(Course.is_published))).all()
    assert {course.slug for course in courses} >= {"demo-roumu-kiso", "demo-ai-katsuyou"}
    assert await session.scalar(select(func.count()).select_from(Lesson)) == 5
    assert await session.scalar(select(func.count()).select_from(QuizQuestion)) == 2
    member = await session.scalar(select(User).where(User.email == "member@manabi.example"))
    assert member is not None
    now = datetime.now(UTC)
    for course in courses:
        assert await entitlements.may_open_course(
            session, user_id=member.id, role=Role.member, course_id=course.id, now=now
        )
