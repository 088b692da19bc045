"""The benchmark dataset, loaded with COPY (asyncpg `copy_records_to_table`) from a seeded RNG.

Full scale: 50,000 members, 300 courses × 50 lessons (15,000), entitlement grants, one login
session per member, and 3,000,000 progress rows once `lesson_progress` exists in the models.

Shape (same seed → same rows):
- courses: 80% membership content, 15% correspondence, 5% purchase; 5% unpublished;
- grants: 80% of members hold a live membership, 5% a lapsed one (ended 30 days ago); 15% hold
  1–3 course grants on non-membership courses (enrollments, purchases);
- sessions: every member has one live login session; `LOAD_USER_AGENT` marks the members the
  load uses (drawn among members who may open something);
- progress: members with access work through consecutive lessons of a few courses they may open.

Every function takes an asyncpg connection and opens no transaction: the caller decides (the
runner wraps the whole load in one; the test runs it inside its rolled-back transaction).
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.models import Base

LOAD_USER_AGENT = "manabi-bench/load"
EMAIL_DOMAIN = "bench.manabi.example"
BENCH_PASSWORD = "bench-password-not-secret"


@dataclass(frozen=True)
class Scale:
    name: str
    members: int
    courses: int
    lessons_per_course: int
    progress_rows: int
    load_members: int  # members whose sessions the load uses (tokens are minted for them)


FULL = Scale("full", 50_000, 300, 50, 3_000_000, 2_000)
QUICK = Scale("quick", 5_000, 60, 50, 300_000, 500)
TINY = Scale("tiny", 60, 8, 5, 500, 10)


@dataclass
class Course:
    id: uuid.UUID
    membership: bool
    published: bool
    lessons: list[uuid.UUID] = field(default_factory=list)
    durations_ms: list[int | None] = field(default_factory=list)  # None: a test lesson


@dataclass
class Member:
    id: uuid.UUID
    live_membership: bool = False
    course_grants: list[int] = field(default_factory=list)  # indexes into the course list


@dataclass
class Generated:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def _without_secondary_indexes(
    connection: asyncpg.Connection, table: str, say: Callable[[str], None]
) -> AsyncIterator[None]:
    """Drop the table's indexes that back no constraint, load, then rebuild them: a sorted
    index build is several times faster than maintaining four B-trees row by row."""
    indexes = await connection.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
        WHERE i.indrelid = $1::regclass AND c.oid IS NULL
        """,
        table,
    )
    for index in indexes:
        await connection.execute(f"DROP INDEX {index['name']}")
    yield
    started = time.perf_counter()
    await connection.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for index in indexes:
        await connection.execute(index["definition"])
    if indexes:
        say(f"{table}: {len(indexes)} indexes rebuilt in {time.perf_counter() - started:.1f}s")


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(bytes=rng.randbytes(16), version=4)


async def _copy(
    connection: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    records: Iterable[tuple[Any, ...]],
    out: Generated,
    say: Callable[[str], None],
) -> None:
    started = time.perf_counter()
    counted = _Counter(records)
    await connection.copy_records_to_table(table, records=counted, columns=list(columns))
    seconds = time.perf_counter() - started
    out.rows[table] = out.rows.get(table, 0) + counted.count
    out.seconds[table] = out.seconds.get(table, 0.0) + seconds
    say(
        f"{table}: {counted.count:,} rows in {seconds:.1f}s ({counted.count / seconds:,.0f} rows/s)"
    )


class _Counter:
    """Counts the records while COPY consumes them (the progress rows are never a list)."""

    def __init__(self, records: Iterable[tuple[Any, ...]]) -> None:
        self._records = iter(records)
        self.count = 0

    def __iter__(self) -> _Counter:
        return self

    def __next__(self) -> tuple[Any, ...]:
        record = next(self._records)
        self.count += 1
        return record


async def generate(
    connection: asyncpg.Connection,
    scale: Scale,
    *,
    seed: int = 20261123,
    now: datetime | None = None,
    password_hash: str | None = None,
    say: Callable[[str], None] = print,
) -> Generated:
    """Fill an empty, migrated database. Returns row counts and seconds per table."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    out = Generated()
    if password_hash is None:
        from app.kit.security import hash_password

        password_hash = await hash_password(BENCH_PASSWORD)
    courses = await _courses_and_lessons(connection, rng, scale, now, out, say)
    members = await _members(connection, rng, scale, now, password_hash, out, say)
    await _grants(connection, rng, courses, members, now, out, say)
    await _sessions(connection, rng, scale, courses, members, now, out, say)
    await generate_progress(connection, rng, scale, courses, members, now, out, say)
    return out


async def _courses_and_lessons(
    connection: asyncpg.Connection,
    rng: random.Random,
    scale: Scale,
    now: datetime,
    out: Generated,
    say: Callable[[str], None],
) -> list[Course]:
    courses: list[Course] = []
    course_rows: list[tuple[Any, ...]] = []
    lesson_rows: list[tuple[Any, ...]] = []
    for index in range(scale.courses):
        draw = rng.random()
        program = "membership" if draw < 0.80 else "correspondence" if draw < 0.95 else "purchase"
        published = rng.random() >= 0.05
        course = Course(_uuid(rng), membership=program == "membership", published=published)
        courses.append(course)
        kind = "seminar" if rng.random() < 0.1 else "course"
        title = f"{'セミナー' if kind == 'seminar' else '講座'} {index + 1:03d}: 経営改善と人材育成の実務"
        summary = f"現場で使える手法を {scale.lessons_per_course} のレッスンで学びます。"
        created = now - timedelta(days=rng.randint(30, 720))
        course_rows.append(
            (
                course.id,
                created,
                created,
                f"bench-course-{index + 1:04d}",
                kind,
                program,
                title,
                summary,
                "受講者の声をもとに構成した実践講座です。" * 8,
                "経営, 人材育成, 実務",
                f"{title} {summary} 経営, 人材育成, 実務".lower(),
                course.membership,
                published,
                created if published else None,
                index,
            )
        )
        for position in range(scale.lessons_per_course):
            lesson_id = _uuid(rng)
            lesson_kind = ("video", "video", "exercise", "test")[position % 4]
            media = lesson_kind != "test"
            duration = rng.randint(300, 1800) if media else None
            course.lessons.append(lesson_id)
            course.durations_ms.append(None if duration is None else duration * 1000)
            lesson_rows.append(
                (
                    lesson_id,
                    created,
                    created,
                    course.id,
                    position,
                    lesson_kind,
                    f"第{position + 1}回 ケーススタディ",
                    "このレッスンでは事例をもとに考え方を整理します。" * 4,
                    f"asset-{lesson_id.hex[:12]}" if media else None,
                    duration,
                )
            )
    await _copy(
        connection,
        "course",
        (
            "id",
            "created_at",
            "updated_at",
            "slug",
            "kind",
            "program",
            "title",
            "summary",
            "description",
            "keywords",
            "search_text",
            "is_membership_content",
            "is_published",
            "published_at",
            "position",
        ),
        course_rows,
        out,
        say,
    )
    await _copy(
        connection,
        "lesson",
        (
            "id",
            "created_at",
            "updated_at",
            "course_id",
            "position",
            "kind",
            "title",
            "description",
            "video_asset_id",
            "duration_seconds",
        ),
        lesson_rows,
        out,
        say,
    )
    return courses


async def _members(
    connection: asyncpg.Connection,
    rng: random.Random,
    scale: Scale,
    now: datetime,
    password_hash: str,
    out: Generated,
    say: Callable[[str], None],
) -> list[Member]:
    members: list[Member] = []
    rows: list[tuple[Any, ...]] = []
    for index in range(scale.members):
        member = Member(_uuid(rng))
        members.append(member)
        created = now - timedelta(days=rng.randint(1, 1000), seconds=rng.randint(0, 86_399))
        rows.append(
            (
                member.id,
                created,
                created,
                f"member{index:06d}@{EMAIL_DOMAIN}",
                created,
                password_hash,
                f"会員 {index:06d}",
                "member",
                "active",
                "ja",
                0,
            )
        )
    await _copy(
        connection,
        "user_account",
        (
            "id",
            "created_at",
            "updated_at",
            "email",
            "email_verified_at",
            "password_hash",
            "name",
            "role",
            "status",
            "locale",
            "session_epoch",
        ),
        rows,
        out,
        say,
    )
    return members


async def _grants(
    connection: asyncpg.Connection,
    rng: random.Random,
    courses: list[Course],
    members: list[Member],
    now: datetime,
    out: Generated,
    say: Callable[[str], None],
) -> None:
    sold_separately = [i for i, course in enumerate(courses) if not course.membership]
    rows: list[tuple[Any, ...]] = []
    for index, member in enumerate(members):
        draw = rng.random()
        if draw < 0.85:
            member.live_membership = draw < 0.80
            valid_from = now - timedelta(days=rng.randint(31, 900))
            valid_until = None if member.live_membership else now - timedelta(days=30)
            rows.append(
                (
                    _uuid(rng),
                    valid_from,
                    valid_from,
                    member.id,
                    "membership",
                    None,
                    "subscription",
                    f"bench-subscription-{index}",
                    valid_from,
                    valid_until,
                )
            )
        if sold_separately and rng.random() < 0.15:
            picked = rng.sample(sold_separately, min(len(sold_separately), rng.randint(1, 3)))
            for course_index in picked:
                member.course_grants.append(course_index)
                valid_from = now - timedelta(days=rng.randint(1, 365))
                source = "enrollment" if rng.random() < 0.7 else "purchase"
                rows.append(
                    (
                        _uuid(rng),
                        valid_from,
                        valid_from,
                        member.id,
                        "course",
                        courses[course_index].id,
                        source,
                        f"bench-{source}-{index}-{course_index}",
                        valid_from,
                        None,
                    )
                )
    await _copy(
        connection,
        "entitlement_grant",
        (
            "id",
            "created_at",
            "updated_at",
            "user_id",
            "scope",
            "course_id",
            "source",
            "source_ref",
            "valid_from",
            "valid_until",
        ),
        rows,
        out,
        say,
    )


def openable_courses(courses: list[Course], member: Member) -> list[Course]:
    """Published courses the member's live grants open (the generator's mirror of R-CON-7)."""
    opened = [courses[i] for i in member.course_grants]
    if member.live_membership:
        opened += [course for course in courses if course.membership]
    return [course for course in opened if course.published and course.lessons]


async def _sessions(
    connection: asyncpg.Connection,
    rng: random.Random,
    scale: Scale,
    courses: list[Course],
    members: list[Member],
    now: datetime,
    out: Generated,
    say: Callable[[str], None],
) -> None:
    with_access = [m for m in members if m.live_membership or m.course_grants]
    load = set(m.id for m in rng.sample(with_access, min(scale.load_members, len(with_access))))
    rows: list[tuple[Any, ...]] = []
    for member in members:
        last_used = now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))
        rows.append(
            (
                _uuid(rng),
                last_used,
                last_used,
                member.id,
                now + timedelta(days=365),
                last_used,
                LOAD_USER_AGENT if member.id in load else "Mozilla/5.0 (bench)",
                "127.0.0.1",
            )
        )
    await _copy(
        connection,
        "auth_session",
        (
            "id",
            "created_at",
            "updated_at",
            "user_id",
            "expires_at",
            "last_used_at",
            "user_agent",
            "ip_address",
        ),
        rows,
        out,
        say,
    )


PROGRESS_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "user_id",
    "lesson_id",
    "course_id",
    "position_ms",
    "position_at",
    "furthest_ms",
    "watched_ranges",
    "watched_ms",
    "completed_at",
    "completion_source",
    "last_activity_at",
)


async def generate_progress(
    connection: asyncpg.Connection,
    rng: random.Random,
    scale: Scale,
    courses: list[Course],
    members: list[Member],
    now: datetime,
    out: Generated,
    say: Callable[[str], None],
) -> None:
    """`lesson_progress` (app/models/progress.py): each member with access works through the
    first lessons of a few courses they may open, in order — all finished but the last one,
    which is part-watched. Videos finish at 90–100% watched (5% marked complete by hand);
    test lessons complete by their attempt. `progress_event` (the idempotency ids) stays empty.
    """
    if "lesson_progress" not in Base.metadata.tables:
        say("lesson_progress: not in the models yet — progress rows skipped")
        return
    async with _without_secondary_indexes(connection, "lesson_progress", say):
        await _copy(
            connection,
            "lesson_progress",
            PROGRESS_COLUMNS,
            _progress_rows(rng, scale, courses, members, now),
            out,
            say,
        )


def _progress_rows(
    rng: random.Random, scale: Scale, courses: list[Course], members: list[Member], now: datetime
) -> Iterable[tuple[Any, ...]]:
    learners = [(m, openable_courses(courses, m)) for m in members]
    learners = [(m, opened) for m, opened in learners if opened]
    if not learners or scale.progress_rows <= 0:
        return
    quota = max(1, scale.progress_rows // len(learners))
    budget = scale.progress_rows
    started: dict[uuid.UUID, set[int]] = {m.id: set() for m, _ in learners}
    first_pass = True
    while budget > 0:  # the first pass nearly fills it; later ones start a few more courses
        before = budget
        for member, opened in learners:
            if first_pass:
                wanted = rng.randint(max(1, quota // 2), quota + quota // 2 + 1)
            else:
                wanted = rng.randint(1, 10)
            wanted = min(budget, wanted)
            for course in rng.sample(opened, min(len(opened), 12)):
                if wanted <= 0:
                    break
                if id(course) in started[member.id]:
                    continue
                started[member.id].add(id(course))
                taken = min(wanted, rng.randint(1, len(course.lessons)))
                wanted -= taken
                budget -= taken
                yield from _course_rows(rng, member, course, taken, now)
            if budget <= 0:
                return
        first_pass = False
        if budget == before:  # every learner has started every course they may open
            return


def _course_rows(
    rng: random.Random, member: Member, course: Course, taken: int, now: datetime
) -> Iterable[tuple[Any, ...]]:
    activity = now - timedelta(days=rng.randint(0, 365), seconds=rng.randint(0, 86_399))
    for position in range(taken - 1, -1, -1):  # newest activity on the furthest lesson
        finished = position < taken - 1 or taken == len(course.lessons)
        yield _progress_row(rng, member, course, position, finished, activity)
        activity -= timedelta(minutes=rng.randint(10, 60 * 24 * 3))


def _progress_row(
    rng: random.Random,
    member: Member,
    course: Course,
    position: int,
    finished: bool,
    activity: datetime,
) -> tuple[Any, ...]:
    duration = course.durations_ms[position]
    started = activity - timedelta(minutes=rng.randint(5, 120))
    if duration is None:  # a test: completed by submitting it, no media
        watched = 0
        source = "test" if finished else None
    else:
        share = rng.uniform(0.9, 1.0) if finished else rng.uniform(0.05, 0.8)
        watched = int(duration * share)
        source = ("marked" if rng.random() < 0.05 else "watched") if finished else None
    return (
        _uuid(rng),
        started,
        activity,
        member.id,
        course.lessons[position],
        course.id,
        watched,
        activity if watched else None,
        watched,
        [asyncpg.Range(0, watched)] if watched else [],
        watched,
        activity if finished else None,
        source,
        activity,
    )
