"""What the load sends: (access token, lesson id) rows for wrk to rotate through.

Tokens are minted directly (`app.kit.security.create_access_token`, as `tests.factories.bearer_for`
does) for the members whose login session the generator marked with `LOAD_USER_AGENT`, signed
with the run's secret. Each row pairs a member with a lesson of a published course that the
member's live grants open, so the lesson page answers 200 and a progress event is accepted.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from app.kit.security import create_access_token
from bench.generate import LOAD_USER_AGENT

TOKEN_TTL = timedelta(hours=2)  # outlives any run


@dataclass(frozen=True)
class LoadRow:
    token: str
    lesson_id: uuid.UUID
    user_id: uuid.UUID
    has_video: bool  # progress events need a lesson with media (not a test)


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    issuer: str
    audience: str


async def build_load_rows(
    connection: asyncpg.Connection,
    tokens: TokenSettings,
    *,
    count: int,
    seed: int = 7,
    now: datetime | None = None,
) -> list[LoadRow]:
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    sessions = await connection.fetch(
        """
        SELECT s.id AS session_id, u.id AS user_id, u.role, u.session_epoch
        FROM auth_session s JOIN user_account u ON u.id = s.user_id
        WHERE s.user_agent = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
          AND u.status = 'active'
        ORDER BY s.id
        """,
        LOAD_USER_AGENT,
        now,
    )
    if not sessions:
        raise RuntimeError("no load sessions in the database: was the dataset generated?")
    user_ids = [row["user_id"] for row in sessions]
    grants = await connection.fetch(
        """
        SELECT user_id, scope, course_id FROM entitlement_grant
        WHERE user_id = ANY($1) AND revoked_at IS NULL AND valid_from <= $2
          AND (valid_until IS NULL OR valid_until > $2)
        """,
        user_ids,
        now,
    )
    lessons = await connection.fetch(
        """
        SELECT l.id, l.course_id, c.is_membership_content,
               l.kind <> 'test' AND l.duration_seconds IS NOT NULL AS has_video
        FROM lesson l JOIN course c ON c.id = l.course_id
        WHERE c.is_published ORDER BY c.position, l.position
        """
    )
    by_course: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    has_video = {lesson["id"]: bool(lesson["has_video"]) for lesson in lessons}
    membership_courses: list[uuid.UUID] = []
    for lesson in lessons:
        if not by_course[lesson["course_id"]] and lesson["is_membership_content"]:
            membership_courses.append(lesson["course_id"])
        by_course[lesson["course_id"]].append(lesson["id"])
    openable: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for grant in grants:
        if grant["scope"] == "membership":
            openable[grant["user_id"]].extend(membership_courses)
        elif grant["scope"] == "course" and grant["course_id"] in by_course:
            openable[grant["user_id"]].append(grant["course_id"])

    members = [row for row in sessions if openable[row["user_id"]]]
    if not members:
        raise RuntimeError("no load member may open any lesson: check the generated grants")
    minted = {
        row["user_id"]: create_access_token(
            secret=tokens.secret,
            issuer=tokens.issuer,
            audience=tokens.audience,
            user_id=row["user_id"],
            session_id=row["session_id"],
            role=str(row["role"]),
            epoch=int(row["session_epoch"]),
            now=now,
            ttl=TOKEN_TTL,
        )[0]
        for row in members
    }
    rows: list[LoadRow] = []
    for index in range(count):
        member = members[index % len(members)]
        course_id = rng.choice(openable[member["user_id"]])
        lesson_id = rng.choice(by_course[course_id])
        token = minted[member["user_id"]]
        rows.append(LoadRow(token, lesson_id, member["user_id"], has_video[lesson_id]))
    rng.shuffle(rows)
    return rows


def write_rows(rows: list[LoadRow], path: Path) -> Path:
    """`token<TAB>lesson id` lines, the format bench/lua/load.lua reads."""
    path.write_text("".join(f"{row.token}\t{row.lesson_id}\n" for row in rows))
    return path
