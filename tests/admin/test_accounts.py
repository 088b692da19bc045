"""Accounts admin: find, create, suspend, reinstate, withdraw, change role (R-ID-9, R-ID-12,
R-ID-13)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit import security
from app.models import AccountStatus, AccountToken, EmailOutbox, Role, User
from tests.admin import API, audit_rows, open_sessions, person
from tests.factories import bearer_for, make_organization, make_user


async def count_live_tokens(session: AsyncSession, user: User) -> int:
    tokens = await session.scalars(
        select(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .execution_options(populate_existing=True)
    )
    return len(list(tokens))


async def test_r_id_12_list_users_filters_and_never_shows_password_hashes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, staff = await person(session, settings, Role.staff)
    organization = await make_organization(session)
    await make_user(session, email="hanako@example.jp", customer_number="01234567890")
    await make_user(session, role=Role.org_admin, organization_id=organization.id)
    await make_user(session, status=AccountStatus.suspended)
    await session.commit()

    everyone = await client.get(f"{API}/admin/users", headers=staff)
    assert everyone.status_code == 200
    assert "password_hash" not in everyone.text
    assert all("password" not in key for item in everyone.json()["items"] for key in item)

    by_role = (await client.get(f"{API}/admin/users?role=org_admin", headers=staff)).json()
    assert [u["role"] for u in by_role["items"]] == ["org_admin"]
    by_status = (await client.get(f"{API}/admin/users?status=suspended", headers=staff)).json()
    assert [u["status"] for u in by_status["items"]] == ["suspended"]
    by_org = (
        await client.get(f"{API}/admin/users?organization_id={organization.id}", headers=staff)
    ).json()
    assert [u["organization_id"] for u in by_org["items"]] == [str(organization.id)]


async def test_r_id_13_search_normalizes_full_width_customer_numbers_and_emails(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, staff = await person(session, settings, Role.staff)
    member = await make_user(session, email="hanako@example.jp", customer_number="01234567890")
    await make_user(session, email="taro@example.jp", customer_number="09999999999")
    await session.commit()

    for q in ["０１２３４５６７８９０", "0123-4567-890", "01234", "ＨＡＮＡＫＯ@", "hanako"]:
        found = await client.get(f"{API}/admin/users", params={"q": q}, headers=staff)
        assert found.status_code == 200, q
        assert [u["id"] for u in found.json()["items"]] == [str(member.id)], q
    # LIKE wildcards in q are literal characters, not patterns.
    none = await client.get(f"{API}/admin/users", params={"q": "%"}, headers=staff)
    assert none.json()["items"] == []


async def test_list_users_is_cursor_paginated_newest_first(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, staff = await person(session, settings, Role.staff)
    for _ in range(4):
        await make_user(session, role=Role.grader)
    await session.commit()
    seen: list[str] = []
    cursor = None
    while True:
        params = {"role": "grader", "limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{API}/admin/users", params=params, headers=staff)).json()
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4


async def test_get_user_and_unknown_user_is_404(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, staff = await person(session, settings, Role.staff)
    member = await make_user(session)
    await session.commit()
    found = await client.get(f"{API}/admin/users/{member.id}", headers=staff)
    assert found.status_code == 200
    assert found.json()["email"] == member.email
    malformed = await client.get(f"{API}/admin/users/not-a-uuid", headers=staff)
    assert malformed.status_code == 422
    unknown = await client.get(
        f"{API}/admin/users/00000000-0000-4000-8000-000000000000", headers=staff
    )
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "user-not-found"


async def test_r_id_12_admin_creates_a_staff_account_with_a_one_time_initial_password(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin, headers = await person(session, settings, Role.admin)
    await session.commit()
    response = await client.post(
        f"{API}/admin/users",
        json={"email": "ＳＵＺＵＫＩ@Example.JP", "name": "鈴木 一郎", "role": "staff"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{API}/admin/users/{body['id']}"
    assert body["email"] == "suzuki@example.jp"  # R-ID-13
    assert body["role"] == "staff"
    assert "password_hash" not in body
    password = body["initial_password"]
    assert len(password) >= 16

    stored = await session.scalar(select(User).where(User.id == body["id"]))
    assert stored is not None
    assert stored.password_hash != password
    assert await security.verify_password(password, stored.password_hash)
    # Shown once: reading the account again never returns it.
    again = await client.get(response.headers["location"], headers=headers)
    assert "initial_password" not in again.json()

    [event] = await audit_rows(session, "account.created")
    assert event.actor_user_id == admin.id
    assert event.target_id == body["id"]
    assert password not in str(event.data)


async def test_create_user_refusals(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, admin = await person(session, settings, Role.admin)
    _, staff = await person(session, settings, Role.staff)
    taken = await make_user(session, email="taken@example.jp")
    await session.commit()
    url = f"{API}/admin/users"

    by_staff = await client.post(
        url, json={"email": "a@example.jp", "name": "a", "role": "grader"}, headers=staff
    )
    assert by_staff.status_code == 403
    assert by_staff.json()["type"] == "role-not-allowed"

    duplicate = await client.post(
        url, json={"email": "TAKEN@example.jp", "name": "x", "role": "grader"}, headers=admin
    )
    assert duplicate.status_code == 409
    # One problem type for "this address has an account" everywhere (registration included).
    assert duplicate.json()["type"] == "email-already-registered"
    assert taken.email == "taken@example.jp"

    no_org = await client.post(
        url, json={"email": "oa@example.jp", "name": "x", "role": "org_admin"}, headers=admin
    )
    assert no_org.status_code == 400
    assert no_org.json()["type"] == "org-admin-needs-organization"

    unknown_org = await client.post(
        url,
        json={
            "email": "oa@example.jp",
            "name": "x",
            "role": "org_admin",
            "organization_id": "00000000-0000-4000-8000-000000000000",
        },
        headers=admin,
    )
    assert unknown_org.status_code == 404
    assert unknown_org.json()["type"] == "organization-not-found"

    member_role = await client.post(
        url, json={"email": "m@example.jp", "name": "x", "role": "member"}, headers=admin
    )
    assert member_role.status_code == 422  # members register themselves


async def test_r_id_9_suspension_ends_existing_tokens_at_once_and_refuses_new_sessions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """The suspended person's next request with a previously valid bearer fails; a session
    minted afterwards (what a login would hand out) is refused by the authenticator too."""
    staff, staff_headers = await person(session, settings, Role.staff)
    # A staff account as the target: its token has an operation to succeed on before.
    target, target_headers = await person(session, settings, Role.staff, name="違反 太郎")
    await bearer_for(session, target, settings)  # a second device
    await session.commit()
    assert (await client.get(f"{API}/admin/users", headers=target_headers)).status_code == 200
    assert await open_sessions(session, target.id) == 2

    response = await client.post(
        f"{API}/admin/users/{target.id}/suspension",
        json={"reason": "  規約第6条違反(誹謗中傷)  "},
        headers=staff_headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "suspended"
    assert body["status_reason"] == "規約第6条違反(誹謗中傷)"

    after = await client.get(f"{API}/admin/users", headers=target_headers)
    assert after.status_code == 401
    assert after.json()["type"] == "invalid-access-token"
    assert await open_sessions(session, target.id) == 0
    await session.refresh(target)
    fresh = await bearer_for(session, target, settings)
    await session.commit()
    refused = await client.get(f"{API}/admin/users", headers=fresh)
    assert refused.status_code == 403
    assert refused.json()["type"] == "account-not-active"

    [email] = list(
        await session.scalars(select(EmailOutbox).where(EmailOutbox.user_id == target.id))
    )
    assert email.template == "account_suspended"
    assert email.to_address == target.email
    assert "違反 太郎" in email.body_text
    assert "規約第6条違反(誹謗中傷)" in email.body_text
    [event] = await audit_rows(session, "account.suspended")
    assert (event.actor_user_id, event.target_type, event.target_id) == (
        staff.id,
        "user",
        str(target.id),
    )
    assert event.data["reason"] == "規約第6条違反(誹謗中傷)"


async def test_r_id_9_suspension_guards(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    staff, staff_headers = await person(session, settings, Role.staff)
    admin, admin_headers = await person(session, settings, Role.admin)
    other_admin = await make_user(session, role=Role.admin)
    suspended = await make_user(session, status=AccountStatus.suspended)
    await session.commit()

    def suspend(user_id: object, headers: dict[str, str]):  # type: ignore[no-untyped-def]
        return client.post(
            f"{API}/admin/users/{user_id}/suspension", json={"reason": "x"}, headers=headers
        )

    self_ = await suspend(staff.id, staff_headers)
    assert (self_.status_code, self_.json()["type"]) == (403, "cannot-act-on-self")
    self_admin = await suspend(admin.id, admin_headers)
    assert (self_admin.status_code, self_admin.json()["type"]) == (403, "cannot-act-on-self")
    staff_on_admin = await suspend(other_admin.id, staff_headers)
    assert (staff_on_admin.status_code, staff_on_admin.json()["type"]) == (
        403,
        "target-requires-admin",
    )
    again = await suspend(suspended.id, staff_headers)
    assert (again.status_code, again.json()["type"]) == (409, "account-status-conflict")
    unknown = await suspend("00000000-0000-4000-8000-000000000000", staff_headers)
    assert unknown.status_code == 404
    assert await audit_rows(session, "account.suspended") == []

    admin_on_admin = await suspend(other_admin.id, admin_headers)
    assert admin_on_admin.status_code == 200


async def test_r_id_9_reinstatement_is_audited_and_old_sessions_stay_ended(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    staff, staff_headers = await person(session, settings, Role.staff)
    target, target_headers = await person(session, settings, Role.staff)
    await session.commit()
    url = f"{API}/admin/users/{target.id}/suspension"
    assert (
        await client.post(url, json={"reason": "spam"}, headers=staff_headers)
    ).status_code == 200

    lifted = await client.delete(url, headers=staff_headers)
    assert lifted.status_code == 204
    await session.refresh(target)
    assert target.status is AccountStatus.active
    assert target.status_reason is None
    [event] = await audit_rows(session, "account.reinstated")
    assert (event.actor_user_id, event.target_id) == (staff.id, str(target.id))
    assert event.data == {"suspension_reason": "spam"}
    # The token from before the suspension stays dead; a new login works.
    old = await client.get(f"{API}/admin/users", headers=target_headers)
    assert old.status_code == 401
    fresh = await bearer_for(session, target, settings)
    await session.commit()
    assert (await client.get(f"{API}/admin/users", headers=fresh)).status_code == 200

    not_suspended = await client.delete(url, headers=staff_headers)
    assert (not_suspended.status_code, not_suspended.json()["type"]) == (
        409,
        "account-status-conflict",
    )


async def test_r_id_9_staff_initiated_withdrawal(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    staff, staff_headers = await person(session, settings, Role.staff)
    member, member_headers = await person(session, settings, Role.org_admin)
    await session.commit()
    url = f"{API}/admin/users/{member.id}/withdrawal"
    before = await client.get(f"{API}/me/organization/api-keys", headers=member_headers)
    assert before.json()["type"] == "organization-required"  # signed in, just no organization

    response = await client.post(url, json={"reason": "郵送で退会届を受領"}, headers=staff_headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    after = await client.get(f"{API}/me/organization/api-keys", headers=member_headers)
    assert after.status_code == 401
    assert await open_sessions(session, member.id) == 0
    [email] = list(
        await session.scalars(select(EmailOutbox).where(EmailOutbox.user_id == member.id))
    )
    # Not an individual member: no online way back, the email says whom to ask.
    assert email.template == "account_withdrawn_managed"
    assert "/rejoin" not in email.body_text
    [event] = await audit_rows(session, "account.withdrawn")
    assert (event.actor_user_id, event.target_id) == (staff.id, str(member.id))
    assert event.data == {
        "by": "staff",
        "reason": "郵送で退会届を受領",
        "previous_status": "active",
    }

    twice = await client.post(url, json={"reason": "x"}, headers=staff_headers)
    assert twice.status_code == 409
    self_ = await client.post(
        f"{API}/admin/users/{staff.id}/withdrawal", json={"reason": "x"}, headers=staff_headers
    )
    assert self_.json()["type"] == "cannot-act-on-self"


async def _reset_link(client: httpx.AsyncClient, session: AsyncSession, user: User) -> str:
    """Ask for a password reset for `user` and return the emailed token."""
    assert (
        await client.post(f"{API}/auth/password-reset", json={"email": user.email})
    ).status_code == 202
    mail = await session.scalar(
        select(EmailOutbox).where(
            EmailOutbox.user_id == user.id, EmailOutbox.template == "password_reset"
        )
    )
    assert mail is not None
    return mail.body_text.split("token=")[1].split()[0]


async def test_r_id_9_staff_withdrawal_retires_every_emailed_link(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """Like the member's own withdrawal: an outstanding reset (or email change) link dies, so it
    cannot outlive the account's closing, nor come back to life when the member rejoins."""
    _, staff_headers = await person(session, settings, Role.staff)
    member = await make_user(session)
    await session.commit()
    await _reset_link(client, session, member)
    assert await count_live_tokens(session, member) == 1

    response = await client.post(
        f"{API}/admin/users/{member.id}/withdrawal", json={"reason": "電話"}, headers=staff_headers
    )

    assert response.status_code == 200, response.text
    assert await count_live_tokens(session, member) == 0
    [email] = list(
        await session.scalars(
            select(EmailOutbox).where(
                EmailOutbox.user_id == member.id, EmailOutbox.template != "password_reset"
            )
        )
    )
    assert email.template == "account_withdrawn"  # an individual member: the rejoin page
    assert f"{settings.frontend_base_url}/rejoin" in email.body_text


async def test_r_id_9_a_reset_link_does_not_survive_a_suspension(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, staff_headers = await person(session, settings, Role.staff)
    member = await make_user(session)
    await session.commit()
    token = await _reset_link(client, session, member)
    url = f"{API}/admin/users/{member.id}/suspension"
    assert (
        await client.post(url, json={"reason": "spam"}, headers=staff_headers)
    ).status_code == 200
    assert (await client.delete(url, headers=staff_headers)).status_code == 204

    confirm = await client.post(
        f"{API}/auth/password-reset/confirm",
        json={"token": token, "new_password": "a brand new passphrase"},
    )

    assert confirm.status_code == 400
    assert confirm.json()["type"] == "reset-token-invalid"


async def test_r_id_12_role_change_is_admin_only_and_audited_with_old_and_new(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin, admin_headers = await person(session, settings, Role.admin)
    _, staff_headers = await person(session, settings, Role.staff)
    member, member_headers = await person(session, settings, Role.member)
    await session.commit()
    url = f"{API}/admin/users/{member.id}/role"

    by_staff = await client.put(url, json={"role": "staff"}, headers=staff_headers)
    assert (by_staff.status_code, by_staff.json()["type"]) == (403, "role-not-allowed")

    promoted = await client.put(url, json={"role": "grader"}, headers=admin_headers)
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "grader"
    [event] = await audit_rows(session, "account.role_changed")
    assert event.actor_user_id == admin.id
    assert event.target_id == str(member.id)
    assert event.data == {"old_role": "member", "new_role": "grader"}

    same = await client.put(url, json={"role": "grader"}, headers=admin_headers)
    assert same.status_code == 200
    assert len(await audit_rows(session, "account.role_changed")) == 1

    # The new role applies on the very next request with the same token.
    as_grader = await client.get(f"{API}/admin/users", headers=member_headers)
    assert as_grader.status_code == 403
    await client.put(url, json={"role": "staff"}, headers=admin_headers)
    assert (await client.get(f"{API}/admin/users", headers=member_headers)).status_code == 200

    org_admin_without_org = await client.put(url, json={"role": "org_admin"}, headers=admin_headers)
    assert org_admin_without_org.json()["type"] == "org-admin-needs-organization"


async def test_r_id_12_the_last_admin_cannot_demote_themself(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI
) -> None:
    admin, headers = await person(session, settings, Role.admin)
    # A suspended admin does not count as someone who can still administer.
    await make_user(session, role=Role.admin, status=AccountStatus.suspended)
    await session.commit()
    url = f"{API}/admin/users/{admin.id}/role"
    refused = await client.put(url, json={"role": "staff"}, headers=headers)
    assert (refused.status_code, refused.json()["type"]) == (409, "last-admin")
    await session.refresh(admin)
    assert admin.role is Role.admin

    second = await make_user(session, role=Role.admin)
    await session.commit()
    allowed = await client.put(url, json={"role": "staff"}, headers=headers)
    assert allowed.status_code == 200
    # Now `second` is the last one.
    second_headers = await bearer_for(session, second, settings)
    await session.commit()
    last = await client.put(
        f"{API}/admin/users/{second.id}/role", json={"role": "member"}, headers=second_headers
    )
    assert last.json()["type"] == "last-admin"


async def test_r_b2b_1_admin_links_a_user_to_an_organization(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, headers = await person(session, settings, Role.admin)
    organization = await make_organization(session)
    member = await make_user(session)
    await session.commit()
    url = f"{API}/admin/users/{member.id}"

    linked = await client.patch(
        url, json={"organization_id": str(organization.id)}, headers=headers
    )
    assert linked.status_code == 200
    assert linked.json()["organization_id"] == str(organization.id)
    [event] = await audit_rows(session, "account.organization_changed")
    assert event.data["new_organization_id"] == str(organization.id)

    untouched = await client.patch(url, json={}, headers=headers)
    assert untouched.json()["organization_id"] == str(organization.id)
    detached = await client.patch(url, json={"organization_id": None}, headers=headers)
    assert detached.json()["organization_id"] is None
    unknown = await client.patch(
        url, json={"organization_id": "00000000-0000-4000-8000-000000000000"}, headers=headers
    )
    assert unknown.json()["type"] == "organization-not-found"


async def test_suspension_time_comes_from_the_app_clock(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time
) -> None:  # type: ignore[no-untyped-def]
    at = datetime(2027, 4, 1, 1, 0, tzinfo=UTC)
    await freeze_time(at)
    _, staff_headers = await person(session, settings, Role.staff, now=at)
    member = await make_user(session)
    await session.commit()
    response = await client.post(
        f"{API}/admin/users/{member.id}/suspension", json={"reason": "x"}, headers=staff_headers
    )
    assert datetime.fromisoformat(response.json()["status_changed_at"]) == at
    [event] = await audit_rows(session, "account.suspended")
    assert event.occurred_at == at


async def _wait_for_lock_waiters(maker: async_sessionmaker[AsyncSession], expected: int) -> None:
    """Until `expected` other backends of this database wait for a lock (at most 10 s)."""
    async with maker() as probe, asyncio.timeout(10):
        while True:
            waiting = await probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            )
            await probe.rollback()  # a fresh snapshot of pg_stat_activity next time
            if waiting == expected:
                return
            await asyncio.sleep(0.02)


async def test_r_id_12_two_admins_demoting_each_other_at_once_leave_one_admin(
    committing_client: httpx.AsyncClient,
    committing_sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """The active admins are locked before counting: of two crossing demotions one wins, the
    other sees the result and is refused as the last admin.

    Both requests must be past authentication before either counts, or the later one is simply
    refused as no longer an admin (403) and the lock is never exercised (this test used to flake
    that way). So a third transaction holds the admins' rows while both requests start; once both
    wait for those locks, it lets go and they race for real."""
    async with committing_sessionmaker() as session:
        first = await make_user(session, role=Role.admin)
        second = await make_user(session, role=Role.admin)
        first_headers = await bearer_for(session, first, settings)
        second_headers = await bearer_for(session, second, settings)
        await session.commit()

    async with committing_sessionmaker() as blocker:
        await blocker.execute(
            select(User.id).where(User.id.in_([first.id, second.id])).with_for_update()
        )
        requests = asyncio.gather(
            committing_client.put(
                f"{API}/admin/users/{second.id}/role", json={"role": "staff"}, headers=first_headers
            ),
            committing_client.put(
                f"{API}/admin/users/{first.id}/role", json={"role": "staff"}, headers=second_headers
            ),
        )
        try:
            await _wait_for_lock_waiters(committing_sessionmaker, 2)
        finally:
            await blocker.rollback()
            responses = await requests

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {"last-admin"}
    async with committing_sessionmaker() as session:
        admins = await session.scalars(select(User).where(User.role == Role.admin))
        assert len(list(admins)) == 1
