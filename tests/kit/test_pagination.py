"""Keyset pagination with signed cursors (SPEC §0 Pagination, API.md Lists)."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table, Uuid, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import DbSession
from app.kit.errors import InvalidCursor
from app.kit.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorValue,
    Page,
    PageParams,
    PageQuery,
    decode_cursor,
    encode_cursor,
    paginate,
)
from app.main import create_app
from app.models.audit import AuditEvent

KEY = "test-signing-key-0123456789"
T0 = datetime(2027, 4, 1, 0, 0, tzinfo=UTC)

metadata = MetaData()
page_item = Table(
    "page_item",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("label", String, nullable=False),
)
ASC_ORDER = (page_item.c.created_at, page_item.c.id)


class PageItem(BaseModel):
    id: uuid.UUID
    label: str


async def _create_items(session: AsyncSession, count: int) -> list[dict[str, Any]]:
    """`count` rows whose timestamps tie in groups of three (ties are the hard case)."""
    await session.execute(
        text(
            "CREATE TEMP TABLE page_item (id uuid PRIMARY KEY, created_at timestamptz NOT NULL,"
            " due_on date NOT NULL, rank integer NOT NULL, label text NOT NULL)"
        )
    )
    rows = [
        {
            "id": uuid.uuid4(),
            "created_at": T0 + timedelta(seconds=i // 3),
            "due_on": date(2027, 4, 1) + timedelta(days=(i * 7) % 5),
            "rank": (i * 5) % 4,
            "label": f"item-{i:03d}",
        }
        for i in range(count)
    ]
    if rows:
        await session.execute(page_item.insert(), rows)
    return rows


def _sorted_ids(rows: list[dict[str, Any]], keys: Sequence[str], descending: bool) -> list[Any]:
    ordered = sorted(rows, key=lambda r: tuple(r[k] for k in keys), reverse=descending)
    return [r["id"] for r in ordered]


async def _walk(
    session: AsyncSession,
    *,
    order_by: Sequence[Any],
    descending: bool,
    limit: int,
) -> tuple[list[Any], list[str | None]]:
    """Follow next_cursor until null; returns every id seen and every cursor returned."""
    seen: list[Any] = []
    cursors: list[str | None] = []
    cursor: str | None = None
    for _ in range(1_000):
        params = PageParams(limit=limit, cursor=cursor, signing_key=KEY)
        items, cursor = await paginate(
            session,
            select(page_item.c.id),
            order_by=order_by,
            descending=descending,
            params=params,
        )
        assert len(items) <= limit
        seen.extend(items)
        cursors.append(cursor)
        if cursor is None:
            return seen, cursors
    raise AssertionError("pagination did not terminate")


# --- paginate against PostgreSQL ----------------------------------------------------------------


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 25, 100])
async def test_pages_cover_every_row_once_in_order_despite_timestamp_ties(
    session: AsyncSession, limit: int, descending: bool
) -> None:
    """SPEC §0 Pagination: stable order, no row skipped or repeated when created_at ties."""
    rows = await _create_items(session, 25)
    seen, cursors = await _walk(session, order_by=ASC_ORDER, descending=descending, limit=limit)
    assert seen == _sorted_ids(rows, ["created_at", "id"], descending)
    assert len(set(seen)) == 25
    assert len(cursors) == math.ceil(25 / limit)
    assert cursors[-1] is None
    assert all(c is not None for c in cursors[:-1])


async def test_exact_multiple_of_limit_has_no_empty_trailing_page(session: AsyncSession) -> None:
    """Fetching limit + 1 rows lets the last full page say next_cursor = null."""
    await _create_items(session, 12)
    seen, cursors = await _walk(session, order_by=ASC_ORDER, descending=False, limit=6)
    assert len(seen) == 12
    assert cursors == [cursors[0], None]


async def test_empty_list_is_one_empty_page(session: AsyncSession) -> None:
    await _create_items(session, 0)
    items, next_cursor = await paginate(
        session,
        select(page_item.c.id),
        order_by=ASC_ORDER,
        descending=True,
        params=PageParams(signing_key=KEY),
    )
    assert (items, next_cursor) == ([], None)


@pytest.mark.parametrize(
    ("keys", "descending"),
    [(("due_on", "rank", "id"), False), (("label",), True), (("rank", "created_at", "id"), True)],
)
async def test_date_int_and_str_sort_keys(
    session: AsyncSession, keys: tuple[str, ...], descending: bool
) -> None:
    """Cursors carry date, int, str, datetime and UUID values back into the query."""
    rows = await _create_items(session, 17)
    order_by = [page_item.c[k] for k in keys]
    seen, _ = await _walk(session, order_by=order_by, descending=descending, limit=4)
    assert seen == _sorted_ids(rows, keys, descending)


async def test_rows_inserted_before_the_cursor_do_not_shift_later_pages(
    session: AsyncSession,
) -> None:
    """Keyset, not OFFSET: a new row ahead of the position neither repeats nor hides rows."""
    rows = await _create_items(session, 10)
    first, cursor = await paginate(
        session,
        select(page_item.c.id),
        order_by=ASC_ORDER,
        descending=False,
        params=PageParams(limit=4, signing_key=KEY),
    )
    early = {"id": uuid.uuid4(), "created_at": T0 - timedelta(days=1)}
    await session.execute(
        page_item.insert(), [{**early, "due_on": T0.date(), "rank": 0, "label": "x"}]
    )
    rest, _ = await paginate(
        session,
        select(page_item.c.id),
        order_by=ASC_ORDER,
        descending=False,
        params=PageParams(limit=100, cursor=cursor, signing_key=KEY),
    )
    assert first + rest == _sorted_ids(rows, ["created_at", "id"], False)


async def test_orm_entities_page_with_their_own_columns(session: AsyncSession) -> None:
    """`select(Model)` yields model instances; sort keys come from the same row."""
    session.add_all(
        AuditEvent(occurred_at=T0 + timedelta(seconds=i // 2), action=f"test.{i}", data={})
        for i in range(9)
    )
    await session.flush()
    seen: list[AuditEvent] = []
    cursor: str | None = None
    while True:
        events, cursor = await paginate(
            session,
            select(AuditEvent).where(AuditEvent.action.startswith("test.")),
            order_by=[AuditEvent.occurred_at, AuditEvent.id],
            descending=True,
            params=PageParams(limit=4, cursor=cursor, signing_key=KEY),
        )
        assert all(isinstance(event, AuditEvent) for event in events)
        seen.extend(events)
        if cursor is None:
            break
    assert [e.action for e in seen] == [
        e.action for e in sorted(seen, key=lambda e: (e.occurred_at, e.id), reverse=True)
    ]
    assert sorted(e.action for e in seen) == sorted(f"test.{i}" for i in range(9))


async def test_statement_filters_are_kept(session: AsyncSession) -> None:
    await _create_items(session, 20)
    items, _ = await paginate(
        session,
        select(page_item.c.label).where(page_item.c.rank == 0),
        order_by=ASC_ORDER,
        descending=False,
        params=PageParams(limit=100, signing_key=KEY),
    )
    assert items == [f"item-{i:03d}" for i in range(20) if (i * 5) % 4 == 0]


async def _first_cursor(session: AsyncSession, *, descending: bool = False) -> str:
    await _create_items(session, 5)
    _, cursor = await paginate(
        session,
        select(page_item.c.id),
        order_by=ASC_ORDER,
        descending=descending,
        params=PageParams(limit=2, signing_key=KEY),
    )
    assert cursor is not None
    return cursor


async def _page_with(session: AsyncSession, cursor: str, *, descending: bool = False) -> None:
    await paginate(
        session,
        select(page_item.c.id),
        order_by=ASC_ORDER,
        descending=descending,
        params=PageParams(limit=2, cursor=cursor, signing_key=KEY),
    )


async def test_forged_cursor_is_refused(session: AsyncSession) -> None:
    """A client cannot move the position: the payload is covered by the HMAC."""
    cursor = await _first_cursor(session)
    payload, mac = cursor.split(".")
    forged_payload = encode_cursor(
        [T0 - timedelta(days=365), uuid.UUID(int=0)], signing_key=KEY, context="elsewhere"
    ).split(".")[0]
    with pytest.raises(InvalidCursor):
        await _page_with(session, f"{forged_payload}.{mac}")
    with pytest.raises(InvalidCursor):
        await _page_with(session, f"{payload}.{'A' * len(mac)}")


async def test_cursor_signed_with_another_key_is_refused(session: AsyncSession) -> None:
    await _create_items(session, 5)
    cursor = encode_cursor(
        [T0, uuid.uuid4()],
        signing_key="another-key",
        context="asc:page_item.created_at,page_item.id",
    )
    with pytest.raises(InvalidCursor):
        await _page_with(session, cursor)


async def test_cursor_from_another_ordering_is_refused(session: AsyncSession) -> None:
    """A cursor is bound to its list's columns and direction (no 500 on mismatched types)."""
    cursor = await _first_cursor(session, descending=False)
    with pytest.raises(InvalidCursor):
        await _page_with(session, cursor, descending=True)
    with pytest.raises(InvalidCursor):
        await paginate(
            session,
            select(page_item.c.id),
            order_by=[page_item.c.label],
            descending=False,
            params=PageParams(cursor=cursor, signing_key=KEY),
        )


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "a.b.c", "!!!.???", "eyJ9.AAAA", "x" * 5000, "é.é", "W10.W10"],
)
async def test_garbage_cursor_is_invalid_cursor(session: AsyncSession, garbage: str) -> None:
    await _create_items(session, 3)
    with pytest.raises(InvalidCursor):
        await _page_with(session, garbage)


# --- cursor encoding ----------------------------------------------------------------------------

cursor_values = st.one_of(
    st.uuids(),
    st.datetimes(timezones=st.sampled_from([UTC])),
    st.dates(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=40),
)


@given(st.lists(cursor_values, min_size=1, max_size=4))
def test_cursor_round_trips_every_supported_type(values: list[CursorValue]) -> None:
    cursor = encode_cursor(values, signing_key=KEY, context="ctx")
    decoded = decode_cursor(cursor, signing_key=KEY, context="ctx")
    assert decoded == tuple(values)
    assert [type(v) for v in decoded] == [type(v) for v in values]


@given(st.lists(cursor_values, min_size=1, max_size=3))
def test_cursor_is_url_safe(values: list[CursorValue]) -> None:
    cursor = encode_cursor(values, signing_key=KEY, context="ctx")
    assert all(c.isalnum() or c in "-_." for c in cursor)


def test_unsupported_sort_key_types_fail_loudly() -> None:
    with pytest.raises(TypeError):
        encode_cursor([1.5], signing_key=KEY, context="ctx")  # type: ignore[list-item]
    with pytest.raises(TypeError):
        encode_cursor([True], signing_key=KEY, context="ctx")


def test_page_params_refuse_out_of_range_limits() -> None:
    with pytest.raises(ValueError):
        PageParams(limit=0, signing_key=KEY)
    with pytest.raises(ValueError):
        PageParams(limit=MAX_LIMIT + 1, signing_key=KEY)


def test_page_params_repr_hides_the_key() -> None:
    assert KEY not in repr(PageParams(signing_key=KEY))


# --- Through HTTP -------------------------------------------------------------------------------

router = APIRouter(prefix="/api/v1/_test")


@router.get("/page-items")
async def list_page_items(session: DbSession, page: PageQuery) -> Page[PageItem]:
    items, next_cursor = await paginate(
        session,
        select(page_item.c.id),
        order_by=ASC_ORDER,
        descending=True,
        params=page,
    )
    result = await session.execute(select(page_item.c.id, page_item.c.label))
    labels = {row.id: row.label for row in result}
    return Page[PageItem](
        items=[PageItem(id=i, label=labels[i]) for i in items], next_cursor=next_cursor
    )


@pytest.fixture(scope="module")
def page_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.include_router(router)
    return app


@pytest.fixture
async def page_client(
    page_app: FastAPI, connection: AsyncConnection, session: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    # Requests share the test's connection (savepoints), so they see its temp table.
    page_app.state.sessionmaker = async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    transport = httpx.ASGITransport(app=page_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    page_app.state.sessionmaker = None


async def test_http_walk_uses_default_limit_and_ends_with_null(
    page_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """API.md Lists: default limit 20; response {"items": [...], "next_cursor": ... | null}."""
    rows = await _create_items(session, 45)
    await session.commit()
    url: str | None = "/api/v1/_test/page-items"
    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    while url is not None:
        response = await page_client.get(url, params={"cursor": cursor} if cursor else None)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        sizes.append(len(body["items"]))
        seen.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        url = "/api/v1/_test/page-items" if cursor else None
    assert sizes == [DEFAULT_LIMIT, DEFAULT_LIMIT, 5]
    assert seen == [str(i) for i in _sorted_ids(rows, ["created_at", "id"], True)]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
async def test_http_limit_out_of_bounds_is_422(
    page_client: httpx.AsyncClient, session: AsyncSession, limit: str
) -> None:
    await _create_items(session, 1)
    await session.commit()
    response = await page_client.get("/api/v1/_test/page-items", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["type"] == "validation-error"
    assert "query.limit" in response.json()["errors"]


async def test_http_limit_bounds_are_inclusive(
    page_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _create_items(session, 120)
    await session.commit()
    one = await page_client.get("/api/v1/_test/page-items", params={"limit": "1"})
    hundred = await page_client.get("/api/v1/_test/page-items", params={"limit": "100"})
    assert len(one.json()["items"]) == 1
    assert len(hundred.json()["items"]) == 100


async def test_http_garbage_cursor_is_400_invalid_cursor(
    page_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _create_items(session, 3)
    await session.commit()
    response = await page_client.get("/api/v1/_test/page-items", params={"cursor": "nonsense"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "invalid-cursor"


def test_openapi_documents_limit_and_cursor(page_app: FastAPI) -> None:
    operation = page_app.openapi()["paths"]["/api/v1/_test/page-items"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["limit"]["schema"]["maximum"] == MAX_LIMIT
    assert parameters["limit"]["schema"]["default"] == DEFAULT_LIMIT
    assert "cursor" in parameters
