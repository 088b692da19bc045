"""Products (SPEC §8): staff create and edit them; the public lists the active ones with L, T, N
and bonus items; the kind fixes what a purchase opens."""

from __future__ import annotations

import uuid

from app.models import ProductKind, Role
from tests.payments.purchases.shop import Shop

ADMIN = "/api/v1/admin/products"


async def test_staff_create_a_single_course_product_and_the_public_lists_it(shop: Shop) -> None:
    """N is counted from the published course's lessons."""
    _, staff = await shop.person(Role.staff)
    course = await shop.course(lessons=7)
    created = await shop.client.post(
        ADMIN,
        json={
            "code": "labor-basics",
            "kind": "single_course",
            "title": "労務管理の基礎(単体講座)",
            "list_price_jpy": 12000,
            "base_access_days": 90,
            "course_id": str(course.id),
        },
        headers=staff,
    )
    assert created.status_code == 201, created.text
    product = created.json()
    assert created.headers["Location"] == f"{ADMIN}/{product['id']}"
    assert product["lectures_total"] == 7
    assert (product["list_price_jpy"], product["currency"], product["base_access_days"]) == (
        12000,
        "JPY",
        90,
    )

    listed = await shop.client.get("/api/v1/products")
    assert listed.status_code == 200
    assert [p["code"] for p in listed.json()["items"]] == ["labor-basics"]
    one = await shop.client.get(f"/api/v1/products/{product['id']}")
    assert one.status_code == 200 and one.json()["lectures_total"] == 7


async def test_package_counts_lessons_of_published_courses_only(shop: Shop) -> None:
    _, staff = await shop.person(Role.staff)
    first = await shop.course(lessons=3)
    second = await shop.course(lessons=4)
    hidden = await shop.course(lessons=5)
    hidden.is_published = False
    await shop.session.flush()
    content_set = await shop.content_set(first, second, hidden)
    created = await shop.client.post(
        ADMIN,
        json={
            "code": "package-a",
            "kind": "package",
            "title": "パッケージ",
            "list_price_jpy": 30000,
            "base_access_days": 180,
            "content_set_id": str(content_set.id),
            "bonus_items": [{"name": "テキスト", "list_price_jpy": 2000}],
        },
        headers=staff,
    )
    assert created.status_code == 201, created.text
    assert created.json()["lectures_total"] == 7
    assert created.json()["bonus_items"] == [
        {"name": "テキスト", "list_price_jpy": 2000, "currency": "JPY"}
    ]


async def test_kind_and_target_must_fit(shop: Shop) -> None:
    """Refusals are problems that change nothing."""
    _, staff = await shop.person(Role.staff)
    course = await shop.course(lessons=1)
    cases = [
        ({"kind": "single_course", "base_access_days": 30}, "body.course_id"),
        (
            {"kind": "package", "base_access_days": 30, "course_id": str(course.id)},
            "body.course_id",
        ),
        ({"kind": "goods", "base_access_days": 30}, "body.base_access_days"),
        ({"kind": "single_course", "course_id": str(course.id)}, "body.base_access_days"),
        (
            {"kind": "extension", "base_access_days": 30, "extends_product_id": str(uuid.uuid4())},
            "body.extends_product_id",
        ),
        (
            {"kind": "single_course", "base_access_days": 30, "course_id": str(uuid.uuid4())},
            "body.course_id",
        ),
    ]
    for fields, field in cases:
        response = await shop.client.post(
            ADMIN,
            json={"code": f"c-{uuid.uuid4().hex[:8]}", "title": "x", "list_price_jpy": 1, **fields},
            headers=staff,
        )
        assert response.status_code == 400, (fields, response.text)
        assert response.json()["type"] == "product-target-invalid"
        assert field in response.json()["errors"], response.json()
    listed = await shop.client.get(ADMIN, headers=staff)
    assert listed.json()["items"] == []


async def test_extension_must_extend_an_access_product(shop: Shop) -> None:
    _, staff = await shop.person(Role.staff)
    goods = await shop.product(ProductKind.goods, price=3000)
    response = await shop.client.post(
        ADMIN,
        json={
            "code": "ext-goods",
            "kind": "extension",
            "title": "延長",
            "list_price_jpy": 1000,
            "base_access_days": 30,
            "extends_product_id": str(goods.id),
        },
        headers=staff,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"body.extends_product_id": ["not_an_access_product"]}


async def test_codes_are_unique(shop: Shop) -> None:
    _, staff = await shop.person(Role.staff)
    body = {"code": "same", "kind": "goods", "title": "教材", "list_price_jpy": 3000}
    assert (await shop.client.post(ADMIN, json=body, headers=staff)).status_code == 201
    again = await shop.client.post(ADMIN, json=body, headers=staff)
    assert again.status_code == 409 and again.json()["type"] == "product-code-taken"


async def test_inactive_products_leave_the_public_list_but_staff_see_them(shop: Shop) -> None:
    _, staff = await shop.person(Role.staff)
    product = await shop.product(ProductKind.goods, price=3000)
    updated = await shop.client.patch(
        f"{ADMIN}/{product.id}", json={"is_active": False, "list_price_jpy": 3500}, headers=staff
    )
    assert updated.status_code == 200
    assert (updated.json()["is_active"], updated.json()["list_price_jpy"]) == (False, 3500)
    assert (await shop.client.get("/api/v1/products")).json()["items"] == []
    missing = await shop.client.get(f"/api/v1/products/{product.id}")
    assert missing.status_code == 404 and missing.json()["type"] == "product-not-found"
    staff_view = await shop.client.get(f"{ADMIN}/{product.id}", headers=staff)
    assert staff_view.status_code == 200


async def test_members_cannot_manage_products(shop: Shop) -> None:
    _, member = await shop.person()
    response = await shop.client.post(
        ADMIN,
        json={"code": "x", "kind": "goods", "title": "教材", "list_price_jpy": 3000},
        headers=member,
    )
    assert response.status_code == 403
