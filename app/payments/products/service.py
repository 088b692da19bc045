"""Products (SPEC §8): staff create and edit them; the public reads the active ones.

A product's kind fixes what a purchase opens, so the kind and its target (course, content set,
extended product) are set once at creation; price, T, bonus items and whether it is on sale can
change later without touching what was already sold (purchases copy the terms they bought).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.commerce import ACCESS_KINDS, Product, ProductKind
from app.models.content import Course
from app.models.entitlement import ContentSet
from app.payments.products import repository
from app.payments.products.errors import ProductCodeTaken, ProductNotFound, ProductTargetInvalid
from app.payments.products.schemas import ProductCreate, ProductOut, ProductUpdate

CODE_UNIQUE_INDEX = "uq_product_code"


def _target_problems(body: ProductCreate) -> dict[str, list[str]]:
    """Which fields do not fit the kind (empty when the shape is right)."""
    problems: dict[str, list[str]] = {}
    wants = {
        "course_id": body.kind is ProductKind.single_course,
        "content_set_id": body.kind in (ProductKind.package, ProductKind.pass_),
        "extends_product_id": body.kind is ProductKind.extension,
        "base_access_days": body.kind is not ProductKind.goods,
    }
    for field, wanted in wants.items():
        present = getattr(body, field) is not None
        if wanted and not present:
            problems[f"body.{field}"] = ["required_for_kind"]
        elif present and not wanted:
            problems[f"body.{field}"] = ["not_allowed_for_kind"]
    if body.is_copyable and body.kind is not ProductKind.goods:
        problems["body.is_copyable"] = ["goods_only"]
    return problems


async def _check_targets(session: AsyncSession, body: ProductCreate) -> None:
    problems = _target_problems(body)
    if not problems:
        if body.course_id is not None and await session.get(Course, body.course_id) is None:
            problems["body.course_id"] = ["unknown"]
        if (
            body.content_set_id is not None
            and await session.get(ContentSet, body.content_set_id) is None
        ):
            problems["body.content_set_id"] = ["unknown"]
        if body.extends_product_id is not None:
            extended = await repository.get(session, body.extends_product_id)
            if extended is None:
                problems["body.extends_product_id"] = ["unknown"]
            elif extended.kind not in ACCESS_KINDS:
                problems["body.extends_product_id"] = ["not_an_access_product"]
    if problems:
        raise ProductTargetInvalid(errors=problems)


async def create_product(session: AsyncSession, body: ProductCreate) -> Product:
    await _check_targets(session, body)
    if await repository.code_is_taken(session, body.code):
        raise ProductCodeTaken(code=body.code)
    product = Product(
        id=uuid.uuid4(),
        code=body.code,
        kind=body.kind,
        title=body.title,
        description=body.description,
        list_price_jpy=body.list_price_jpy,
        base_access_days=body.base_access_days,
        course_id=body.course_id,
        content_set_id=body.content_set_id,
        extends_product_id=body.extends_product_id,
        bonus_items=[item.model_dump() for item in body.bonus_items],
        is_copyable=body.is_copyable,
        is_active=body.is_active,
    )
    try:
        # A savepoint: a concurrent request may take the code between the check and here.
        async with session.begin_nested():
            session.add(product)
    except IntegrityError as error:
        if CODE_UNIQUE_INDEX in str(error.orig):
            raise ProductCodeTaken(code=body.code) from error
        raise
    await session.refresh(product)
    return product


async def update_product(
    session: AsyncSession, *, product_id: uuid.UUID, body: ProductUpdate
) -> Product:
    product = await get_product(session, product_id)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "base_access_days" in changes and (
        product.kind is ProductKind.goods or changes["base_access_days"] is None
    ):
        raise ProductTargetInvalid(errors={"body.base_access_days": ["not_allowed_for_kind"]})
    if changes.get("is_copyable") and product.kind is not ProductKind.goods:
        raise ProductTargetInvalid(errors={"body.is_copyable": ["goods_only"]})
    for field, value in changes.items():
        if value is None:
            continue  # null means "leave as is" for these non-nullable fields
        setattr(product, field, value)
    await session.flush()
    await session.refresh(product)
    return product


async def get_product(session: AsyncSession, product_id: uuid.UUID) -> Product:
    product = await repository.get(session, product_id)
    if product is None:
        raise ProductNotFound()
    return product


async def get_active_product(session: AsyncSession, product_id: uuid.UUID) -> Product:
    """A product on sale; inactive ones are not found for the public."""
    product = await get_product(session, product_id)
    if not product.is_active:
        raise ProductNotFound()
    return product


async def products_out(session: AsyncSession, products: list[Product]) -> list[ProductOut]:
    counts = await repository.lecture_counts(session, products)
    return [
        ProductOut.model_validate(product).model_copy(
            update={"lectures_total": counts.get(product.id)}
        )
        for product in products
    ]


async def product_out(session: AsyncSession, product: Product) -> ProductOut:
    return (await products_out(session, [product]))[0]
