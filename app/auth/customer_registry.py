"""Importing the correspondence-course customer registry from a back-office CSV (R-ID-2, R-ID-13).

Student-support registration (R-ID-2) matches a customer number and "the latest phone on file";
this module keeps that file current from the exports Japanese back offices produce.

The file:

- encoding: UTF-8 with or without BOM, or Shift_JIS as Windows writes it (CP932, a superset that
  also has ①, ㈱, ～ …). UTF-8 is tried first: CP932 text with Japanese in it is practically never
  valid UTF-8, while ASCII-only files read the same either way;
- a header line naming the columns, in English or in Japanese (`COLUMN_ALIASES`): customer_number,
  name, phone, and phone_recorded_at (date and time; without an offset it is Japan time) or
  recorded_on (a date: 00:00 Japan time). Other columns are ignored, so a full export can be sent;
- values are normalized before they are checked (R-ID-13): full-width digits become half-width,
  hyphens, spaces and parentheses in phone numbers and customer numbers are dropped. Names keep
  their kana/kanji; only surrounding spaces go.

All or nothing: every line is validated first; if any is wrong the whole file is refused with
`customer-import-invalid`, listing the errors by line number (the header is line 1, as in a
spreadsheet), and nothing is written. Otherwise each customer is upserted in one statement per
chunk, keeping the more recently recorded phone: `ON CONFLICT … DO UPDATE … WHERE stored <
incoming`. That also makes concurrent imports safe. Several lines for one customer inside a file
resolve to the most recent one; two lines with the same time and different phones are an error
(the file cannot say which is current).

A phone recorded in the future is refused: it would win over every genuine later update.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Boolean, func, literal_column
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record_audit_event
from app.auth.errors import CustomerImportInvalid, CustomerImportUnreadable
from app.kit.calendar import JST
from app.kit.normalize import nfkc, normalize_customer_number, normalize_name, normalize_phone
from app.kit.request_context import ClientInfo
from app.models.customer import CustomerRecord
from app.models.user import User

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_REPORTED_ERRORS = 100
UPSERT_CHUNK = 1000

Encoding = Literal["utf-8", "utf-8-sig", "cp932"]
Field = Literal["customer_number", "name", "phone", "phone_recorded_at", "recorded_on"]

COLUMN_ALIASES: dict[str, Field] = {
    "customer_number": "customer_number",
    "お客様番号": "customer_number",
    "顧客番号": "customer_number",
    "name": "name",
    "氏名": "name",
    "名前": "name",
    "phone": "phone",
    "電話番号": "phone",
    "phone_recorded_at": "phone_recorded_at",
    "電話番号登録日時": "phone_recorded_at",
    "登録日時": "phone_recorded_at",
    "recorded_on": "recorded_on",
    "電話番号登録日": "recorded_on",
    "登録日": "recorded_on",
}

_MESSAGES: dict[str, dict[str, str]] = {
    "required": {"ja": "必須項目です。", "en": "Required."},
    "customer_number": {
        "ja": "お客様番号は11桁の数字です。",
        "en": "A customer number is 11 digits.",
    },
    "phone": {
        "ja": "電話番号は0から始まる10桁または11桁の数字です。",
        "en": "A phone number is 10 or 11 digits starting with 0.",
    },
    "name_too_long": {"ja": "100文字以内で入力してください。", "en": "At most 100 characters."},
    "instant": {
        "ja": "日時の形式が正しくありません(例: 2026-04-01 10:00、2026/04/01)。",
        "en": "Not a date/time (e.g. 2026-04-01 10:00, 2026/04/01).",
    },
    "future": {"ja": "未来の日時は指定できません。", "en": "Cannot be in the future."},
    "field_count": {
        "ja": "項目の数が見出し行と一致しません。",
        "en": "The number of fields does not match the header.",
    },
    "ambiguous": {
        "ja": "{line}行目と同じお客様番号・同じ登録日時で、電話番号が異なります。",
        "en": "Same customer and time as line {line}, but another phone number.",
    },
    "missing_column": {"ja": "列 {column} がありません。", "en": "Column {column} is missing."},
    "missing_recorded": {
        "ja": "列 phone_recorded_at または recorded_on が必要です。",
        "en": "A phone_recorded_at or recorded_on column is required.",
    },
    "duplicate_column": {
        "ja": "列 {column} が複数あります。",
        "en": "Column {column} appears more than once.",
    },
    "no_rows": {"ja": "データ行がありません。", "en": "The file has no data lines."},
    "csv": {"ja": "CSVとして読めません: {reason}", "en": "Not readable as CSV: {reason}"},
}

_CUSTOMER_NUMBER = re.compile(r"^[0-9]{11}$")
_PHONE = re.compile(r"^0[0-9]{9,10}$")
_DATE_PREFIX = re.compile(r"^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")


@dataclass(frozen=True)
class CustomerLine:
    line: int
    customer_number: str
    name: str
    phone: str
    phone_recorded_at: datetime


@dataclass(frozen=True)
class ParsedFile:
    customers: list[CustomerLine]  # one line per customer: its most recent phone
    rows: int  # data lines in the file
    encoding: Encoding


@dataclass(frozen=True)
class ImportCounts:
    rows: int
    customers: int
    created: int
    updated: int
    unchanged: int
    encoding: Encoding


class _Errors:
    def __init__(self, language: str) -> None:
        self.language = language
        self.by_field: dict[str, list[str]] = {}
        self.count = 0

    def add(self, key: str, message: str, **params: object) -> None:
        self.count += 1
        if len(self.by_field) < MAX_REPORTED_ERRORS or key in self.by_field:
            text = _MESSAGES[message].get(self.language) or _MESSAGES[message]["en"]
            self.by_field.setdefault(key, []).append(text.format(**params))

    def raise_if_any(self) -> None:
        if self.count:
            raise CustomerImportInvalid(errors=self.by_field, error_count=self.count)


def decode(data: bytes) -> tuple[str, Encoding]:
    """The file's text and the encoding it was read with (see the module docstring)."""
    if b"\x00" in data:
        raise CustomerImportUnreadable()  # UTF-16, a spreadsheet, or some other binary
    if data.startswith(b"\xef\xbb\xbf"):
        encoding: Encoding = "utf-8-sig"
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            encoding = "cp932"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as error:
        raise CustomerImportUnreadable() from error


def parse_instant(value: str, *, date_only: bool) -> datetime:
    """'2026/4/1', '２０２６-04-01 10:00', '2026-04-01T10:00:00+09:00' → UTC instant (JST when
    no offset is given). Raises ValueError."""
    value = nfkc(value).strip()
    match = _DATE_PREFIX.match(value)
    if match is None:
        raise ValueError(value)
    year, month, day = (int(part) for part in match.groups())
    rest = value[match.end() :]
    if date_only and rest:
        raise ValueError(value)
    parsed = datetime.fromisoformat(f"{year:04d}-{month:02d}-{day:02d}{rest}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=JST)
    return parsed.astimezone(UTC)


def _columns(header: list[str], errors: _Errors) -> dict[Field, int]:
    columns: dict[Field, int] = {}
    for index, raw in enumerate(header):
        field = COLUMN_ALIASES.get(nfkc(raw).strip().lower())
        if field is None:
            continue
        if field in columns:
            errors.add("header", "duplicate_column", column=field)
        columns[field] = index
    for required in ("customer_number", "name", "phone"):
        if required not in columns:
            errors.add("header", "missing_column", column=required)
    if "phone_recorded_at" not in columns and "recorded_on" not in columns:
        errors.add("header", "missing_recorded")
    return columns


def _records(text: str, errors: _Errors) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for record in reader:
            if any(cell.strip() for cell in record):  # skip blank lines
                yield reader.line_num, record
    except csv.Error as error:
        errors.add(f"line.{reader.line_num}", "csv", reason=str(error))


def _parse_line(
    line: int,
    record: list[str],
    columns: dict[Field, int],
    width: int,
    now: datetime,
    errors: _Errors,
) -> CustomerLine | None:
    # Spreadsheet exports drop or add empty trailing cells; only extra cells with content (an
    # unquoted comma in a name, say) shift the columns and make the line unreadable.
    if any(extra.strip() for extra in record[width:]):
        errors.add(f"line.{line}", "field_count")
        return None

    def cell(field: Field) -> str:
        index = columns.get(field)
        return record[index].strip() if index is not None and index < len(record) else ""

    before = errors.count
    customer_number = normalize_customer_number(cell("customer_number"))
    if not customer_number:
        errors.add(f"line.{line}.customer_number", "required")
    elif not _CUSTOMER_NUMBER.match(customer_number):
        errors.add(f"line.{line}.customer_number", "customer_number")
    name = normalize_name(cell("name"))
    if not name:
        errors.add(f"line.{line}.name", "required")
    elif len(name) > 100:
        errors.add(f"line.{line}.name", "name_too_long")
    phone = normalize_phone(cell("phone"))
    if not phone:
        errors.add(f"line.{line}.phone", "required")
    elif not _PHONE.match(phone):
        errors.add(f"line.{line}.phone", "phone")
    # phone_recorded_at when the line has one, else recorded_on; a blank is reported on the
    # column the file has (phone_recorded_at when it has both).
    field: Field = "phone_recorded_at"
    if not cell("phone_recorded_at") and (
        cell("recorded_on") or "phone_recorded_at" not in columns
    ):
        field = "recorded_on"
    recorded_at: datetime | None = None
    if not cell(field):
        errors.add(f"line.{line}.{field}", "required")
    else:
        try:
            recorded_at = parse_instant(cell(field), date_only=field == "recorded_on")
        except ValueError:
            errors.add(f"line.{line}.{field}", "instant")
        else:
            if recorded_at > now:
                errors.add(f"line.{line}.{field}", "future")
    if errors.count > before or recorded_at is None:
        return None
    return CustomerLine(line, customer_number, name, phone, recorded_at)


def parse_customer_csv(data: bytes, *, now: datetime, language: str) -> ParsedFile:
    """Every line of the file, validated and normalized; raises with all errors at once."""
    text, encoding = decode(data)
    errors = _Errors(language)
    records = _records(text, errors)
    header = next(records, None)
    if header is None:
        errors.add("file", "no_rows")
        errors.raise_if_any()
    _, names = header or (0, [])
    columns = _columns(names, errors)
    errors.raise_if_any()  # without the columns, every line would only repeat the same error
    lines = []
    for line, record in records:
        parsed = _parse_line(line, record, columns, len(names), now, errors)
        if parsed is not None:
            lines.append(parsed)
    if not lines and not errors.count:
        errors.add("file", "no_rows")
    latest = latest_per_customer(lines, errors)
    errors.raise_if_any()
    return ParsedFile(customers=latest, rows=len(lines), encoding=encoding)


def latest_per_customer(lines: list[CustomerLine], errors: _Errors) -> list[CustomerLine]:
    """One line per customer: the most recently recorded phone (ties with another phone are
    errors)."""
    latest: dict[str, CustomerLine] = {}
    for line in lines:
        current = latest.get(line.customer_number)
        if current is None or line.phone_recorded_at > current.phone_recorded_at:
            latest[line.customer_number] = line
        elif line.phone_recorded_at == current.phone_recorded_at:
            if line.phone != current.phone:
                errors.add(f"line.{line.line}.phone", "ambiguous", line=current.line)
            else:
                latest[line.customer_number] = line  # same phone: the later line's name wins
    return list(latest.values())


async def import_customer_records(
    session: AsyncSession,
    *,
    actor: User,
    data: bytes,
    filename: str | None,
    language: str,
    now: datetime,
    client: ClientInfo,
) -> ImportCounts:
    parsed = parse_customer_csv(data, now=now, language=language)
    lines = parsed.customers
    created = updated = 0
    for start in range(0, len(lines), UPSERT_CHUNK):
        chunk = lines[start : start + UPSERT_CHUNK]
        upsert = insert(CustomerRecord).values(
            [
                {
                    "id": uuid.uuid4(),
                    "customer_number": line.customer_number,
                    "name": line.name,
                    "phone": line.phone,
                    "phone_recorded_at": line.phone_recorded_at,
                }
                for line in chunk
            ]
        )
        statement = upsert.on_conflict_do_update(
            index_elements=[CustomerRecord.customer_number],
            set_={
                "name": upsert.excluded.name,
                "phone": upsert.excluded.phone,
                "phone_recorded_at": upsert.excluded.phone_recorded_at,
                "updated_at": func.now(),
            },
            where=CustomerRecord.phone_recorded_at < upsert.excluded.phone_recorded_at,
        ).returning(literal_column("xmax = 0", Boolean()).label("inserted"))
        # Rows come back for inserts (xmax = 0) and for updates; the rest were not newer.
        for (inserted,) in (await session.execute(statement)).all():
            if inserted:
                created += 1
            else:
                updated += 1
    counts = ImportCounts(
        rows=parsed.rows,
        customers=len(lines),
        created=created,
        updated=updated,
        unchanged=len(lines) - created - updated,
        encoding=parsed.encoding,
    )
    await record_audit_event(
        session,
        action=AuditAction.customer_records_imported,
        now=now,
        actor_user_id=actor.id,
        target_type="customer_record",
        client=client,
        data={"filename": (filename or "")[:200], **counts.__dict__},
    )
    return counts
