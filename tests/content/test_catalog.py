"""The public catalog (R-CON-7: titles and descriptions are public; R-CON-8: staff order and
publish): paging, search, filters, unpublished courses hidden, course pages by id and slug."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CourseKind, CourseProgram, LessonKind
from tests.content.factories import API, make_catalog_course, make_lesson
from tests.statements import recorded_statements


async def _all_pages(client: httpx.AsyncClient, query: str, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(f"{API}/courses?{params}{query}")
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_r_con_8_catalog_pages_in_catalog_order_without_duplicates_or_gaps(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Ties on position are broken by id: the order is total and stable across pages.
    courses = [
        await make_catalog_course(session, title=f"コース{i}", position=i // 3) for i in range(11)
    ]
    await make_catalog_course(session, title="準備中", is_published=False, position=0)
    await session.commit()
    expected = [str(c.id) for c in sorted(courses, key=lambda c: (c.position, str(c.id)))]

    for limit in (1, 3, 4, 11, 100):
        pages = await _all_pages(client, "", limit)
        flat = [course_id for page in pages for course_id in page]
        assert flat == expected, limit
        assert all(len(page) <= limit for page in pages)


async def test_r_con_7_catalog_is_public_and_shows_no_lesson_content(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_catalog_course(session, title="公開コース", lessons=2)
    await session.commit()
    response = await client.get(f"{API}/courses")
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["title"] == "公開コース"
    assert "video_asset_id" not in response.text
    assert "search_text" not in item


async def test_r_con_8_unpublished_courses_are_hidden_everywhere_public(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    draft = await make_catalog_course(
        session, title="準備中のコース", is_published=False, lessons=1
    )
    await session.commit()
    listing = await client.get(f"{API}/courses?q=準備中")
    assert listing.json()["items"] == []
    by_id = await client.get(f"{API}/courses/{draft.id}")
    assert (by_id.status_code, by_id.json()["type"]) == (404, "course-not-found")
    by_slug = await client.get(f"{API}/courses/by-slug/{draft.slug}")
    assert (by_slug.status_code, by_slug.json()["type"]) == (404, "course-not-found")


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("ＡＩ", True),  # full-width input finds half-width "AI"
        ("ai", True),  # case-insensitive
        ("活用", True),  # a Japanese substring, no word boundaries
        ("ｶﾞｲﾄﾞ", True),  # half-width katakana finds the summary's ガイド
        ("ａｉ　活用", True),  # full-width space separates terms; all must match
        ("AI 財務", False),  # one term missing
        ("%", False),  # LIKE wildcards are literal
        ("_", False),
        ("労務", False),
    ],
)
async def test_r_con_8_search_normalizes_full_width_and_matches_substrings(
    client: httpx.AsyncClient, session: AsyncSession, query: str, found: bool
) -> None:
    course = await make_catalog_course(
        session, title="AI活用入門", summary="生成AIのガイド", keywords="ChatGPT"
    )
    await make_catalog_course(session, title="財務の基本")
    await session.commit()
    response = await client.get(f"{API}/courses", params={"q": query})
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["items"]]
    assert ids == ([str(course.id)] if found else [])


async def test_r_con_8_search_matches_keywords_and_pages_with_the_query(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    matching = [
        await make_catalog_course(session, title=f"講座{i}", keywords="インボイス制度", position=i)
        for i in range(5)
    ]
    await make_catalog_course(session, title="別の講座", position=2)
    await session.commit()
    pages = await _all_pages(client, "&q=インボイス", 2)
    assert [course_id for page in pages for course_id in page] == [str(c.id) for c in matching]


@pytest.mark.parametrize(
    ("query", "found"),
    [("100%", ["達成率100%の講座"]), ("a_b", ["a_b講座"]), ("\\", ["円記号\\講座"])],
)
async def test_r_con_8_search_treats_like_wildcards_as_plain_characters(
    client: httpx.AsyncClient, session: AsyncSession, query: str, found: list[str]
) -> None:
    for title in ("達成率100%の講座", "達成率1000件の講座", "a_b講座", "axb講座", "円記号\\講座"):
        await make_catalog_course(session, title=title)
    await session.commit()
    response = await client.get(f"{API}/courses", params={"q": query})
    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == found


async def test_r_con_8_catalog_page_is_one_statement(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for i in range(3):
        await make_catalog_course(session, title=f"講座{i}", keywords="労務", position=i)
    await session.commit()
    first = (await client.get(f"{API}/courses?limit=2&q=労務")).json()
    async with recorded_statements(session) as statements:
        response = await client.get(
            f"{API}/courses", params={"limit": 2, "q": "労務", "cursor": first["next_cursor"]}
        )
    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == ["講座2"]
    (page,) = statements
    assert "FROM course" in page


async def test_r_con_1_catalog_filters_by_kind_and_program(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    seminar = await make_catalog_course(session, title="セミナー", kind=CourseKind.seminar)
    correspondence = await make_catalog_course(
        session, title="通信教育", program=CourseProgram.correspondence
    )
    await make_catalog_course(session, title="コース")
    await session.commit()
    seminars = (await client.get(f"{API}/courses?kind=seminar")).json()["items"]
    assert [item["id"] for item in seminars] == [str(seminar.id)]
    by_program = (await client.get(f"{API}/courses?program=correspondence")).json()["items"]
    assert [item["id"] for item in by_program] == [str(correspondence.id)]


@pytest.mark.parametrize(
    "query",
    ["kind=lecture", "program=free", "limit=0", "limit=101", "limit=abc", "q=" + "x" * 101],
)
async def test_r_con_8_catalog_refuses_malformed_queries_as_problems(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.get(f"{API}/courses?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "validation-error"


async def test_r_con_8_forged_or_foreign_cursor_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for i in range(3):
        await make_catalog_course(session, title=f"コース{i}", position=i)
    await session.commit()
    response = await client.get(f"{API}/courses?limit=1")
    cursor = response.json()["next_cursor"]
    forged = await client.get(f"{API}/courses?cursor={cursor[:-2]}AA")
    assert (forged.status_code, forged.json()["type"]) == (400, "invalid-cursor")
    garbage = await client.get(f"{API}/courses?cursor=garbage")
    assert (garbage.status_code, garbage.json()["type"]) == (400, "invalid-cursor")


async def test_r_con_7_course_page_by_id_and_slug_shows_the_outline_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    course = await make_catalog_course(session, title="労務管理の基礎", slug="roumu-kiso")
    await make_lesson(session, course, position=1, kind=LessonKind.test, title="確認テスト")
    await make_lesson(session, course, position=0, title="はじめに")
    await session.commit()

    by_id = await client.get(f"{API}/courses/{course.id}")
    assert by_id.status_code == 200
    body = by_id.json()
    assert body["title"] == "労務管理の基礎"
    assert body["description"] == "労務管理の基礎の説明"
    assert [
        (lesson["position"], lesson["kind"], lesson["title"]) for lesson in body["lessons"]
    ] == [
        (0, "video", "はじめに"),
        (1, "test", "確認テスト"),
    ]
    assert body["lessons"][0]["duration_seconds"] == 600
    assert set(body["lessons"][0]) == {"id", "position", "kind", "title", "duration_seconds"}
    assert "asset-" not in by_id.text  # no video asset ids in public pages

    by_slug = await client.get(f"{API}/courses/by-slug/roumu-kiso")
    assert by_slug.json() == body


async def test_r_con_7_course_without_lessons_has_an_empty_outline(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    course = await make_catalog_course(session)
    await session.commit()
    response = await client.get(f"{API}/courses/{course.id}")
    assert response.json()["lessons"] == []


async def test_r_con_7_unknown_course_is_a_404_problem_in_japanese_or_english(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"{API}/courses/by-slug/no-such-course")
    assert response.status_code == 404
    assert response.json()["title"] == "コースが見つかりません"
    english = await client.get(
        f"{API}/courses/00000000-0000-0000-0000-000000000000",
        headers={"Accept-Language": "en"},
    )
    assert english.json()["title"] == "Course not found"
    malformed = await client.get(f"{API}/courses/not-a-uuid")
    assert malformed.status_code == 422
