"""Cursor (keyset) pagination with signed, opaque cursors.

SPEC §0 Pagination ("cursor (keyset) pagination on every list that can grow; stable order") and
API.md Lists: `?limit=` (default 20, max 100) and `?cursor=`, answering
`{"items": [...], "next_cursor": "..." | null}`.

Why keyset and not OFFSET: OFFSET rescans every skipped row and shifts when rows are inserted
between two page requests (duplicates or gaps); a keyset position `(created_at, id) > (…)` is one
index range scan and stays put.

Why signed cursors: a cursor holds the last row's sort key values. Unsigned, a client could craft
positions (probe values of columns it cannot filter on) or send values of the wrong type and make
the query fail with a 500. The cursor is HMAC-signed with a key derived from
`settings.signing_key`, and the signature also covers the list's ordering (its columns and
direction), so a cursor from one list is refused by another. A cursor that is garbage, forged or
from another list raises `InvalidCursor` (400 `invalid-cursor`).

Usage in a router::

    @router.get("/things")
    async def list_things(session: DbSession, page: PageQuery) -> Page[ThingOut]:
        return await paginate_as(
            ThingOut, session, select(Thing), order_by=[Thing.created_at, Thing.id],
            descending=True, params=page,
        )

`paginate` gives the raw rows and the cursor when items need more than `model_validate`.

`order_by` must end with a unique, non-null column (the id) so the order is total: ties on
`created_at` are then broken the same way on every page and no row is skipped or repeated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar, cast

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.config import Settings
from app.kit.errors import InvalidCursor

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 2048  # refuse oversized input before decoding it

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")

CursorValue = uuid.UUID | datetime | date | int | str
SortColumn = ColumnElement[Any] | QueryableAttribute[Any]


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: the items and the cursor of the next page (null on the last page)."""

    model_config = ConfigDict(from_attributes=True)

    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null when this is the last page."
    )


@dataclass(frozen=True, kw_only=True)
class PageParams:
    """Where a list starts and how many items it returns. Build it with `PageQuery` in routers;
    jobs construct it directly with `settings.signing_key`."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    signing_key: str = field(repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")


def _page_params(
    request: Request,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="How many items to return (1–100).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(description="The `next_cursor` of the previous page, unchanged."),
    ] = None,
) -> PageParams:
    settings: Settings = request.app.state.settings
    return PageParams(limit=limit, cursor=cursor or None, signing_key=settings.signing_key)


PageQuery = Annotated[PageParams, Depends(_page_params)]
"""`?limit=` (1–100, default 20) and `?cursor=` of a list endpoint."""


# --- Cursor encoding ----------------------------------------------------------------------------

_MAC_BYTES = 16  # 128-bit tag: unforgeable in practice, keeps cursors short
_KEY_LABEL = b"manabi/pagination-cursor/v1"


def _derived_key(signing_key: str) -> bytes:
    # Domain separation: the signing key also signs download URLs; a cursor MAC must never be
    # usable as (or derived from) one of those.
    return hmac.new(signing_key.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _mac(signing_key: str, context: str, payload: bytes) -> bytes:
    message = context.encode() + b"\x00" + payload
    return hmac.new(_derived_key(signing_key), message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(value: CursorValue) -> list[str | int]:
    # Order matters: bool is an int and datetime is a date.
    if isinstance(value, bool):
        raise TypeError("bool sort keys are not supported")
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, str):
        return ["s", str(value)]
    raise TypeError(f"unsupported sort key type: {type(value).__name__}")


def _untag(item: Any) -> CursorValue:
    if not (isinstance(item, list) and len(item) == 2):
        raise ValueError("bad cursor item")
    tag, raw = item
    if tag == "i" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if not isinstance(raw, str):
        raise ValueError("bad cursor item")
    if tag == "u":
        return uuid.UUID(raw)
    if tag == "t":
        return datetime.fromisoformat(raw)
    if tag == "d":
        return date.fromisoformat(raw)
    if tag == "s":
        return raw
    raise ValueError("bad cursor tag")


def encode_cursor(values: Sequence[CursorValue], *, signing_key: str, context: str) -> str:
    """An opaque, signed cursor for the position after the row whose sort keys are `values`.

    `context` names the ordering the cursor belongs to; `decode_cursor` must get the same one.
    """
    payload = json.dumps([_tag(v) for v in values], separators=(",", ":")).encode()
    return f"{_b64encode(payload)}.{_b64encode(_mac(signing_key, context, payload))}"


def decode_cursor(cursor: str, *, signing_key: str, context: str) -> tuple[CursorValue, ...]:
    """The sort key values in `cursor`; `InvalidCursor` unless it is one we issued for `context`."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("cursor too long")
        payload_part, mac_part = cursor.split(".")
        payload = _b64decode(payload_part)
        expected = _mac(signing_key, context, payload)
        # Verify before parsing: unauthenticated input never reaches the JSON parser.
        # Canonical encodings only: base64's padding bits allow several spellings of one value.
        if _b64encode(payload) != payload_part or not hmac.compare_digest(
            mac_part, _b64encode(expected)
        ):
            raise ValueError("bad signature")
        items = json.loads(payload)
        if not isinstance(items, list):
            raise ValueError("bad cursor payload")
        return tuple(_untag(item) for item in items)
    except (ValueError, binascii.Error, UnicodeError) as error:
        raise InvalidCursor() from error


# --- Keyset queries -----------------------------------------------------------------------------


def ordering_context(order_by: Sequence[SortColumn], *, descending: bool) -> str:
    """A stable description of an ordering, bound into its cursors' signatures."""
    columns = ",".join(str(column) for column in order_by)
    return f"{'desc' if descending else 'asc'}:{columns}"


async def paginate(
    session: AsyncSession,
    statement: Select[RowT],
    *,
    order_by: Sequence[SortColumn],
    descending: bool,
    params: PageParams,
) -> tuple[list[RowT], str | None]:
    """One page of `statement` (selecting one entity or column) and the next page's cursor.

    Fetches `limit + 1` rows to learn whether a next page exists without a COUNT. The statement
    must not carry its own ORDER BY or LIMIT (they are replaced). Sort columns must be non-null:
    a NULL in a row comparison matches nothing and would end the list early. The order is the
    same direction for every column, so one composite index `(created_at, id)` serves both.
    """
    if not order_by:
        raise ValueError("order_by must name at least one (unique) column")
    context = ordering_context(order_by, descending=descending)
    keyed = statement.add_columns(*order_by)
    if params.cursor is not None:
        position = decode_cursor(params.cursor, signing_key=params.signing_key, context=context)
        if len(position) != len(order_by):
            raise InvalidCursor()
        keys = tuple_(*order_by)
        keyed = keyed.where(keys < position if descending else keys > position)
    directed = [column.desc() if descending else column.asc() for column in order_by]
    keyed = keyed.order_by(None).order_by(*directed).limit(params.limit + 1)

    rows = (await session.execute(keyed)).all()
    page, has_more = rows[: params.limit], len(rows) > params.limit
    items = [cast(RowT, row[0]) for row in page]
    if not has_more:
        return items, None
    last_keys = cast(Sequence[CursorValue], tuple(page[-1])[1:])
    next_cursor = encode_cursor(last_keys, signing_key=params.signing_key, context=context)
    return items, next_cursor


OutT = TypeVar("OutT", bound=BaseModel)


async def paginate_as(
    schema: type[OutT],
    session: AsyncSession,
    statement: Select[RowT],
    *,
    order_by: Sequence[SortColumn],
    descending: bool,
    params: PageParams,
) -> Page[OutT]:
    """`paginate`, each row validated into `schema`: the whole body of most list endpoints."""
    rows, next_cursor = await paginate(
        session, statement, order_by=order_by, descending=descending, params=params
    )
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in rows], next_cursor=next_cursor
    )
