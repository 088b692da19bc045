"""GET /admin/audit-events (R-ID-12): admin only, filters, newest first, cursor on the bigint id;
and every audited admin action leaves its row with actor and target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.config import Settings
from app.models import Role
from tests.admin import API, person
from tests.factories import make_organization, make_user

URL = f"{API}/admin/audit-events"


async def test_r_id_12_audit_log_is_admin_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, staff = await person(session, settings, Role.staff)
    await session.commit()
    response = await client.get(URL, headers=staff)
    assert (response.status_code, response.json()["type"]) == (403, "role-not-allowed")


async def test_r_id_12_filters_newest_first_and_cursor_pages(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin, headers = await person(session, settings, Role.admin)
    other = await make_user(session, role=Role.staff)
    base = datetime(2027, 1, 1, tzinfo=UTC)
    events = []
    for index in range(5):
        events.append(
            await record_audit_event(
                session,
                action="account.suspended" if index % 2 == 0 else "api_key.created",
                now=base + timedelta(hours=index),
                actor_user_id=admin.id if index < 4 else other.id,
                target_type="user",
                target_id=f"target-{index}",
                data={"index": index},
            )
        )
    await session.commit()

    everything = (await client.get(URL, params={"limit": 100}, headers=headers)).json()
    ids = [item["id"] for item in everything["items"]]
    assert ids == sorted(ids, reverse=True)
    assert ids[:5] == [event.id for event in reversed(events)]

    suspended = (
        await client.get(URL, params={"action": "account.suspended"}, headers=headers)
    ).json()
    assert [i["data"]["index"] for i in suspended["items"]] == [4, 2, 0]
    by_actor = (
        await client.get(URL, params={"actor_user_id": str(other.id)}, headers=headers)
    ).json()
    assert [i["data"]["index"] for i in by_actor["items"]] == [4]
    by_target = (
        await client.get(
            URL, params={"target_type": "user", "target_id": "target-3"}, headers=headers
        )
    ).json()
    assert [i["data"]["index"] for i in by_target["items"]] == [3]
    window = (
        await client.get(
            URL,
            params={"from": "2027-01-01T10:00:00+09:00", "to": "2027-01-01T12:00:00+09:00"},
            headers=headers,
        )
    ).json()
    assert [i["data"]["index"] for i in window["items"]] == [2, 1]  # from inclusive, to exclusive

    seen = []
    params: dict[str, str] = {"limit": "2", "target_type": "user"}
    while True:
        page = (await client.get(URL, params=params, headers=headers)).json()
        seen += [i["data"]["index"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [4, 3, 2, 1, 0]

    naive = await client.get(URL, params={"from": "2027-01-01T10:00:00"}, headers=headers)
    assert naive.status_code == 422


async def test_r_id_12_every_admin_action_is_audited_with_actor_and_target(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, freeze_time
) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2027, 2, 1, 0, 0, tzinfo=UTC)
    await freeze_time(now)
    admin, headers = await person(session, settings, Role.admin, now=now)
    member = await make_user(session)
    organization = await make_organization(session)
    await session.commit()
    user_url = f"{API}/admin/users/{member.id}"

    actions = [
        ("POST", f"{API}/admin/organizations", {"name": "監査株式会社"}),
        ("POST", f"{user_url}/suspension", {"reason": "r"}),
        ("DELETE", f"{user_url}/suspension", None),
        ("PUT", f"{user_url}/role", {"role": "grader"}),
        ("PATCH", user_url, {"organization_id": str(organization.id)}),
        ("POST", f"{user_url}/withdrawal", {"reason": "r"}),
        ("POST", f"{API}/admin/users", {"email": "n@example.jp", "name": "n", "role": "staff"}),
        ("POST", f"{API}/admin/api-keys", {"name": "k", "scopes": ["users:read"]}),
        (
            "POST",
            f"{API}/admin/terms",
            {
                "kind": "privacy",
                "version": "9",
                "effective_on": "2027-02-01",
                "title": "t",
                "body": "b",
            },
        ),
    ]
    for method, url, body in actions:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code < 300, (url, response.text)
    key_id = (await client.get(f"{API}/admin/api-keys", headers=headers)).json()["items"][0]["id"]
    assert (
        await client.delete(f"{API}/admin/api-keys/{key_id}", headers=headers)
    ).status_code == 204
    csv = "customer_number,name,phone,recorded_on\n01234567890,x,0311112222,2027-01-01\n"
    imported = await client.post(
        f"{API}/admin/customer-records/import",
        files={"file": ("c.csv", csv.encode(), "text/csv")},
        headers=headers,
    )
    assert imported.status_code == 200

    log = (await client.get(URL, params={"limit": 100}, headers=headers)).json()["items"]
    by_action = {item["action"]: item for item in log}
    assert set(by_action) == {
        "organization.created",
        "account.suspended",
        "account.reinstated",
        "account.role_changed",
        "account.organization_changed",
        "account.withdrawn",
        "account.created",
        "api_key.created",
        "api_key.revoked",
        "terms.published",
        "customer_records.imported",
    }
    for item in log:
        assert item["actor_user_id"] == str(admin.id)
        assert datetime.fromisoformat(item["occurred_at"]) == now
        assert item["ip_address"]
        assert item["request_id"]
    for action in (
        "account.suspended",
        "account.reinstated",
        "account.role_changed",
        "account.withdrawn",
        "account.organization_changed",
    ):
        assert (by_action[action]["target_type"], by_action[action]["target_id"]) == (
            "user",
            str(member.id),
        )
    assert by_action["api_key.revoked"]["target_id"] == key_id
