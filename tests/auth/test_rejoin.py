"""Rejoining after withdrawal (R-ID-9, R-SUB-11; seed 002 総則第9条第1項): a withdrawn member
agrees to the terms again and gets the SAME account back, through an emailed single-use link."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit import security
from app.models import (
    AccountStatus,
    AccountToken,
    AccountTokenPurpose,
    AuditEvent,
    EmailOutbox,
    Role,
    TermsAcceptance,
    User,
)
from tests.auth import (
    T0,
    TERMS,
    assert_problem,
    bearer,
    count,
    email_ids,
    emails,
    link_token,
    log_in,
    make_customer,
    make_terms,
    new_emails,
    reload,
    snapshot,
)
from tests.factories import DEFAULT_PASSWORD, bearer_for, make_organization, make_user

REJOIN = "/api/v1/auth/rejoin"
CONFIRM = "/api/v1/auth/rejoin/confirm"
REGISTER = "/api/v1/auth/register"
NEW_PASSWORD = "back again after a year"


def confirmation(link_token: str, **overrides: Any) -> dict[str, Any]:
    return {"token": link_token, "new_password": NEW_PASSWORD, **TERMS} | overrides


async def _withdrawn_member(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    now: datetime | None = None,
    **fields: Any,
) -> User:
    """A member who withdrew through the API (so the withdrawal is recorded as in production)."""
    user = await make_user(session, email="taro@example.jp", **fields)
    headers = await bearer_for(session, user, settings, now=now)
    await session.commit()
    response = await client.post(
        "/api/v1/me/withdrawal",
        json={"current_password": DEFAULT_PASSWORD, "reason": "しばらく休みます"},
        headers=headers,
    )
    assert response.status_code == 204, response.text
    return user


async def _rejoin_token(client: httpx.AsyncClient, session: AsyncSession, email: str) -> str:
    before = await email_ids(session)
    response = await client.post(REJOIN, json={"email": email})
    assert response.status_code == 202 and response.json() == {"status": "accepted"}
    (mail,) = await new_emails(session, before, "rejoin_link")
    return link_token(mail.body_text, "/rejoin/confirm")


async def _outcomes(session: AsyncSession) -> list[str]:
    events = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "account.rejoin_requested")
        .order_by(AuditEvent.id)
    )
    return [event.data["outcome"] for event in events]


# --- The way back -------------------------------------------------------------------------------


async def test_r_id_9_r_sub_11_rejoin_reactivates_the_same_account(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time: Any
) -> None:
    """Withdraw, ask to rejoin, confirm with the link: the same account id is active again, with
    a new password, the address verified, the terms accepted again, audited, and signed in."""
    await make_terms(session)
    await freeze_time(T0)
    user = await _withdrawn_member(client, session, settings, now=T0, verified=False)
    (withdrawn_mail,) = await emails(session, "account_withdrawn")
    # The withdrawal email promises exactly this way back.
    assert f"{settings.frontend_base_url}/rejoin" in withdrawn_mail.body_text
    assert "再入会" in withdrawn_mail.body_text
    earlier_acceptances = await count(
        session, "terms_acceptance", "user_id = :id", id=user.id
    )  # none: make_user does not accept; the rejoin must record one

    await freeze_time(T0 + timedelta(days=200))
    token = await _rejoin_token(client, session, "ＴＡＲＯ@example.jp")  # normalized (R-ID-13)
    (link_mail,) = await emails(session, "rejoin_link")
    assert link_mail.to_address == "taro@example.jp" and link_mail.user_id == user.id
    assert f"{settings.frontend_base_url}/rejoin/confirm?token=" in link_mail.body_text

    response = await client.post(CONFIRM, json=confirmation(token))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account"]["id"] == str(user.id)  # the same account, not a new one
    assert body["account"]["status"] == "active" and body["account"]["email_verified"] is True
    assert body["account"]["terms"]["needs_terms_acceptance"] is False
    assert body["tokens"]["token_type"] == "bearer"
    assert NEW_PASSWORD not in response.text

    stored = await reload(session, user.id)
    rejoined_at = T0 + timedelta(days=200)
    assert stored.status is AccountStatus.active and stored.status_reason is None
    assert stored.status_changed_at == rejoined_at and stored.email_verified_at == rejoined_at
    assert await security.verify_password(NEW_PASSWORD, stored.password_hash)
    assert await session.scalar(select(func.count()).select_from(User)) == 1
    accepted = list(
        await session.scalars(select(TermsAcceptance).where(TermsAcceptance.user_id == user.id))
    )
    assert len(accepted) == earlier_acceptances + 2
    assert {a.accepted_at for a in accepted} == {rejoined_at}
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "account.rejoined"))
    assert event is not None
    assert (event.actor_user_id, event.target_id) == (user.id, str(user.id))
    assert event.data == {"terms_versions": {"terms": "2026-04", "privacy": "2026-04p"}}
    (complete,) = await emails(session, "rejoin_complete")
    assert complete.to_address == "taro@example.jp" and "再入会の手続きが完了しました" in (
        complete.body_text
    )
    assert await _outcomes(session) == ["sent"]

    # Signed in at once; the new password works, the old one does not.
    assert (await client.get("/api/v1/me", headers=bearer(body["tokens"]))).status_code == 200
    assert_problem(
        await log_in(client, "taro@example.jp", DEFAULT_PASSWORD), 401, "invalid-credentials"
    )
    assert (await log_in(client, "taro@example.jp", NEW_PASSWORD)).status_code == 200

    # Single use: the same link again changes nothing.
    before = await snapshot(session)
    assert_problem(
        await client.post(CONFIRM, json=confirmation(token)), 400, "rejoin-token-invalid"
    )
    assert await snapshot(session) == before


async def test_r_id_9_r_sub_11_registering_a_withdrawn_address_points_to_rejoin(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_terms(session)
    await _withdrawn_member(client, session, settings)
    payload = {"name": "山田 太郎", "email": "taro@example.jp", "password": NEW_PASSWORD, **TERMS}
    before = await snapshot(session)

    ja = assert_problem(await client.post(REGISTER, json=payload), 409, "rejoin-required")
    en = assert_problem(
        await client.post(REGISTER, json=payload, headers={"Accept-Language": "en"}),
        409,
        "rejoin-required",
    )

    assert ja["title"] == "退会済みのアカウントがあります"
    assert "再入会" in ja["detail"] and "学習履歴" in ja["detail"]
    assert en["title"] == "You have a closed account"
    assert "rejoin" in en["detail"] and "learning history" in en["detail"]
    assert await snapshot(session) == before


async def test_r_id_2_r_sub_11_a_withdrawn_students_customer_number_points_to_rejoin(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await make_terms(session)
    await make_customer(session)
    await _withdrawn_member(client, session, settings, customer_number="01234567890")
    payload = {
        "customer_number": "01234567890",
        "phone": "090-1234-5678",
        "email": "new-address@example.jp",
        "password": NEW_PASSWORD,
        **TERMS,
    }
    before = await snapshot(session)
    assert_problem(
        await client.post("/api/v1/auth/register/student", json=payload), 409, "rejoin-required"
    )
    assert await snapshot(session) == before


async def test_r_id_9_staff_withdrawal_of_a_member_offers_the_same_way_back(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """Withdrawal by staff on the member's behalf (e.g. a letter) and by the member act alike."""
    await make_terms(session)
    staff = await make_user(session, role=Role.staff)
    headers = await bearer_for(session, staff, settings)
    member = await make_user(session, email="taro@example.jp")
    await session.commit()
    response = await client.post(
        f"/api/v1/admin/users/{member.id}/withdrawal", json={"reason": "郵送"}, headers=headers
    )
    assert response.status_code == 200, response.text
    (mail,) = await emails(session, "account_withdrawn")
    assert f"{settings.frontend_base_url}/rejoin" in mail.body_text

    token = await _rejoin_token(client, session, "taro@example.jp")
    assert (await client.post(CONFIRM, json=confirmation(token))).status_code == 200
    assert (await reload(session, member.id)).status is AccountStatus.active


# --- No enumeration, no email where no way back exists ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("unknown", "unknown_email"),
        ("active", "not_sent_active"),
        ("suspended", "not_sent_suspended"),
        ("withdrawn staff", "not_sent_managed_account"),
        ("withdrawn organization member", "not_sent_managed_account"),
        ("withdrawn while suspended", "not_sent_withdrawn_while_suspended"),
    ],
)
async def test_r_id_9_rejoin_request_answers_alike_and_emails_only_a_withdrawn_member(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    kind: str,
    outcome: str,
) -> None:
    """Same 202 body and headers as for a withdrawn member who does get a link; nothing is sent
    (R-ID-9: an active account logs in, a suspended one is refused; seed 002 総則第9条第1項:
    managed accounts and accounts withdrawn for a violation go through the office)."""
    await make_terms(session)
    await make_user(session, email="hanako@example.jp", status=AccountStatus.withdrawn)
    if kind == "active":
        await make_user(session, email="taro@example.jp")
    elif kind == "suspended":
        await make_user(session, email="taro@example.jp", status=AccountStatus.suspended)
    elif kind == "withdrawn staff":
        await make_user(
            session, email="taro@example.jp", role=Role.staff, status=AccountStatus.withdrawn
        )
    elif kind == "withdrawn organization member":
        organization = await make_organization(session)
        await make_user(
            session,
            email="taro@example.jp",
            organization_id=organization.id,
            status=AccountStatus.withdrawn,
        )
    elif kind == "withdrawn while suspended":
        suspended = await make_user(
            session, email="taro@example.jp", status=AccountStatus.suspended
        )
        staff = await make_user(session, role=Role.staff)
        headers = await bearer_for(session, staff, settings)
        await session.commit()
        withdrawn = await client.post(
            f"/api/v1/admin/users/{suspended.id}/withdrawal", json={"reason": "x"}, headers=headers
        )
        assert withdrawn.status_code == 200
        (mail,) = await emails(session, "account_withdrawn_managed")
        assert "/rejoin" not in mail.body_text
    await session.commit()

    eligible = await client.post(REJOIN, json={"email": "hanako@example.jp"})
    asked = await client.post(REJOIN, json={"email": "taro@example.jp"})

    assert eligible.status_code == asked.status_code == 202
    assert eligible.json() == asked.json() == {"status": "accepted"}
    ignore = {"x-request-id", "content-length"}
    assert {k: v for k, v in eligible.headers.items() if k not in ignore} == {
        k: v for k, v in asked.headers.items() if k not in ignore
    }
    assert [mail.to_address for mail in await emails(session, "rejoin_link")] == [
        "hanako@example.jp"
    ]
    assert await _outcomes(session) == ["sent", outcome]
    if kind != "unknown":
        # No way back online, so registering the address is not pointed at the rejoin flow.
        registration = await client.post(
            REGISTER,
            json={"name": "x", "email": "taro@example.jp", "password": NEW_PASSWORD, **TERMS},
        )
        assert_problem(registration, 409, "email-already-registered")


async def test_r_id_9_rejoin_links_are_limited_and_a_new_one_retires_the_old(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    """Limited like password reset requests (R-ID-5): 3 links per account per 15 minutes."""
    await make_terms(session)
    await make_user(session, email="taro@example.jp", status=AccountStatus.withdrawn)
    await freeze_time(T0)
    old = await _rejoin_token(client, session, "taro@example.jp")
    new = await _rejoin_token(client, session, "taro@example.jp")
    await _rejoin_token(client, session, "taro@example.jp")
    throttled = await client.post(REJOIN, json={"email": "taro@example.jp"})
    assert throttled.status_code == 202 and throttled.json() == {"status": "accepted"}
    assert len(await emails(session, "rejoin_link")) == 3
    assert (await _outcomes(session))[-1] == "not_sent_throttled"

    assert_problem(await client.post(CONFIRM, json=confirmation(old)), 400, "rejoin-token-invalid")
    assert_problem(await client.post(CONFIRM, json=confirmation(new)), 400, "rejoin-token-invalid")

    await freeze_time(T0 + timedelta(minutes=15))
    latest = await _rejoin_token(client, session, "taro@example.jp")
    assert (await client.post(CONFIRM, json=confirmation(latest))).status_code == 200


# --- Links that do not work --------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "works"), [(59, True), (60, False)])
async def test_r_id_9_rejoin_link_expires_after_the_reset_lifetime(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any, minutes: int, works: bool
) -> None:
    await make_terms(session)
    user = await make_user(session, email="taro@example.jp", status=AccountStatus.withdrawn)
    await freeze_time(T0)
    token = await _rejoin_token(client, session, "taro@example.jp")
    await freeze_time(T0 + timedelta(minutes=minutes))
    before = await snapshot(session)
    response = await client.post(CONFIRM, json=confirmation(token))
    if works:
        assert response.status_code == 200, response.text
    else:
        assert_problem(response, 400, "rejoin-token-invalid")
        assert await snapshot(session) == before
        assert (await reload(session, user.id)).status is AccountStatus.withdrawn


async def test_r_id_9_a_link_of_another_purpose_does_not_rejoin(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A password-reset link of the same account is no rejoin link, and a rejoin link is no
    password-reset link."""
    await make_terms(session)
    user = await make_user(session, email="taro@example.jp", status=AccountStatus.withdrawn)
    reset = security.new_token()
    session.add(
        AccountToken(
            id=uuid.uuid4(),
            user_id=user.id,
            purpose=AccountTokenPurpose.reset_password,
            token_hash=security.token_digest(reset),
            created_at=T0,
            expires_at=T0 + timedelta(days=3650),
        )
    )
    await session.commit()
    rejoin = await _rejoin_token(client, session, "taro@example.jp")
    before = await snapshot(session)

    assert_problem(
        await client.post(CONFIRM, json=confirmation(reset)), 400, "rejoin-token-invalid"
    )
    assert_problem(
        await client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": rejoin, "new_password": NEW_PASSWORD},
        ),
        400,
        "reset-token-invalid",
    )
    assert await snapshot(session) == before
    assert (await client.post(CONFIRM, json=confirmation(rejoin))).status_code == 200


async def test_r_id_9_a_suspended_account_cannot_rejoin(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A link sent while withdrawn stops working once the account is suspended (R-ID-9: a
    suspension is lifted by staff, never by a link)."""
    await make_terms(session)
    user = await make_user(session, email="taro@example.jp", status=AccountStatus.withdrawn)
    await session.commit()
    token = await _rejoin_token(client, session, "taro@example.jp")
    stored = await reload(session, user.id)
    stored.status = AccountStatus.suspended
    await session.commit()
    before = await snapshot(session)

    assert_problem(
        await client.post(CONFIRM, json=confirmation(token)), 400, "rejoin-token-invalid"
    )

    assert await snapshot(session) == before
    assert (await reload(session, user.id)).status is AccountStatus.suspended


async def test_r_id_9_an_active_account_gets_no_link_and_old_links_die_with_rejoining(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    await make_user(session, email="taro@example.jp", status=AccountStatus.withdrawn)
    await session.commit()
    token = await _rejoin_token(client, session, "taro@example.jp")
    assert (await client.post(CONFIRM, json=confirmation(token))).status_code == 200
    before = await email_ids(session)

    again = await client.post(REJOIN, json={"email": "taro@example.jp"})

    assert again.status_code == 202 and again.json() == {"status": "accepted"}
    assert await new_emails(session, before) == []
    assert await count(session, "account_token", "used_at IS NULL") == 0


# --- Refusals change nothing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status", "type_"),
    [
        pytest.param({}, 422, "validation-error", id="missing fields"),
        pytest.param({"email": ["taro@example.jp"]}, 422, "validation-error", id="wrong type"),
        pytest.param({"email": "taro@"}, 422, "validation-error", id="not an email"),
        pytest.param(
            {"email": "a" * 250 + "@example.jp"}, 422, "validation-error", id="email too long"
        ),
        pytest.param(
            {"email": "taro@example.jp", "extra": 1}, 422, "validation-error", id="unknown field"
        ),
    ],
)
async def test_r_id_9_bad_rejoin_requests_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    payload: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    await make_user(session, email="taro@example.jp", status=AccountStatus.withdrawn)
    before = await snapshot(session)
    assert_problem(await client.post(REJOIN, json=payload), status, type_)
    assert await snapshot(session) == before


def _with(**overrides: Any) -> Any:
    return lambda token: confirmation(token, **overrides)


BAD_CONFIRMATIONS = [
    pytest.param(lambda token: {}, 422, "validation-error", id="missing fields"),
    pytest.param(lambda token: {"token": token}, 422, "validation-error", id="only the token"),
    pytest.param(
        lambda token: {"token": token, "new_password": NEW_PASSWORD},
        422,
        "validation-error",
        id="missing terms versions",
    ),
    pytest.param(_with(token=12345), 422, "validation-error", id="token of the wrong type"),
    pytest.param(_with(new_password=12345678), 422, "validation-error", id="password a number"),
    pytest.param(_with(terms_version=["2026-04"]), 422, "validation-error", id="version a list"),
    pytest.param(_with(token="t" * 201), 422, "validation-error", id="token too long"),
    pytest.param(_with(new_password="x" * 129), 422, "validation-error", id="password too long"),
    pytest.param(_with(new_password="short"), 422, "validation-error", id="password too short"),
    pytest.param(_with(terms_version="v" * 33), 422, "validation-error", id="version too long"),
    pytest.param(_with(role="admin"), 422, "validation-error", id="unknown field"),
    pytest.param(_with(token="never-issued"), 400, "rejoin-token-invalid", id="unknown token"),
    pytest.param(
        _with(new_password="TARO@example.jp"),
        400,
        "password-policy-violated",
        id="password is the email",
    ),
    pytest.param(
        _with(terms_version="2026-01"), 409, "terms-version-outdated", id="outdated terms"
    ),
]


@pytest.mark.parametrize(("payload_for", "status", "type_"), BAD_CONFIRMATIONS)
async def test_r_id_9_bad_rejoin_confirmations_change_nothing_and_keep_the_link(
    client: httpx.AsyncClient,
    session: AsyncSession,
    payload_for: Any,
    status: int,
    type_: str,
) -> None:
    await make_terms(
        session, terms_version="2026-01", privacy_version="2026-01p", effective_on=date(2026, 1, 1)
    )
    await make_terms(session)  # the current pair
    user = await make_user(session, email="taro@example.jp", status=AccountStatus.withdrawn)
    await session.commit()
    token = await _rejoin_token(client, session, "taro@example.jp")
    before = await snapshot(session)

    assert_problem(await client.post(CONFIRM, json=payload_for(token)), status, type_)

    assert await snapshot(session) == before
    assert (await reload(session, user.id)).status is AccountStatus.withdrawn
    # The link still works afterwards.
    assert (await client.post(CONFIRM, json=confirmation(token))).status_code == 200


# --- Concurrency ---------------------------------------------------------------------------------


async def test_r_id_9_two_confirmations_of_one_link_at_once_rejoin_once(
    committing_client: httpx.AsyncClient, committing_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with committing_sessionmaker() as session:
        await make_terms(session)
        user = await make_user(session, email="taro@example.jp", status=AccountStatus.withdrawn)
        await session.commit()
    assert (
        await committing_client.post(REJOIN, json={"email": "taro@example.jp"})
    ).status_code == 202
    async with committing_sessionmaker() as session:
        (mail,) = await emails(session, "rejoin_link")
        token = link_token(mail.body_text, "/rejoin/confirm")

    responses = await asyncio.gather(
        *(committing_client.post(CONFIRM, json=confirmation(token)) for _ in range(2))
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 400: 1}, [
        r.text for r in responses
    ]
    refused = next(r for r in responses if r.status_code == 400)
    assert refused.json()["type"] == "rejoin-token-invalid"
    async with committing_sessionmaker() as session:
        assert (await reload(session, user.id)).status is AccountStatus.active
        assert await count(session, "audit_event", "action = 'account.rejoined'") == 1
        assert await count(session, "auth_session", "user_id = :id", id=user.id) == 1
        assert len(await emails(session, "rejoin_complete")) == 1
        assert (
            await session.scalar(
                select(func.count())
                .select_from(EmailOutbox)
                .where(EmailOutbox.template == "rejoin_link")
            )
            == 1
        )
