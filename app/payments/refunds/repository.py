"""SQL for refunds: what the member used (W), refund rows, locks."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.media.service import downloaded_lesson_ids
from app.models.commerce import PointGrant, PurchaseRefund
from app.models.progress import LessonProgress


async def lectures_watched(
    session: AsyncSession, user_id: uuid.UUID, lessons: Mapping[uuid.UUID, uuid.UUID]
) -> int:
    """W: the product's lectures (`lessons`: lesson id → course id) the member started (a
    `LessonProgress` row exists once any playback, completion or test attempt was recorded) or
    whose material they downloaded (seed 003: a download counts as watching). Each lecture
    counts once."""
    if not lessons:
        return 0
    started = set(
        (
            await session.scalars(
                select(LessonProgress.lesson_id).where(
                    LessonProgress.user_id == user_id,
                    LessonProgress.lesson_id.in_(list(lessons)),
                )
            )
        ).all()
    )
    downloaded: set[uuid.UUID] = set()
    for course_id in set(lessons.values()):
        downloaded |= await downloaded_lesson_ids(session, user_id, course_id)
    return len((started | downloaded) & lessons.keys())


async def refund_of_purchase(
    session: AsyncSession, purchase_id: uuid.UUID
) -> PurchaseRefund | None:
    return await session.scalar(
        select(PurchaseRefund).where(PurchaseRefund.purchase_id == purchase_id)
    )


async def refund_by_provider_id_for_update(
    session: AsyncSession, provider_refund_id: str
) -> PurchaseRefund | None:
    return await session.scalar(
        select(PurchaseRefund)
        .where(PurchaseRefund.provider_refund_id == provider_refund_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def points_grant(session: AsyncSession, grant_id: uuid.UUID | None) -> PointGrant | None:
    return None if grant_id is None else await session.get(PointGrant, grant_id)
