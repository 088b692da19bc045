"""Registration (R-ID-1, R-ID-2, R-ID-4, R-ID-13) and email verification."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.service import registration
from app.config import Settings
from app.models import AccountToken, AuditEvent, AuthSession, RefreshToken, TermsAcceptance, User
from app.ops import housekeeping
from tests.auth import (
    T0,
    TERMS,
    assert_problem,
    bearer,
    count,
    emails,
    link_token,
    log_in,
    make_customer,
    make_terms,
    new_emails,
    reload,
    snapshot,
)
from tests.factories import bearer_for, make_user

REGISTER = "/api/v1/auth/register"
STUDENT = "/api/v1/auth/register/student"
PASSWORD = "sakura mochi 2026"


def member(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "山田 太郎",
        "email": "taro@example.jp",
        "password": PASSWORD,
        **TERMS,
    } | overrides


def student(**overrides: Any) -> dict[str, Any]:
    return {
        "customer_number": "01234567890",
        "phone": "090-1234-5678",
        "email": "hanako@example.jp",
        "password": PASSWORD,
        **TERMS,
    } | overrides


async def test_r_id_1_registration_records_terms_sends_email_and_signs_in(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any, settings: Settings
) -> None:
    documents = await make_terms(session)
    await freeze_time(T0)

    response = await client.post(REGISTER, json=member(name="　山田 太郎 "))

    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/me"
    body = response.json()
    account = body["account"]
    assert account["name"] == "山田 太郎"  # kept as typed, only trimmed (R-ID-13)
    assert account["email"] == "taro@example.jp"
    assert account["email_verified"] is False
    assert account["role"] == "member" and account["status"] == "active"
    assert account["customer_number"] is None
    assert account["terms"]["needs_terms_acceptance"] is False
    assert body["tokens"]["token_type"] == "bearer"
    assert body["tokens"]["expires_in"] == 15 * 60

    user = await session.scalar(select(User).where(User.email == "taro@example.jp"))
    assert user is not None and user.created_at == T0 and user.locale == "ja"
    accepted = list(
        await session.scalars(select(TermsAcceptance).where(TermsAcceptance.user_id == user.id))
    )
    assert {a.document_id for a in accepted} == {d.id for d in documents}
    assert all(a.accepted_at == T0 for a in accepted)

    (mail,) = await emails(session, "registration_complete")
    assert mail.to_address == "taro@example.jp" and mail.user_id == user.id
    assert "会員登録完了" in mail.subject
    assert f"{settings.frontend_base_url}/verify-email?token=" in mail.body_text
    assert "2026年11月26日 10:00" in mail.body_text  # 48 hours, in JST
    token = await session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert token is not None and token.expires_at == T0 + timedelta(hours=48)
    assert token.token_hash != link_token(mail.body_text, "/verify-email")  # stored as a digest

    audit = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "account.registered")
    )
    assert audit is not None and audit.target_id == str(user.id)

    me = await client.get("/api/v1/me", headers=bearer(body["tokens"]))
    assert me.status_code == 200 and me.json()["id"] == str(user.id)


async def test_r_id_4_password_is_never_stored_in_clear_or_returned(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    response = await client.post(REGISTER, json=member())
    assert response.status_code == 201
    assert PASSWORD not in response.text and "hash" not in response.text
    user = await session.scalar(select(User).where(User.email == "taro@example.jp"))
    assert user is not None
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    for mail in await emails(session):
        assert PASSWORD not in mail.body_text


async def test_r_id_13_email_is_normalized_and_duplicates_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    first = await client.post(REGISTER, json=member(email="ＴＡＲＯ＠Ｅｘａｍｐｌｅ．ＪＰ"))
    assert first.status_code == 201
    assert first.json()["account"]["email"] == "taro@example.jp"

    before = await snapshot(session)
    again = await client.post(REGISTER, json=member(email=" Taro@EXAMPLE.jp "))
    assert_problem(again, 409, "email-already-registered")
    assert await snapshot(session) == before


async def test_r_id_1_registration_follows_accept_language(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    response = await client.post(REGISTER, json=member(), headers={"Accept-Language": "en"})
    assert response.json()["account"]["locale"] == "en"
    (mail,) = await emails(session, "registration_complete")
    assert mail.locale == "en" and "registration is complete" in mail.subject


async def test_r_id_1_outdated_or_missing_terms_are_refused_and_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await snapshot(session)
    assert_problem(await client.post(REGISTER, json=member()), 503, "terms-not-published")
    assert await snapshot(session) == before

    await make_terms(
        session, terms_version="2026-01", privacy_version="2026-01p", effective_on=date(2026, 1, 1)
    )
    await make_terms(session)  # the newer pair is current
    before = await snapshot(session)
    response = await client.post(REGISTER, json=member(terms_version="2026-01"))
    body = assert_problem(response, 409, "terms-version-outdated")
    assert body["current_terms_version"] == TERMS["terms_version"]
    assert body["current_privacy_version"] == TERMS["privacy_version"]
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    ("payload", "status", "type_"),
    [
        pytest.param({}, 422, "validation-error", id="missing fields"),
        pytest.param(member(email=5), 422, "validation-error", id="wrong type"),
        pytest.param(member(email="taro@"), 422, "validation-error", id="not an email"),
        pytest.param(
            member(email="a" * 250 + "@example.jp"), 422, "validation-error", id="email too long"
        ),
        pytest.param(member(name="名" * 101), 422, "validation-error", id="name too long"),
        pytest.param(member(name="　 "), 422, "validation-error", id="blank name"),
        pytest.param(member(password="1234567"), 422, "validation-error", id="password too short"),
        pytest.param(member(password="x" * 129), 422, "validation-error", id="password too long"),
        pytest.param(member(role="admin"), 422, "validation-error", id="unknown field"),
        pytest.param(
            member(password="TARO@example.jp"),
            400,
            "password-policy-violated",
            id="password is the email",
        ),
        pytest.param(
            member(password=" " * 10), 400, "password-policy-violated", id="blank password"
        ),
    ],
)
async def test_r_id_4_bad_registration_input_is_a_problem_and_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    payload: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    await make_terms(session)
    before = await snapshot(session)
    assert_problem(await client.post(REGISTER, json=payload), status, type_)
    assert await snapshot(session) == before


# --- R-ID-2: student-support registration ------------------------------------------------------------


async def test_r_id_2_student_registers_with_customer_number_and_latest_phone(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    await make_customer(session, name="学習 花子")

    response = await client.post(
        STUDENT,
        json=student(customer_number="０１２３４ ５６７８９０", phone="０９０－１２３４－５６７８"),
    )

    assert response.status_code == 201, response.text
    account = response.json()["account"]
    assert account["name"] == "学習 花子"  # from the registry
    assert account["customer_number"] == "01234567890"
    assert await count(session, "audit_event", "action = 'account.student_registered'") == 1
    assert len(await emails(session, "registration_complete")) == 1
    # R-ID-3: the customer number is a login ID from now on (full-width accepted, R-ID-13).
    login = await log_in(client, "０１２３４５６７８９０", PASSWORD)
    assert login.status_code == 200, login.text


async def test_r_id_2_mismatches_are_indistinguishable(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    await make_customer(session)
    wrong_phone = await client.post(STUDENT, json=student(phone="09099999999"))
    not_a_student = await client.post(STUDENT, json=student(customer_number="99999999999"))
    first = assert_problem(wrong_phone, 400, "student-verification-failed")
    second = assert_problem(not_a_student, 400, "student-verification-failed")
    for key in ("type", "title", "detail", "status"):
        assert first[key] == second[key]
    assert await count(session, "user_account") == 0
    # Each failure is kept (keeps_writes) for the throttle and the audit log.
    assert (
        await count(session, "audit_event", "action = 'account.student_verification_failed'") == 2
    )


async def test_r_id_2_one_account_per_customer_number(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    await make_customer(session)
    assert (await client.post(STUDENT, json=student())).status_code == 201
    before = await snapshot(session)
    again = await client.post(STUDENT, json=student(email="other@example.jp"))
    assert_problem(again, 409, "customer-already-registered")
    assert await snapshot(session) == before


async def test_r_id_2_student_email_must_be_free(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    await make_customer(session)
    await make_user(session, email="hanako@example.jp")
    assert_problem(await client.post(STUDENT, json=student()), 409, "email-already-registered")


async def test_r_id_2_failures_are_throttled_per_address(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await make_terms(session)
    await make_customer(session)
    await freeze_time(T0)
    for _ in range(10):
        assert_problem(
            await client.post(STUDENT, json=student(phone="0000000000")),
            400,
            "student-verification-failed",
        )
    before = await snapshot(session)
    locked = await client.post(STUDENT, json=student())  # even the right details
    assert_problem(locked, 429, "student-registration-rate-limited")
    assert locked.headers["retry-after"] == str(15 * 60)
    assert await snapshot(session) == before

    await freeze_time(T0 + timedelta(minutes=15))
    assert (await client.post(STUDENT, json=student())).status_code == 201


def test_r_id_2_housekeeping_never_purges_a_failure_that_still_counts() -> None:
    """Student-verification failures live in `rate_limit_window`, which the daily housekeeping
    purges after RATE_LIMIT_RETENTION; a failure counts for up to a window plus the block it
    completes, which is how far back registration reads. The purge must not reach that far."""
    assert registration.STUDENT_FAILURE_LOOKBACK == 2 * registration.STUDENT_WINDOW
    assert registration.STUDENT_FAILURE_LOOKBACK <= housekeeping.RATE_LIMIT_RETENTION


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(student(customer_number="0123456789"), id="10 digits"),
        pytest.param(student(customer_number="0123456789a"), id="a letter"),
        pytest.param(student(phone="090-CALL-NOW"), id="phone with letters"),
        pytest.param(student(phone=9012345678), id="phone as a number"),
        pytest.param({k: v for k, v in student().items() if k != "phone"}, id="missing phone"),
    ],
)
async def test_r_id_2_r_id_13_malformed_student_input_is_422_and_not_counted(
    client: httpx.AsyncClient, session: AsyncSession, payload: dict[str, Any]
) -> None:
    await make_terms(session)
    await make_customer(session)
    before = await snapshot(session)
    assert_problem(await client.post(STUDENT, json=payload), 422, "validation-error")
    assert await snapshot(session) == before


# --- Email verification -------------------------------------------------------------------------------


async def test_r_id_1_verification_link_confirms_the_email_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    registered = (await client.post(REGISTER, json=member())).json()
    (mail,) = await emails(session, "registration_complete")
    token = link_token(mail.body_text, "/verify-email")

    confirmed = await client.post("/api/v1/auth/email-verification/confirm", json={"token": token})
    assert confirmed.status_code == 204
    me = await client.get("/api/v1/me", headers=bearer(registered["tokens"]))
    assert me.json()["email_verified"] is True

    before = await snapshot(session)
    again = await client.post("/api/v1/auth/email-verification/confirm", json={"token": token})
    assert_problem(again, 400, "verification-token-invalid")
    assert await snapshot(session) == before


async def test_r_id_1_verification_link_expires(
    client: httpx.AsyncClient, session: AsyncSession, freeze_time: Any
) -> None:
    await make_terms(session)
    await freeze_time(T0)
    await client.post(REGISTER, json=member())
    (mail,) = await emails(session, "registration_complete")
    await freeze_time(T0 + timedelta(hours=48))
    before = await snapshot(session)
    response = await client.post(
        "/api/v1/auth/email-verification/confirm",
        json={"token": link_token(mail.body_text, "/verify-email")},
    )
    assert_problem(response, 400, "verification-token-invalid")
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    ("payload", "status", "type_"),
    [
        ({}, 422, "validation-error"),
        ({"token": 12}, 422, "validation-error"),
        ({"token": "x" * 201}, 422, "validation-error"),
        ({"token": "unknown"}, 400, "verification-token-invalid"),
    ],
)
async def test_r_id_1_bad_verification_tokens_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    payload: dict[str, Any],
    status: int,
    type_: str,
) -> None:
    before = await snapshot(session)
    response = await client.post("/api/v1/auth/email-verification/confirm", json=payload)
    assert_problem(response, status, type_)
    assert await snapshot(session) == before


async def test_r_id_1_resend_verification_retires_the_old_link(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, verified=False)
    headers = await bearer_for(session, user, settings)
    await session.commit()
    first = await client.post("/api/v1/me/email-verification", headers=headers)
    (old,) = await emails(session, "email_verification")
    second = await client.post("/api/v1/me/email-verification", headers=headers)
    (new,) = await new_emails(session, {old.id}, "email_verification")
    assert first.status_code == second.status_code == 202
    assert first.json() == {"status": "sent"}
    assert old.to_address == user.email
    stale = await client.post(
        "/api/v1/auth/email-verification/confirm",
        json={"token": link_token(old.body_text, "/verify-email")},
    )
    assert_problem(stale, 400, "verification-token-invalid")
    fresh = await client.post(
        "/api/v1/auth/email-verification/confirm",
        json={"token": link_token(new.body_text, "/verify-email")},
    )
    assert fresh.status_code == 204
    assert (await reload(session, user.id)).email_verified_at is not None

    # Already verified: a no-op 202.
    before = await snapshot(session)
    done = await client.post("/api/v1/me/email-verification", headers=headers)
    assert done.status_code == 202 and done.json() == {"status": "already_verified"}
    assert await snapshot(session) == before


async def test_r_id_7_registration_session_is_a_real_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_terms(session)
    tokens = (await client.post(REGISTER, json=member())).json()["tokens"]
    login = await session.scalar(select(AuthSession))
    assert login is not None and login.user_agent is not None
    stored = await session.scalar(select(RefreshToken))
    assert stored is not None and stored.token_hash != tokens["refresh_token"]
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
