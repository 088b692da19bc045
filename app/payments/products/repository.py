"""SQL for products and the lessons they contain (N of SPEC §8)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.commerce import Product
from app.models.content import Course, Lesson
from app.models.entitlement import ContentSetCourse


def active_products() -> Select[Any]:
    return select(Product).where(Product.is_active)


def all_products() -> Select[Any]:
    return select(Product)


async def get(session: AsyncSession, product_id: uuid.UUID) -> Product | None:
    return await session.get(Product, product_id)


async def code_is_taken(session: AsyncSession, code: str) -> bool:
    found = await session.scalar(select(Product.id).where(Product.code == code))
    return found is not None


def _lessons_of_course() -> Select[uuid.UUID, uuid.UUID]:
    return (
        select(Lesson.id, Lesson.course_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(Course.is_published)
    )


async def lesson_ids(
    session: AsyncSession, *, course_id: uuid.UUID | None, content_set_id: uuid.UUID | None
) -> dict[uuid.UUID, uuid.UUID]:
    """The product's lectures: lesson id → course id, from its published course(s)."""
    statement = _lessons_of_course()
    if course_id is not None:
        statement = statement.where(Lesson.course_id == course_id)
    elif content_set_id is not None:
        statement = statement.join(
            ContentSetCourse, ContentSetCourse.course_id == Lesson.course_id
        ).where(ContentSetCourse.content_set_id == content_set_id)
    else:
        return {}
    rows = (await session.execute(statement)).all()
    return {row.id: row.course_id for row in rows}


async def lecture_counts(
    session: AsyncSession, products: Sequence[Product]
) -> dict[uuid.UUID, int]:
    """N per product (single courses and packages/passes), two grouped queries for a page."""
    course_ids = {p.course_id for p in products if p.course_id is not None}
    set_ids = {p.content_set_id for p in products if p.content_set_id is not None}
    per_course: dict[uuid.UUID, int] = {}
    per_set: dict[uuid.UUID, int] = {}
    if course_ids:
        rows = await session.execute(
            select(Lesson.course_id, func.count())
            .join(Course, Course.id == Lesson.course_id)
            .where(Course.is_published, Lesson.course_id.in_(course_ids))
            .group_by(Lesson.course_id)
        )
        per_course = {course_id: int(count) for course_id, count in rows.all()}
    if set_ids:
        rows = await session.execute(
            select(ContentSetCourse.content_set_id, func.count())
            .join(Lesson, Lesson.course_id == ContentSetCourse.course_id)
            .join(Course, Course.id == Lesson.course_id)
            .where(Course.is_published, ContentSetCourse.content_set_id.in_(set_ids))
            .group_by(ContentSetCourse.content_set_id)
        )
        per_set = {set_id: int(count) for set_id, count in rows.all()}
    counts: dict[uuid.UUID, int] = {}
    for product in products:
        if product.course_id is not None:
            counts[product.id] = per_course.get(product.course_id, 0)
        elif product.content_set_id is not None:
            counts[product.id] = per_set.get(product.content_set_id, 0)
    return counts
