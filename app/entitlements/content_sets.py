"""Content sets: named lists of courses that one grant opens (R-CON-7; R-B2B plans, packages).

Codes are unique (a concurrent duplicate loses on the unique index: 409 like the sequential
case). The course list is replaced as a whole under a lock on the set's row, so concurrent
replacements apply one after the other. A set that grants refer to cannot be deleted: the
grants' history keeps its meaning.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.entitlements import repository
from app.entitlements.errors import (
    ContentSetCodeTaken,
    ContentSetCoursesUnknown,
    ContentSetInUse,
    ContentSetNotFound,
)
from app.entitlements.repository import AnyRow
from app.models.entitlement import ContentSet

CODE_UNIQUE_INDEX = "uq_content_set_code"


def _violated_constraint(error: IntegrityError) -> str | None:
    cause = getattr(error.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None)
    return str(name) if name else None


async def _check_courses(session: AsyncSession, course_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The ids, de-duplicated in their order; refuses unknown ones (all listed)."""
    unique = list(dict.fromkeys(course_ids))
    unknown = set(unique) - await repository.existing_course_ids(session, unique)
    if unknown:
        raise ContentSetCoursesUnknown(
            errors={"body.course_ids": [f"unknown:{i}" for i in sorted(unknown, key=str)]}
        )
    return unique


async def _locked(session: AsyncSession, content_set_id: uuid.UUID) -> ContentSet:
    content_set = await repository.content_set_for_update(session, content_set_id)
    if content_set is None:
        raise ContentSetNotFound()
    return content_set


async def get_content_set(
    session: AsyncSession, content_set_id: uuid.UUID
) -> tuple[ContentSet, list[AnyRow]]:
    content_set = await session.get(ContentSet, content_set_id, populate_existing=True)
    if content_set is None:
        raise ContentSetNotFound()
    return content_set, await repository.courses_of_content_set(session, content_set_id)


async def _save_code(session: AsyncSession, content_set: ContentSet, code: str) -> None:
    try:
        # A savepoint: a concurrent request may take the code between the check and here.
        async with session.begin_nested():
            content_set.code = code
            session.add(content_set)
    except IntegrityError as error:
        if _violated_constraint(error) == CODE_UNIQUE_INDEX:
            raise ContentSetCodeTaken(code=code) from error
        raise


async def create_content_set(
    session: AsyncSession,
    *,
    code: str,
    title: str,
    description: str,
    course_ids: Sequence[uuid.UUID],
) -> tuple[ContentSet, list[AnyRow]]:
    if await repository.content_set_code_is_taken(session, code):
        raise ContentSetCodeTaken(code=code)
    courses = await _check_courses(session, course_ids)
    content_set = ContentSet(id=uuid.uuid4(), title=title, description=description)
    await _save_code(session, content_set, code)
    await repository.replace_content_set_courses(session, content_set.id, courses)
    return await get_content_set(session, content_set.id)


async def update_content_set(
    session: AsyncSession, *, content_set_id: uuid.UUID, changes: dict[str, Any]
) -> tuple[ContentSet, list[AnyRow]]:
    content_set = await _locked(session, content_set_id)
    code = changes.pop("code", None)
    if code is not None and code != content_set.code:
        if await repository.content_set_code_is_taken(session, code, other_than=content_set_id):
            raise ContentSetCodeTaken(code=code)
        await _save_code(session, content_set, code)
    for field, value in changes.items():
        setattr(content_set, field, value)
    await session.flush()
    await session.refresh(content_set)
    return content_set, await repository.courses_of_content_set(session, content_set_id)


async def replace_courses(
    session: AsyncSession, *, content_set_id: uuid.UUID, course_ids: Sequence[uuid.UUID]
) -> tuple[ContentSet, list[AnyRow]]:
    content_set = await _locked(session, content_set_id)
    courses = await _check_courses(session, course_ids)
    await repository.replace_content_set_courses(session, content_set_id, courses)
    return content_set, await repository.courses_of_content_set(session, content_set_id)


async def delete_content_set(session: AsyncSession, *, content_set_id: uuid.UUID) -> None:
    content_set = await _locked(session, content_set_id)
    if await repository.content_set_has_grants(session, content_set_id):
        raise ContentSetInUse()
    try:
        async with session.begin_nested():
            await session.delete(content_set)
    except IntegrityError as error:
        raise ContentSetInUse() from error
