"""Demo data for local development (`make seed`, and `make run` before it serves): one account
per role, terms, registry records, two published demo courses and a membership for the member.

Idempotent: every row is keyed by something unique (email, organization name, terms kind +
version, customer number) and only inserted when missing, so a second run changes nothing.
Existing accounts keep their password; the printed table says when the demo password no longer
works because someone changed it.

    python scripts/seed.py          # DATABASE_URL, or the embedded server under .devdb/

Tests import `seed(session)` and run it inside their rolled-back transaction.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.content.rules import search_text  # noqa: E402
from app.kit.normalize import normalize_email  # noqa: E402
from app.kit.security import hash_password, verify_password  # noqa: E402
from app.models import (  # noqa: E402
    Course,
    CourseKind,
    CustomerRecord,
    EntitlementGrant,
    GrantScope,
    GrantSource,
    Lesson,
    LessonKind,
    Organization,
    Role,
    TermsDocument,
    TermsKind,
    User,
)
from app.models.progress import QuizChoice, QuizQuestion  # noqa: E402

DEMO_ORGANIZATION = "デモ学習株式会社"
TERMS_VERSION = "2026-11-01"
TERMS_EFFECTIVE_ON = date(2026, 11, 1)


@dataclass(frozen=True)
class DemoUser:
    role: Role
    email: str
    password: str
    name: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(Role.member, "member@manabi.example", "Manabi-member-2026", "山田 学"),
    DemoUser(Role.org_admin, "org-admin@manabi.example", "Manabi-orgadmin-2026", "佐藤 組織"),
    DemoUser(Role.grader, "grader@manabi.example", "Manabi-grader-2026", "鈴木 添削"),
    DemoUser(Role.staff, "staff@manabi.example", "Manabi-staff-2026", "高橋 事務"),
    DemoUser(Role.admin, "admin@manabi.example", "Manabi-admin-2026", "田中 管理"),
)

TERMS_DOCUMENTS: tuple[tuple[TermsKind, str, str], ...] = (
    (
        TermsKind.terms,
        "Manabi 利用規約",
        "本規約は、Manabi が提供する学習サービスの利用条件を定めるものです。"
        "会員は本規約に同意のうえ、サービスを利用するものとします。",
    ),
    (
        TermsKind.privacy,
        "個人情報の保護と取扱いについて",
        "Manabi は、会員の個人情報を学習サービスの提供、受講サポートおよびご連絡のために利用し、"
        "法令に基づく場合を除き、本人の同意なく第三者に提供しません。",
    ),
)

# The correspondence-course registry (R-ID-2): try student-support registration with these.
CUSTOMER_RECORDS: tuple[tuple[str, str, str], ...] = (
    ("10000000001", "伊藤 花子", "09012345678"),
    ("10000000002", "渡辺 健太", "0312345678"),
)


@dataclass(frozen=True)
class Credential:
    role: str
    email: str
    password: str
    status: str  # "created", "exists", "exists: password changed"


async def seed(session: AsyncSession, *, now: datetime | None = None) -> list[Credential]:
    """Insert whatever demo data is missing; flush, never commit (the caller owns the transaction)."""
    now = now or datetime.now(UTC)

    organization_id = await session.scalar(
        select(Organization.id).where(Organization.name == DEMO_ORGANIZATION).limit(1)
    )
    if organization_id is None:
        organization = Organization(name=DEMO_ORGANIZATION)
        session.add(organization)
        await session.flush()
        organization_id = organization.id

    for kind, title, body in TERMS_DOCUMENTS:
        await session.execute(
            insert(TermsDocument)
            .values(
                kind=kind,
                version=TERMS_VERSION,
                effective_on=TERMS_EFFECTIVE_ON,
                title=title,
                body=body,
            )
            .on_conflict_do_nothing(index_elements=[TermsDocument.kind, TermsDocument.version])
        )

    for customer_number, name, phone in CUSTOMER_RECORDS:
        await session.execute(
            insert(CustomerRecord)
            .values(customer_number=customer_number, name=name, phone=phone, phone_recorded_at=now)
            .on_conflict_do_nothing(index_elements=[CustomerRecord.customer_number])
        )

    credentials: list[Credential] = []
    for demo in DEMO_USERS:
        email = normalize_email(demo.email)
        existing = await session.scalar(select(User.password_hash).where(User.email == email))
        if existing is not None:
            still_works = await verify_password(demo.password, existing)
            status = "exists" if still_works else "exists: password changed"
        else:
            await session.execute(
                insert(User)
                .values(
                    email=email,
                    email_verified_at=now,
                    password_hash=await hash_password(demo.password),
                    name=demo.name,
                    role=demo.role,
                    organization_id=organization_id if demo.role is Role.org_admin else None,
                )
                .on_conflict_do_nothing(index_elements=[User.email])
            )
            status = "created"
        credentials.append(Credential(demo.role.value, email, demo.password, status))
    await session.flush()
    await seed_catalog(session, now=now)
    return credentials


# (slug, kind, title, summary, keywords, lessons: (kind, title, seconds or None))
DEMO_COURSES = (
    (
        "demo-roumu-kiso",
        CourseKind.course,
        "労務管理の基礎",
        "労働時間・休日・賃金の基本を短い動画で学びます。",
        "労務 労働基準法 36協定",
        (
            (LessonKind.video, "労働時間の原則", 600),
            (LessonKind.video, "36協定と時間外労働", 720),
            (LessonKind.test, "確認テスト", None),
        ),
    ),
    (
        "demo-ai-katsuyou",
        CourseKind.seminar,
        "AI活用入門セミナー",
        "生成AIを日々の業務に取り入れる考え方と手順。",
        "AI 生成AI ChatGPT 業務改善",
        (
            (LessonKind.video, "生成AIでできること", 900),
            (LessonKind.exercise, "プロンプト演習", 480),
        ),
    ),
)
DEMO_QUIZ = (
    ("法定労働時間は1日何時間ですか。", ("6時間", "8時間", "10時間"), 1),
    ("時間外労働に必要な労使協定は何ですか。", ("36協定", "就業規則", "雇用契約書"), 0),
)


async def seed_catalog(session: AsyncSession, *, now: datetime) -> None:
    """Two published demo courses (one with a self-check test) and a membership grant for the
    demo member, so the catalog, lesson pages, progress and tests can be tried at once."""
    for position, (slug, kind, title, summary, keywords, lessons) in enumerate(DEMO_COURSES):
        if await session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
            continue
        course = Course(
            slug=slug,
            kind=kind,
            title=title,
            summary=summary,
            keywords=keywords,
            search_text=search_text(title=title, summary=summary, keywords=keywords),
            is_published=True,
            published_at=now,
            position=position,
        )
        session.add(course)
        await session.flush()
        for index, (lesson_kind, lesson_title, seconds) in enumerate(lessons):
            lesson = Lesson(
                course_id=course.id,
                position=index,
                kind=lesson_kind,
                title=lesson_title,
                video_asset_id=f"{slug}-{index}" if seconds else None,
                duration_seconds=seconds,
            )
            session.add(lesson)
            await session.flush()
            if lesson_kind is LessonKind.test:
                for q_position, (body, choices, correct) in enumerate(DEMO_QUIZ):
                    question = QuizQuestion(lesson_id=lesson.id, position=q_position, body=body)
                    session.add(question)
                    await session.flush()
                    session.add_all(
                        QuizChoice(
                            question_id=question.id,
                            position=c_position,
                            body=choice,
                            is_correct=c_position == correct,
                        )
                        for c_position, choice in enumerate(choices)
                    )
    member_id = await session.scalar(
        select(User.id).where(User.email == normalize_email("member@manabi.example"))
    )
    has_grant = await session.scalar(
        select(EntitlementGrant.id).where(
            EntitlementGrant.user_id == member_id, EntitlementGrant.source_ref == "demo"
        )
    )
    if member_id is not None and has_grant is None:
        session.add(
            EntitlementGrant(
                user_id=member_id,
                scope=GrantScope.membership,
                source=GrantSource.staff,
                source_ref="demo",
                valid_from=now,
                reason="デモ用の会員権限",
            )
        )
    await session.flush()


def credentials_table(credentials: list[Credential]) -> str:
    header = Credential("role", "email", "password", "")
    rows = [header, *credentials]
    widths = [
        max(len(getattr(row, field)) for row in rows) for field in ("role", "email", "password")
    ]

    def line(row: Credential) -> str:
        cells = (row.role, row.email, row.password)
        text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return f"{text}  {row.status}".rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in credentials)])


def print_credentials(credentials: list[Credential]) -> None:
    print("Demo accounts (email verified; log in with email + password):")
    print(credentials_table(credentials))
    numbers = ", ".join(f"{number} / {phone}" for number, _, phone in CUSTOMER_RECORDS)
    print(f"Student-support registration: customer number / phone = {numbers}")


async def run(database_url: str) -> list[Credential]:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            credentials = await seed(session)
            await session.commit()
    finally:
        await engine.dispose()
    return credentials


def main() -> int:
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        from scripts.devdb import start

        database_url = start()
    print_credentials(asyncio.run(run(database_url)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
