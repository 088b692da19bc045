"""Test data factories: real rows in the test's transaction, no mocks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit import security
from app.models import (
    AccountStatus,
    AuthSession,
    Course,
    CourseKind,
    CourseProgram,
    EntitlementGrant,
    GrantScope,
    GrantSource,
    Lesson,
    LessonKind,
    Organization,
    Role,
    User,
)

DEFAULT_PASSWORD = "correct horse battery staple"
_password_hash_cache: dict[str, str] = {}


async def password_hash(password: str) -> str:
    """argon2 is slow on purpose; hash each distinct test password once per run."""
    if password not in _password_hash_cache:
        _password_hash_cache[password] = await security.hash_password(password)
    return _password_hash_cache[password]


async def make_organization(session: AsyncSession, name: str = "株式会社テスト") -> Organization:
    organization = Organization(id=uuid.uuid4(), name=name)
    session.add(organization)
    await session.flush()
    return organization


async def make_user(
    session: AsyncSession,
    *,
    role: Role = Role.member,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    name: str = "山田 太郎",
    status: AccountStatus = AccountStatus.active,
    organization_id: uuid.UUID | None = None,
    customer_number: str | None = None,
    verified: bool = True,
) -> User:
    user = User(
        id=uuid.uuid4(),
        email=email or f"user-{uuid.uuid4().hex[:12]}@example.jp",
        email_verified_at=datetime.now(UTC) if verified else None,
        password_hash=await password_hash(password),
        name=name,
        role=role,
        status=status,
        organization_id=organization_id,
        customer_number=customer_number,
        locale="ja",
        session_epoch=0,
    )
    session.add(user)
    await session.flush()
    return user


async def bearer_for(
    session: AsyncSession, user: User, settings: Settings, now: datetime | None = None
) -> dict[str, str]:
    """An Authorization header for `user` with a fresh login session (bypasses the login API)."""
    now = now or datetime.now(UTC)
    login = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        expires_at=now + timedelta(days=settings.refresh_token_ttl_days),
        last_used_at=now,
    )
    session.add(login)
    await session.flush()
    token, _ = security.create_access_token(
        secret=settings.secret_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        user_id=user.id,
        session_id=login.id,
        role=user.role.value,
        epoch=user.session_epoch,
        now=now,
        ttl=timedelta(minutes=settings.access_token_ttl_minutes),
    )
    return {"Authorization": f"Bearer {token}"}


async def make_course(
    session: AsyncSession,
    *,
    title: str = "労務管理の基礎",
    kind: CourseKind = CourseKind.course,
    program: CourseProgram = CourseProgram.membership,
    is_membership_content: bool = True,
    is_published: bool = True,
    position: int = 0,
    lessons: int = 0,
) -> Course:
    """A course with `lessons` video lessons at positions 0..lessons-1."""
    course = Course(
        id=uuid.uuid4(),
        slug=f"course-{uuid.uuid4().hex[:12]}",
        kind=kind,
        program=program,
        title=title,
        summary="",
        description="",
        keywords="",
        search_text=title.lower(),
        is_membership_content=is_membership_content,
        is_published=is_published,
        published_at=datetime.now(UTC) if is_published else None,
        position=position,
    )
    session.add(course)
    for index in range(lessons):
        session.add(
            Lesson(
                id=uuid.uuid4(),
                course_id=course.id,
                position=index,
                kind=LessonKind.video,
                title=f"第{index + 1}回",
                description="",
                video_asset_id=f"asset-{uuid.uuid4().hex[:8]}",
                duration_seconds=600,
            )
        )
    await session.flush()
    return course


async def make_grant(
    session: AsyncSession,
    user: User,
    *,
    scope: GrantScope = GrantScope.membership,
    course_id: uuid.UUID | None = None,
    content_set_id: uuid.UUID | None = None,
    source: GrantSource = GrantSource.staff,
    source_ref: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> EntitlementGrant:
    grant = EntitlementGrant(
        id=uuid.uuid4(),
        user_id=user.id,
        scope=scope,
        course_id=course_id,
        content_set_id=content_set_id,
        source=source,
        source_ref=source_ref,
        valid_from=valid_from or datetime(2000, 1, 1, tzinfo=UTC),
        valid_until=valid_until,
    )
    session.add(grant)
    await session.flush()
    return grant
