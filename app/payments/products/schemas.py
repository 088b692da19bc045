"""The contract of one-off products (SPEC §8: L, T, N, bonus items)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.kit.schemas import ResponseSchema, Schema
from app.models.commerce import ProductKind

Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$"
    ),
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Price = Annotated[int, Field(ge=0, le=10_000_000, strict=True)]
AccessDays = Annotated[int, Field(ge=1, le=3650, strict=True)]


class BonusItem(Schema):
    name: Title
    list_price_jpy: Price = Field(description="List price deducted if not returned (R-REF-6).")


class ProductCreate(Schema):
    code: Code = Field(description="Unique, lower-case, e.g. `labor-basics-single`.")
    kind: ProductKind
    title: Title
    description: Description = ""
    list_price_jpy: Price = Field(description="L: tax-inclusive list price (定価).")
    base_access_days: AccessDays | None = Field(
        default=None,
        description="T: base access period in days (基本受講期間); for an extension, the days it "
        "adds. Required for every kind but goods.",
    )
    course_id: uuid.UUID | None = Field(default=None, description="single_course: the course.")
    content_set_id: uuid.UUID | None = Field(
        default=None, description="package / pass: the content set it opens."
    )
    extends_product_id: uuid.UUID | None = Field(
        default=None, description="extension: the product whose purchases it extends."
    )
    bonus_items: list[BonusItem] = Field(default_factory=list, max_length=20)
    is_copyable: bool = Field(
        default=False, description="Goods that can be copied: a broken seal refuses a refund."
    )
    is_active: bool = Field(default=True, description="On sale.")


class ProductUpdate(Schema):
    """Fields sent are changed; the kind and what the product opens never change."""

    title: Title | None = None
    description: Description | None = None
    list_price_jpy: Price | None = None
    base_access_days: AccessDays | None = None
    bonus_items: list[BonusItem] | None = Field(default=None, max_length=20)
    is_copyable: bool | None = None
    is_active: bool | None = None


class BonusItemOut(ResponseSchema):
    name: str
    list_price_jpy: int
    currency: Literal["JPY"] = "JPY"


class ProductOut(ResponseSchema):
    id: uuid.UUID
    code: str
    kind: ProductKind
    title: str
    description: str
    list_price_jpy: int = Field(description="L: tax-inclusive list price.")
    currency: Literal["JPY"] = "JPY"
    base_access_days: int | None = Field(description="T (null for goods).")
    lectures_total: int | None = Field(
        default=None,
        description="N: lessons of the product's published course(s); null for extensions and "
        "goods.",
    )
    course_id: uuid.UUID | None
    content_set_id: uuid.UUID | None
    extends_product_id: uuid.UUID | None
    bonus_items: list[BonusItemOut]
    is_copyable: bool
    is_active: bool
    created_at: datetime
    updated_at: datetime
