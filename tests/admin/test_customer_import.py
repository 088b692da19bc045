"""Customer registry import (R-ID-2): normalized (R-ID-13), all-or-nothing, latest phone wins,
audited (R-ID-12)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.customer_registry import MAX_IMPORT_BYTES, parse_instant
from app.config import Settings
from app.models import CustomerRecord, Role
from tests.admin import API, audit_rows, person, table_counts

URL = f"{API}/admin/customer-records/import"
HEADER = "customer_number,name,phone,phone_recorded_at\r\n"


def upload(content: bytes, filename: str = "customers.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (filename, content, "text/csv")}


async def records(session: AsyncSession) -> dict[str, CustomerRecord]:
    rows = await session.scalars(select(CustomerRecord).execution_options(populate_existing=True))
    return {row.customer_number: row for row in rows}


@pytest.fixture
async def staff(session: AsyncSession, settings: Settings) -> dict[str, str]:
    _, headers = await person(session, settings, Role.staff)
    await session.commit()
    return headers


async def test_r_id_13_full_width_digits_and_hyphenated_phones_are_normalized(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    content = (
        "\ufeff"
        + HEADER
        + "０１２３４５６７８９０,山田　太郎 ,０９０－１２３４－５６７８,2026-04-01 10:00\r\n"
        "01234567891,ヤマダ ハナコ,03 (1234) 5678,2026/4/2\r\n"
    ).encode()
    response = await client.post(URL, files=upload(content), headers=staff)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "rows": 2,
        "customers": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "encoding": "utf-8-sig",
    }
    stored = await records(session)
    assert stored["01234567890"].phone == "09012345678"
    assert stored["01234567890"].name == "山田　太郎"  # names keep what was typed (trimmed)
    assert stored["01234567890"].phone_recorded_at == datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    assert stored["01234567891"].phone == "0312345678"
    assert stored["01234567891"].phone_recorded_at == datetime(2026, 4, 1, 15, 0, tzinfo=UTC)


async def test_r_id_2_shift_jis_cp932_file_with_japanese_headers_is_accepted(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    content = (
        "お客様番号,氏名,電話番号,登録日,備考\r\n"
        "01234567890,髙橋 ①子,090-1111-2222,2026/03/31,旧字・丸数字はCP932にしかない\r\n"
    ).encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    response = await client.post(URL, files=upload(content), headers=staff)
    assert response.status_code == 200, response.text
    assert response.json()["encoding"] == "cp932"
    record = (await records(session))["01234567890"]
    assert record.name == "髙橋 ①子"
    assert record.phone == "09011112222"


async def test_empty_trailing_cells_are_tolerated(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    content = (
        "customer_number,name,phone,recorded_on,memo\r\n"
        "01234567890,佐藤 一郎,0311112222,2026-01-01\r\n"  # memo cell missing
        "01234567891,佐藤 二郎,0311112223,2026-01-01,,,\r\n"  # empty cells added
    ).encode()
    response = await client.post(URL, files=upload(content), headers=staff)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2


async def test_plain_utf8_without_bom_is_accepted(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    content = (HEADER + "01234567890,佐藤 一郎,0311112222,2026-01-01T09:00:00+09:00\n").encode()
    response = await client.post(URL, files=upload(content), headers=staff)
    assert response.status_code == 200
    assert response.json()["encoding"] == "utf-8"


async def test_r_id_2_one_bad_line_refuses_the_whole_file_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    before = await table_counts(session)
    content = (
        HEADER + "01234567890,正しい 行,09011112222,2026-04-01\r\n"
        "0123456789,短い 番号,0901111222x,2026-13-01\r\n"
        "01234567892,,09011112222,\r\n"
        "01234567893,未来,09011112222,2999-01-01\r\n"
        "01234567894,列が多い,09011112222,2026-04-01,余分\r\n"
    ).encode()
    response = await client.post(
        URL, files=upload(content), headers={**staff, "Accept-Language": "en"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "customer-import-invalid"
    errors = body["errors"]
    assert set(errors) == {
        "line.3.customer_number",
        "line.3.phone",
        "line.3.phone_recorded_at",
        "line.4.name",
        "line.4.phone_recorded_at",
        "line.5.phone_recorded_at",
        "line.6",
    }
    assert errors["line.3.customer_number"] == ["A customer number is 11 digits."]
    assert errors["line.5.phone_recorded_at"] == ["Cannot be in the future."]
    assert "7 error" in body["detail"]
    assert await table_counts(session) == before


async def test_errors_are_in_japanese_by_default(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    content = (HEADER + "abc,名前,09011112222,2026-04-01\r\n").encode()
    response = await client.post(URL, files=upload(content), headers=staff)
    assert response.json()["errors"] == {"line.2.customer_number": ["お客様番号は11桁の数字です。"]}


async def test_r_id_2_latest_phone_on_file_wins_and_older_is_ignored(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    first = (
        HEADER + "01234567890,山田 太郎,09011111111,2026-04-01 10:00\r\n"
        "01234567891,佐藤 花子,09022222222,2026-04-01 10:00\r\n"
    ).encode()
    assert (await client.post(URL, files=upload(first), headers=staff)).status_code == 200

    second = (
        HEADER
        # older than what is stored: ignored
        + "01234567890,山田 太郎,09099999999,2026-03-01 10:00\r\n"
        # newer: replaces
        "01234567891,佐藤 花子,08033333333,2026-05-01 10:00\r\n"
        # inside one file the newest line wins, whatever the order of lines
        "01234567892,鈴木 次郎,09044444444,2026-05-02\r\n"
        "01234567892,鈴木 次郎,09055555555,2026-05-03\r\n"
        "01234567892,鈴木 次郎,09066666666,2026-05-01\r\n"
    ).encode()
    response = await client.post(URL, files=upload(second), headers=staff)
    assert response.status_code == 200, response.text
    assert response.json() | {"encoding": None} == {
        "rows": 5,
        "customers": 3,
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "encoding": None,
    }
    stored = await records(session)
    assert stored["01234567890"].phone == "09011111111"
    assert stored["01234567891"].phone == "08033333333"
    assert stored["01234567892"].phone == "09055555555"

    # The same file again changes nothing.
    again = await client.post(URL, files=upload(second), headers=staff)
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
        0,
        0,
        3,
    )


async def test_two_phones_at_the_same_instant_for_one_customer_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    content = (
        HEADER + "01234567890,山田 太郎,09011111111,2026-04-01 10:00\r\n"
        "01234567890,山田 太郎,09022222222,2026-04-01 10:00\r\n"
    ).encode()
    response = await client.post(URL, files=upload(content), headers=staff)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["line.3.phone"]
    assert await records(session) == {}


@pytest.mark.parametrize(
    ("content", "error_key"),
    [
        (b"", "file"),
        (HEADER.encode(), "file"),
        (b"customer_number,name\r\n01234567890,x\r\n", "header"),
        (b"customer_number,name,phone\r\n01234567890,x,0311112222\r\n", "header"),
    ],
)
async def test_empty_files_and_missing_columns_are_refused(
    client: httpx.AsyncClient, staff: dict[str, str], content: bytes, error_key: str
) -> None:
    response = await client.post(URL, files=upload(content), headers=staff)
    assert response.status_code == 400
    assert response.json()["type"] == "customer-import-invalid"
    assert error_key in response.json()["errors"]


async def test_binary_or_undecodable_files_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    for content in ("customer_number".encode("utf-16"), b"\x81\x20\xff\xfe broken"):
        response = await client.post(URL, files=upload(content), headers=staff)
        assert (response.status_code, response.json()["type"]) == (
            400,
            "customer-import-unreadable",
        )


async def test_files_over_5_mb_are_413(
    client: httpx.AsyncClient, session: AsyncSession, staff: dict[str, str]
) -> None:
    before = await table_counts(session)
    content = HEADER.encode() + b"x" * MAX_IMPORT_BYTES
    response = await client.post(URL, files=upload(content), headers=staff)
    assert (response.status_code, response.json()["type"]) == (413, "customer-import-too-large")
    assert await table_counts(session) == before


async def test_r_id_12_import_is_audited_and_staff_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    staff_user, staff = await person(session, settings, Role.staff)
    _, grader = await person(session, settings, Role.grader)
    await session.commit()
    content = (HEADER + "01234567890,山田 太郎,09011111111,2026-04-01\r\n").encode()
    refused = await client.post(URL, files=upload(content), headers=grader)
    assert (refused.status_code, refused.json()["type"]) == (403, "role-not-allowed")
    assert await records(session) == {}

    assert (
        await client.post(URL, files=upload(content, "2026-04.csv"), headers=staff)
    ).status_code == 200
    [event] = await audit_rows(session, "customer_records.imported")
    assert event.actor_user_id == staff_user.id
    assert event.target_type == "customer_record"
    assert event.data["filename"] == "2026-04.csv"
    assert (event.data["created"], event.data["rows"]) == (1, 1)


def test_parse_instant_formats() -> None:
    assert parse_instant("2026/4/1", date_only=True) == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert parse_instant("２０２６－０４－０１", date_only=True) == datetime(
        2026, 3, 31, 15, 0, tzinfo=UTC
    )
    assert parse_instant("2026-04-01T10:00:00+00:00", date_only=False) == datetime(
        2026, 4, 1, 10, 0, tzinfo=UTC
    )
    for bad in ("04/01/2026", "2026-04-01 25:00", "yesterday"):
        with pytest.raises(ValueError):
            parse_instant(bad, date_only=False)
    with pytest.raises(ValueError):
        parse_instant("2026-04-01 10:00", date_only=True)
