"""Product HTTP API (SPEC §8). HTTP only; decisions live in `service`.

- Public: `GET /api/v1/products` lists the products on sale (newest first, paged) with L, T, N
  and bonus items; `GET /api/v1/products/{id}` reads one (inactive ones are not found).
- Staff (`/api/v1/admin/products`): create (the kind fixes what a purchase opens: a course, a
  content set, the product an extension extends, or goods), edit price/T/bonus items/on sale,
  list every product, read one.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from app.auth.auth import CurrentStaff
from app.db import DbSession
from app.kit.errors import InvalidCursor
from app.kit.pagination import Page, PageQuery, paginate
from app.kit.problems import problem_responses
from app.models.commerce import Product
from app.payments.products import repository, service
from app.payments.products.errors import ProductCodeTaken, ProductNotFound, ProductTargetInvalid
from app.payments.products.schemas import ProductCreate, ProductOut, ProductUpdate
from app.payments.purchases.openapi import TAG, created, problems

router = APIRouter(tags=[TAG])

ORDER = [Product.created_at, Product.id]


@router.get(
    "/products",
    operation_id="payments_list_products",
    summary="Products on sale",
    description="Public. Active one-off products, newest first: single courses, packages, "
    "passes, paid extensions and goods, with list price L, base access days T, lectures N and "
    "bonus items (SPEC §8).",
    responses=problem_responses(InvalidCursor),
)
async def list_products(session: DbSession, page: PageQuery) -> Page[ProductOut]:
    rows, next_cursor = await paginate(
        session, repository.active_products(), order_by=ORDER, descending=True, params=page
    )
    return Page[ProductOut](
        items=await service.products_out(session, rows), next_cursor=next_cursor
    )


@router.get(
    "/products/{product_id}",
    operation_id="payments_get_product",
    summary="A product on sale",
    description="Public. Inactive products are not found.",
    responses=problem_responses(ProductNotFound),
)
async def get_product(product_id: uuid.UUID, session: DbSession) -> ProductOut:
    product = await service.get_active_product(session, product_id)
    return await service.product_out(session, product)


@router.post(
    "/admin/products",
    operation_id="payments_create_product",
    summary="Create a product",
    description="Staff. `single_course` needs `course_id`, `package`/`pass` `content_set_id`, "
    "`extension` `extends_product_id` (its `base_access_days` are the days it adds); every kind "
    "but `goods` needs `base_access_days` (T). Codes are unique.",
    status_code=201,
    responses=created(ProductTargetInvalid, ProductCodeTaken),
)
async def create_product(
    body: ProductCreate,
    subject: CurrentStaff,
    session: DbSession,
    request: Request,
    response: Response,
) -> ProductOut:
    product = await service.create_product(session, body)
    response.headers["Location"] = request.url_for(
        "payments_get_managed_product", product_id=str(product.id)
    ).path
    return await service.product_out(session, product)


@router.get(
    "/admin/products",
    operation_id="payments_list_managed_products",
    summary="Every product",
    description="Staff. Active and inactive products, newest first.",
    responses=problems(InvalidCursor),
)
async def list_managed_products(
    subject: CurrentStaff, session: DbSession, page: PageQuery
) -> Page[ProductOut]:
    rows, next_cursor = await paginate(
        session, repository.all_products(), order_by=ORDER, descending=True, params=page
    )
    return Page[ProductOut](
        items=await service.products_out(session, rows), next_cursor=next_cursor
    )


@router.get(
    "/admin/products/{product_id}",
    operation_id="payments_get_managed_product",
    name="payments_get_managed_product",
    summary="Read a product",
    description="Staff. Active or not.",
    responses=problems(ProductNotFound),
)
async def get_managed_product(
    product_id: uuid.UUID, subject: CurrentStaff, session: DbSession
) -> ProductOut:
    return await service.product_out(session, await service.get_product(session, product_id))


@router.patch(
    "/admin/products/{product_id}",
    operation_id="payments_update_product",
    summary="Edit a product",
    description="Staff. Changes title, description, price, T, bonus items, copyability or "
    "whether it is on sale. Purchases already made keep the terms they bought.",
    responses=problems(ProductNotFound, ProductTargetInvalid),
)
async def update_product(
    product_id: uuid.UUID, body: ProductUpdate, subject: CurrentStaff, session: DbSession
) -> ProductOut:
    product = await service.update_product(session, product_id=product_id, body=body)
    return await service.product_out(session, product)
