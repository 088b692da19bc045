"""The points ledger (R-REF-10): staff and campaign grants (audited, R-ID-12), expiry through the
end of the JST day, the member's balance and history with cursor paging."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.models import AuditEvent, PointGrant, Role
from tests.payments.purchases.shop import Shop, jst


def grants_path(user_id: object) -> str:
    return f"/api/v1/admin/users/{user_id}/point-grants"


async def test_r_id_12_staff_grant_points_with_a_reason_audited(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    staff_user, staff = await shop.person(Role.staff)

    response = await shop.client.post(
        grants_path(member.id),
        json={"amount": 500, "expires_on": "2027-05-31", "reason": "お詫びポイント"},
        headers=staff,
    )

    assert response.status_code == 201, response.text
    grant = response.json()
    assert (grant["amount"], grant["remaining"], grant["source"]) == (500, 500, "staff")
    event = (
        await shop.session.scalars(select(AuditEvent).where(AuditEvent.action == "points.granted"))
    ).one()
    assert event.actor_user_id == staff_user.id and event.target_id == grant["id"]
    assert event.data["reason"] == "お詫びポイント" and event.data["amount"] == 500
    balance = await shop.points(headers)
    assert (balance["usable_points"], balance["next_expiry_on"]) == (500, "2027-05-31")
    ledger = (await shop.client.get("/api/v1/me/points/ledger", headers=headers)).json()
    assert [(e["kind"], e["points"]) for e in ledger["items"]] == [("granted", 500)]


async def test_campaign_grants_carry_their_code(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, _ = await shop.person()
    _, staff = await shop.person(Role.staff)
    body = {
        "amount": 300,
        "expires_on": "2027-01-31",
        "reason": "年末キャンペーン",
        "source": "campaign",
    }

    missing = await shop.client.post(grants_path(member.id), json=body, headers=staff)
    assert missing.status_code == 400 and missing.json()["type"] == "point-grant-invalid"
    assert missing.json()["errors"] == {"body.campaign_code": ["required_for_campaign"]}

    ok = await shop.client.post(
        grants_path(member.id), json={**body, "campaign_code": "YEAR-END-2026"}, headers=staff
    )
    assert ok.status_code == 201 and ok.json()["campaign_code"] == "YEAR-END-2026"


async def test_refused_grants_change_nothing(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, member_headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    past = await shop.client.post(
        grants_path(member.id),
        json={"amount": 100, "expires_on": "2026-11-30", "reason": "x"},
        headers=staff,
    )
    assert past.status_code == 400 and past.json()["errors"] == {
        "body.expires_on": ["must_be_today_or_later"]
    }
    unknown = await shop.client.post(
        grants_path("00000000-0000-4000-8000-000000000000"),
        json={"amount": 100, "expires_on": "2026-12-31", "reason": "x"},
        headers=staff,
    )
    assert unknown.status_code == 404
    by_member = await shop.client.post(
        grants_path(member.id),
        json={"amount": 100, "expires_on": "2026-12-31", "reason": "x"},
        headers=member_headers,
    )
    assert by_member.status_code == 403
    zero = await shop.client.post(
        grants_path(member.id),
        json={"amount": 0, "expires_on": "2026-12-31", "reason": "x"},
        headers=staff,
    )
    assert zero.status_code == 422
    assert await shop.session.scalar(select(func.count()).select_from(PointGrant)) == 0


async def test_a_retried_grant_with_the_same_key_grants_once(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    body = {"amount": 100, "expires_on": "2026-12-31", "reason": "x"}
    keyed = {**staff, "Idempotency-Key": "grant-1"}
    first = await shop.client.post(grants_path(member.id), json=body, headers=keyed)
    again = await shop.client.post(grants_path(member.id), json=body, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert (await shop.points(headers))["usable_points"] == 100


async def test_r_ref_10_points_are_usable_through_the_end_of_their_expiry_day(shop: Shop) -> None:
    await shop.at(jst(2026, 12, 1))
    member, headers = await shop.person()
    await shop.give_points(member, 200, date(2026, 12, 31))
    await shop.give_points(member, 300, date(2027, 1, 31))

    await shop.at(jst(2026, 12, 31, 23, 59))
    last_day = await shop.points(headers)
    assert (last_day["usable_points"], last_day["next_expiry_on"]) == (500, "2026-12-31")
    assert last_day["next_expiry_points"] == 200

    await shop.at(jst(2027, 1, 1, 0, 0))
    next_day = await shop.points(headers)
    assert (next_day["usable_points"], next_day["next_expiry_on"]) == (300, "2027-01-31")


async def test_ledger_pages_newest_first_with_a_cursor(shop: Shop) -> None:
    member, headers = await shop.person()
    _, staff = await shop.person(Role.staff)
    for day in (1, 2, 3):
        await shop.at(jst(2026, 12, day))
        await shop.give_points(member, day * 100, date(2027, 12, 31))

    first = (await shop.client.get("/api/v1/me/points/ledger?limit=2", headers=headers)).json()
    assert [e["points"] for e in first["items"]] == [300, 200]
    second = (
        await shop.client.get(
            f"/api/v1/me/points/ledger?limit=2&cursor={first['next_cursor']}", headers=headers
        )
    ).json()
    assert [e["points"] for e in second["items"]] == [100] and second["next_cursor"] is None

    staff_ledger = await shop.client.get(
        f"/api/v1/admin/users/{member.id}/point-ledger", headers=staff
    )
    assert [e["points"] for e in staff_ledger.json()["items"]] == [300, 200, 100]
    staff_balance = await shop.client.get(f"/api/v1/admin/users/{member.id}/points", headers=staff)
    assert staff_balance.json()["usable_points"] == 600
    forbidden = await shop.client.get(f"/api/v1/admin/users/{member.id}/points", headers=headers)
    assert forbidden.status_code == 403
