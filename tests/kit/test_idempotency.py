"""`Idempotency-Key` on POSTs (SPEC §0 Idempotency, API.md Behaviour).

A tiny router of test endpoints runs in a fresh app, against the real database: through the
test's rolled-back connection for behaviour, and with real commits for the concurrency test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, File, Form, Header, Request, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import DbSession
from app.kit.errors import Conflict, ProblemError
from app.kit.idempotency import (
    IDEMPOTENCY_ERRORS,
    REPLAYED_HEADER,
    idempotent,
    purge_expired_idempotency_records,
    set_idempotency_scope,
)
from app.kit.problems import problem_responses
from app.main import create_app
from app.models.platform import IdempotencyRecord
from app.models.user import Organization

BASE = "/api/v1/_test"


class ThingIn(BaseModel):
    name: str


class ThingOut(BaseModel):
    id: uuid.UUID
    name: str
    is_active: bool


class KeptButRefused(ProblemError):
    """Like a failed login: refused, yet its writes commit (`keeps_writes`)."""

    type = "test-kept-but-refused"
    status = 409
    keeps_writes = True


async def caller_scope(request: Request, x_test_caller: Annotated[str | None, Header()] = None):  # type: ignore[no-untyped-def]
    """Stands in for an auth dependency: keys are per caller."""
    if x_test_caller:
        set_idempotency_scope(request, f"user:{x_test_caller}")


router = APIRouter(prefix=BASE, dependencies=[Depends(caller_scope)])


async def _new_organization(session: AsyncSession, name: str) -> Organization:
    organization = Organization(name=name)
    session.add(organization)
    await session.flush()
    return organization


@router.post("/things", status_code=201, responses=problem_responses(*IDEMPOTENCY_ERRORS))
@idempotent(status_code=201)
async def create_thing(
    body: ThingIn, session: DbSession, request: Request, response: Response
) -> ThingOut:
    """Creates an organization row; refuses while `app.state.things_fail` is set."""
    if getattr(request.app.state, "things_fail", False):
        raise Conflict()
    organization = await _new_organization(session, body.name)
    response.headers["Location"] = f"{BASE}/things/{organization.id}"
    response.set_cookie("seen", "1")
    return ThingOut(id=organization.id, name=organization.name, is_active=organization.is_active)


@router.post("/plain-things", status_code=201)
@idempotent(status_code=201)
async def create_plain_thing(body: ThingIn, session: DbSession) -> ThingOut:
    """No Request/Response parameters: the decorator injects its own. Returns an ORM object."""
    organization = await _new_organization(session, body.name)
    return organization  # type: ignore[return-value]  # validated from attributes


@router.post("/kept-things", status_code=201)
@idempotent(status_code=201)
async def create_kept_thing(body: ThingIn, session: DbSession) -> ThingOut:
    await _new_organization(session, body.name)
    raise KeptButRefused()


@router.post("/touches", status_code=204)
@idempotent(status_code=204)
async def touch(session: DbSession, body: ThingIn) -> None:
    await _new_organization(session, body.name)


@router.post("/uploads", status_code=201)
@idempotent(status_code=201)
async def upload(
    session: DbSession,
    note: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> ThingOut:
    content = await file.read()
    organization = await _new_organization(session, f"{note}:{content.decode()}")
    return ThingOut(id=organization.id, name=organization.name, is_active=True)


@pytest.fixture(scope="module")
def idem_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.include_router(router)
    return app


@pytest.fixture
async def client(
    idem_app: FastAPI, connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    """Requests run in savepoints of the test's connection, as conftest's `client` does."""
    idem_app.state.sessionmaker = async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    idem_app.state.things_fail = False
    async with _client_for(idem_app) as client:
        yield client
    idem_app.state.sessionmaker = None


@pytest.fixture
async def committing_idem_client(
    idem_app: FastAPI, committing_sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    """Real commits on the pooled engine: concurrent requests get separate connections."""
    idem_app.state.sessionmaker = committing_sessionmaker
    idem_app.state.things_fail = False
    async with _client_for(idem_app) as client:
        yield client
    idem_app.state.sessionmaker = None


def _client_for(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _count_named(session: AsyncSession, name: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Organization).where(Organization.name == name)
    )
    return int(count or 0)


async def _count_records(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


# --- Replay -------------------------------------------------------------------------------------


async def test_retry_with_same_key_replays_first_response_and_creates_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """SPEC §0 Idempotency: a retry returns the first result with Idempotent-Replayed: true."""
    headers = _key()
    first = await client.post(f"{BASE}/things", json={"name": "replay"}, headers=headers)
    retry = await client.post(f"{BASE}/things", json={"name": "replay"}, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.json()["name"] == "replay"
    assert retry.headers["location"] == first.headers["location"]
    assert first.headers["location"] == f"{BASE}/things/{first.json()['id']}"
    assert REPLAYED_HEADER.lower() not in first.headers
    assert retry.headers[REPLAYED_HEADER] == "true"
    assert await _count_named(session, "replay") == 1


async def test_first_answer_keeps_every_header_but_replays_only_location(
    client: httpx.AsyncClient,
) -> None:
    """Cookies and other per-response headers are never replayed to a retrying caller."""
    headers = _key()
    first = await client.post(f"{BASE}/things", json={"name": "cookie"}, headers=headers)
    retry = await client.post(f"{BASE}/things", json={"name": "cookie"}, headers=headers)
    assert "set-cookie" in first.headers
    assert "set-cookie" not in retry.headers
    assert retry.headers["content-type"] == "application/json"


async def test_same_key_different_body_is_422_idempotency_key_reused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = _key()
    assert (await client.post(f"{BASE}/things", json={"name": "a"}, headers=headers)).is_success
    reused = await client.post(f"{BASE}/things", json={"name": "b"}, headers=headers)
    assert reused.status_code == 422
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert reused.json()["type"] == "idempotency-key-reused"
    assert await _count_named(session, "b") == 0


async def test_same_key_on_another_endpoint_is_reused(client: httpx.AsyncClient) -> None:
    headers = _key()
    await client.post(f"{BASE}/things", json={"name": "x"}, headers=headers)
    other = await client.post(f"{BASE}/plain-things", json={"name": "x"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "idempotency-key-reused"


async def test_without_a_key_every_post_creates(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for _ in range(2):
        response = await client.post(f"{BASE}/things", json={"name": "keyless"})
        assert response.status_code == 201
        assert "location" in response.headers
        assert REPLAYED_HEADER.lower() not in response.headers
    assert await _count_named(session, "keyless") == 2
    assert await _count_records(session) == 0


async def test_keys_are_scoped_per_caller(client: httpx.AsyncClient, session: AsyncSession) -> None:
    """Two callers choosing the same key do not see each other's responses."""
    key = _key()
    alice = await client.post(
        f"{BASE}/things", json={"name": "scoped"}, headers={**key, "X-Test-Caller": "alice"}
    )
    bob = await client.post(
        f"{BASE}/things", json={"name": "scoped"}, headers={**key, "X-Test-Caller": "bob"}
    )
    assert alice.json()["id"] != bob.json()["id"]
    assert REPLAYED_HEADER.lower() not in bob.headers
    assert await _count_named(session, "scoped") == 2
    scopes = set(await session.scalars(select(IdempotencyRecord.scope)))
    assert scopes == {"user:alice", "user:bob"}


async def test_endpoint_without_request_or_response_params_and_orm_result(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The decorator injects what it needs; the result is serialized by the return type."""
    headers = _key()
    first = await client.post(f"{BASE}/plain-things", json={"name": "plain"}, headers=headers)
    retry = await client.post(f"{BASE}/plain-things", json={"name": "plain"}, headers=headers)
    assert first.status_code == 201
    assert set(first.json()) == {"id", "name", "is_active"}
    assert retry.content == first.content
    assert await _count_named(session, "plain") == 1


async def test_no_content_response_replays_as_204(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = _key()
    first = await client.post(f"{BASE}/touches", json={"name": "touch"}, headers=headers)
    retry = await client.post(f"{BASE}/touches", json={"name": "touch"}, headers=headers)
    assert first.status_code == retry.status_code == 204
    assert first.content == retry.content == b""
    assert retry.headers[REPLAYED_HEADER] == "true"
    assert await _count_named(session, "touch") == 1


async def test_multipart_requests_are_fingerprinted_by_their_fields_and_files(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Submissions upload files: the parsed form stands in for the consumed raw body."""
    headers = _key()

    async def send(content: bytes) -> httpx.Response:
        return await client.post(
            f"{BASE}/uploads",
            data={"note": "essay"},
            files={"file": ("answer.txt", content, "text/plain")},
            headers=headers,
        )

    first = await send(b"v1")
    retry = await send(b"v1")
    changed = await send(b"v2")
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers[REPLAYED_HEADER] == "true"
    assert changed.status_code == 422
    assert changed.json()["type"] == "idempotency-key-reused"
    assert await _count_named(session, "essay:v1") == 1


# --- Failures are not cached --------------------------------------------------------------------


async def test_failed_first_request_is_not_cached(
    client: httpx.AsyncClient, session: AsyncSession, idem_app: FastAPI
) -> None:
    """A refused request changes nothing, placeholder included; the retry then succeeds."""
    headers = _key()
    idem_app.state.things_fail = True
    failed = await client.post(f"{BASE}/things", json={"name": "later"}, headers=headers)
    assert failed.status_code == 409
    assert await _count_records(session) == 0

    idem_app.state.things_fail = False
    retried = await client.post(f"{BASE}/things", json={"name": "later"}, headers=headers)
    assert retried.status_code == 201
    assert REPLAYED_HEADER.lower() not in retried.headers
    assert await _count_named(session, "later") == 1
    assert await _count_records(session) == 1


async def test_refusal_that_keeps_writes_leaves_no_placeholder(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """`keeps_writes` errors commit their writes, but never a half-finished record."""
    headers = _key()
    for _ in range(2):
        refused = await client.post(f"{BASE}/kept-things", json={"name": "kept"}, headers=headers)
        assert refused.status_code == 409
        assert refused.json()["type"] == "test-kept-but-refused"
    assert await _count_records(session) == 0
    assert await _count_named(session, "kept") == 2  # the endpoint's own writes were kept


async def test_malformed_body_is_422_before_any_record(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post(f"{BASE}/things", json={"nom": "x"}, headers=_key())
    assert response.status_code == 422
    assert response.json()["type"] == "validation-error"
    assert await _count_records(session) == 0


@pytest.mark.parametrize("bad_key", [b"", b"x" * 256, "キー".encode(), b"tab\there"])
async def test_invalid_key_is_400_idempotency_key_invalid(
    client: httpx.AsyncClient, session: AsyncSession, bad_key: bytes
) -> None:
    response = await client.post(
        f"{BASE}/things", json={"name": "badkey"}, headers={b"Idempotency-Key": bad_key}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "idempotency-key-invalid"
    assert await _count_named(session, "badkey") == 0


async def test_key_of_255_printable_characters_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{BASE}/things", json={"name": "long"}, headers={"Idempotency-Key": "k~" * 127 + "!"}
    )
    assert response.status_code == 201


# --- Expiry -------------------------------------------------------------------------------------


async def test_records_expire_after_24_hours(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    """After 24 h the key is free again: the same request creates anew."""
    headers = _key()
    await freeze_time(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    first = await client.post(f"{BASE}/things", json={"name": "ttl"}, headers=headers)

    await freeze_time(datetime(2027, 4, 2, 8, 59, tzinfo=UTC))
    within = await client.post(f"{BASE}/things", json={"name": "ttl"}, headers=headers)
    assert within.headers[REPLAYED_HEADER] == "true"

    await freeze_time(datetime(2027, 4, 2, 9, 0, tzinfo=UTC))
    after = await client.post(f"{BASE}/things", json={"name": "other"}, headers=headers)
    assert after.status_code == 201
    assert REPLAYED_HEADER.lower() not in after.headers
    assert after.json()["id"] != first.json()["id"]
    assert await _count_records(session) == 1  # replaced, not duplicated
    record = await session.scalar(select(IdempotencyRecord))
    assert record is not None
    assert record.expires_at == datetime(2027, 4, 3, 9, 0, tzinfo=UTC)


async def test_purge_deletes_only_expired_records(session: AsyncSession) -> None:
    now = datetime(2027, 4, 1, 12, 0, tzinfo=UTC)
    for offset in (-3600, -1, 0, 1, 3600):
        session.add(
            IdempotencyRecord(
                scope="anonymous",
                key=f"k{offset}",
                request_fingerprint="0" * 64,
                status_code=201,
                response_body={},
                response_headers={},
                expires_at=now + timedelta(seconds=offset),
            )
        )
    await session.flush()
    assert await purge_expired_idempotency_records(session, now) == 3
    remaining = set(await session.scalars(select(IdempotencyRecord.key)))
    assert remaining == {"k1", "k3600"}


# --- Concurrency --------------------------------------------------------------------------------


async def test_simultaneous_duplicates_create_exactly_one_row(
    committing_idem_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Ten retries racing with one key: the unique index serializes them; one row, one body."""
    headers = _key()
    responses = await asyncio.gather(
        *(
            committing_idem_client.post(f"{BASE}/things", json={"name": "race"}, headers=headers)
            for _ in range(10)
        )
    )
    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.content for r in responses}) == 1
    assert len({r.headers["location"] for r in responses}) == 1
    assert sum(REPLAYED_HEADER.lower() in r.headers for r in responses) == 9
    async with committing_sessionmaker() as check:
        assert await _count_named(check, "race") == 1
        assert await _count_records(check) == 1


async def test_simultaneous_different_keys_all_create(
    committing_idem_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Distinct keys never block one another."""
    responses = await asyncio.gather(
        *(
            committing_idem_client.post(f"{BASE}/things", json={"name": "many"}, headers=_key())
            for _ in range(5)
        )
    )
    assert [r.status_code for r in responses] == [201] * 5
    async with committing_sessionmaker() as check:
        assert await _count_named(check, "many") == 5


# --- Contract -----------------------------------------------------------------------------------


def test_openapi_shows_the_header_and_hides_injected_parameters(idem_app: FastAPI) -> None:
    operation = idem_app.openapi()["paths"][f"{BASE}/things"]["post"]
    parameters = {p["name"]: p for p in operation.get("parameters", [])}
    assert parameters["Idempotency-Key"]["in"] == "header"
    assert parameters["Idempotency-Key"]["required"] is False
    assert not any("idempotency_" in name for name in parameters)
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.endswith("/ThingIn")
    response_ref = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert response_ref["$ref"].endswith("/ThingOut")
    described = " ".join(r.get("description", "") for r in operation["responses"].values())
    for slug in (
        "idempotency-key-invalid",
        "idempotency-key-reused",
        "idempotency-request-in-progress",
    ):
        assert slug in described


def test_sync_endpoints_are_refused() -> None:
    with pytest.raises(TypeError):

        @idempotent(status_code=201)  # type: ignore[arg-type]
        def sync_endpoint() -> None:
            return None
