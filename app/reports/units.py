"""Report units of a correspondence course, staff side (R-ENR-6).

Units are kept in `position` order 1..n: inserting or moving one renumbers the others.

Decisions where the spec is silent:

- A multiple-choice unit needs at least one question; an essay unit has none.
- Once a unit has a submission its kind and questions are frozen (a graded answer sheet must
  keep meaning what it meant) and it cannot be deleted; title, instructions and position may
  still change.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ReportSubmission, ReportUnit, ReportUnitKind
from app.reports import repository
from app.reports.errors import (
    CourseNotCorrespondence,
    ReportUnitHasSubmissions,
    ReportUnitInvalid,
    ReportUnitNotFound,
)
from app.reports.schemas import ChoiceQuestion, ReportUnitCreate, ReportUnitUpdate


def _check_questions(kind: ReportUnitKind, questions: list[ChoiceQuestion]) -> None:
    if kind is ReportUnitKind.multiple_choice and not questions:
        raise ReportUnitInvalid(reason="A multiple-choice unit needs at least one question.")
    if kind is ReportUnitKind.essay and questions:
        raise ReportUnitInvalid(reason="An essay unit has no choice questions.")


def _renumber(units: list[ReportUnit]) -> None:
    for index, unit in enumerate(units, start=1):
        unit.position = index


def _place(units: list[ReportUnit], unit: ReportUnit, position: int | None) -> None:
    """Put `unit` at `position` (1-based, clamped; None = last) among `units`."""
    others = [other for other in units if other.id != unit.id]
    index = len(others) if position is None else min(max(position - 1, 0), len(others))
    others.insert(index, unit)
    _renumber(others)


async def has_submissions(session: AsyncSession, unit_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(ReportSubmission.unit_id == unit_id))))


async def list_units(session: AsyncSession, course_id: uuid.UUID) -> list[ReportUnit]:
    if await repository.correspondence_course(session, course_id) is None:
        raise CourseNotCorrespondence()
    return await repository.units_of_course(session, course_id)


async def create_unit(
    session: AsyncSession, course_id: uuid.UUID, body: ReportUnitCreate
) -> ReportUnit:
    if await repository.correspondence_course(session, course_id) is None:
        raise CourseNotCorrespondence()
    _check_questions(body.kind, body.questions)
    units = await repository.units_of_course(session, course_id)
    unit = ReportUnit(
        id=uuid.uuid4(),
        course_id=course_id,
        position=len(units) + 1,
        title=body.title,
        instructions=body.instructions,
        kind=body.kind,
        questions=[question.model_dump() for question in body.questions],
    )
    _place(units, unit, body.position)
    session.add(unit)
    await session.flush()
    return unit


async def get_unit(session: AsyncSession, unit_id: uuid.UUID) -> ReportUnit:
    unit = await repository.unit(session, unit_id)
    if unit is None:
        raise ReportUnitNotFound()
    return unit


async def update_unit(
    session: AsyncSession, unit_id: uuid.UUID, body: ReportUnitUpdate
) -> ReportUnit:
    unit = await get_unit(session, unit_id)
    if body.questions is not None:
        if await has_submissions(session, unit.id):
            raise ReportUnitHasSubmissions()
        _check_questions(unit.kind, body.questions)
        unit.questions = [question.model_dump() for question in body.questions]
    if body.title is not None:
        unit.title = body.title
    if body.instructions is not None:
        unit.instructions = body.instructions
    if body.position is not None:
        units = await repository.units_of_course(session, unit.course_id)
        _place(units, unit, body.position)
    await session.flush()
    return unit


async def delete_unit(session: AsyncSession, unit_id: uuid.UUID) -> None:
    unit = await get_unit(session, unit_id)
    if await has_submissions(session, unit.id):
        raise ReportUnitHasSubmissions()
    course_id = unit.course_id
    await session.delete(unit)
    await session.flush()
    _renumber(await repository.units_of_course(session, course_id))
    await session.flush()
