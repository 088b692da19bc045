"""Sign-up, trial, cancellation and resumption through the API (R-SUB-1 … R-SUB-6, R-SUB-10)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import Base, Role
from app.models.payment import PaymentOrder, Subscription, SubscriptionCharge
from tests.factories import make_organization
from tests.payments.subscriptions.conftest import SUBSCRIPTION, Paying, jst


async def test_r_sub_2_trial_counts_signup_day_and_first_charge_is_day_8(paying: Paying) -> None:
    _, headers = await paying.member()
    # Sign-up at 00:00 JST on Dec 25: the 31st is the last trial day, Jan 1 the first charge.
    body = await paying.sign_up(headers, jst(2026, 12, 25, 0, 0))
    assert body["signup_on"] == "2026-12-25"
    assert body["trial_end_on"] == "2026-12-31"
    assert body["next_renewal_on"] == "2027-01-01"
    assert await paying.bill(jst(2026, 12, 31, 23, 59)) == {"noticed": 1}
    assert await paying.bill(jst(2027, 1, 1, 0, 0)) == {"charged": 1}
    assert (await paying.status(headers))["next_renewal_on"] == "2027-02-01"


async def test_r_sub_2_signup_late_evening_utc_is_the_next_jst_day(paying: Paying) -> None:
    _, headers = await paying.member()
    body = await paying.sign_up(headers, jst(2027, 2, 22, 0, 30))  # 2027-02-21 15:30 UTC
    assert body["signup_on"] == "2027-02-22"
    assert body["next_renewal_on"] == "2027-03-01"


async def test_r_sub_4_cancel_in_trial_is_never_charged_and_ends_after_day_7(
    paying: Paying,
) -> None:
    user, headers = await paying.member()
    await paying.sign_up(headers, jst(2027, 3, 10))
    await paying.at(jst(2027, 3, 16, 22))  # D+6, the last trial day
    cancel = await paying.client.post(f"{SUBSCRIPTION}/cancel", headers=headers)
    assert cancel.status_code == 200, cancel.text
    body = cancel.json()
    assert body["status"] == "trialing" and body["cancel_at_period_end"] is True
    assert body["access_until_on"] == "2027-03-16"
    assert body["next_renewal_on"] is None and body["next_amount_jpy"] is None
    assert body["has_access"] is True
    # A second cancellation is refused and changes nothing.
    again = await paying.client.post(f"{SUBSCRIPTION}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["type"] == "subscription-not-cancelable"

    assert await paying.bill(jst(2027, 3, 16, 23, 59)) == {}
    assert await paying.bill(jst(2027, 3, 17, 0, 1)) == {"ended": 1}
    status = await paying.status(headers)
    assert status["status"] == "canceled" and status["has_access"] is False
    assert status["ended_on"] == "2027-03-16"
    orders = await paying.session.scalar(
        select(func.count()).select_from(PaymentOrder).where(PaymentOrder.user_id == user.id)
    )
    assert orders == 0
    assert "subscription_canceled" in await paying.emails(user)
    # Access is gone: resume is refused.
    resume = await paying.client.post(f"{SUBSCRIPTION}/resume", headers=headers)
    assert resume.status_code == 409 and resume.json()["type"] == "subscription-not-resumable"


async def test_r_sub_6_resume_before_access_ends_without_a_new_charge(paying: Paying) -> None:
    _, headers = await paying.member()
    await paying.sign_up(headers, jst(2027, 1, 5))
    assert await paying.bill(jst(2027, 1, 12, 0, 5)) == {"charged": 1}
    await paying.at(jst(2027, 2, 11, 23, 59))  # the day before the next renewal (Feb 12)
    assert (await paying.client.post(f"{SUBSCRIPTION}/cancel", headers=headers)).json()[
        "access_until_on"
    ] == "2027-02-11"
    resumed = await paying.client.post(f"{SUBSCRIPTION}/resume", headers=headers)
    assert resumed.status_code == 200 and resumed.json()["cancel_at_period_end"] is False
    charges = await paying.session.scalar(select(func.count()).select_from(SubscriptionCharge))
    assert charges == 1  # resuming charged nothing
    assert await paying.bill(jst(2027, 2, 12, 0, 5)) == {"charged": 1}


async def test_r_sub_6_resume_refused_on_the_renewal_day(paying: Paying) -> None:
    _, headers = await paying.member()
    await paying.sign_up(headers, jst(2027, 1, 5))
    await paying.at(jst(2027, 1, 8))
    await paying.client.post(f"{SUBSCRIPTION}/cancel", headers=headers)
    await paying.at(jst(2027, 1, 12, 0, 1))  # access ended with Jan 11
    resume = await paying.client.post(f"{SUBSCRIPTION}/resume", headers=headers)
    assert resume.status_code == 409


async def test_r_sub_2_one_trial_per_person_second_signup_is_charged_at_once(
    paying: Paying,
) -> None:
    user, headers = await paying.member()
    await paying.sign_up(headers, jst(2027, 1, 5))
    await paying.at(jst(2027, 1, 6))
    await paying.client.post(f"{SUBSCRIPTION}/cancel", headers=headers)
    assert await paying.bill(jst(2027, 1, 12, 0, 5)) == {"ended": 1}

    again = await paying.sign_up(headers, jst(2027, 3, 30))
    assert again["status"] == "active"
    assert again["trial_end_on"] is None
    assert again["next_renewal_on"] == "2027-04-30"  # anchor = the sign-up day (30)
    orders = (
        (await paying.session.execute(select(PaymentOrder).where(PaymentOrder.user_id == user.id)))
        .scalars()
        .all()
    )
    assert [(o.status.value, o.period_start_on.isoformat()) for o in orders] == [
        ("paid", "2027-03-30")
    ]


async def test_r_sub_2_second_signup_declined_is_a_problem_and_keeps_the_failed_order(
    paying: Paying,
) -> None:
    user, headers = await paying.member()
    await paying.sign_up(headers, jst(2027, 1, 5))
    await paying.at(jst(2027, 1, 6))
    await paying.client.post(f"{SUBSCRIPTION}/cancel", headers=headers)
    await paying.bill(jst(2027, 1, 12, 0, 5))

    await paying.at(jst(2027, 2, 1))
    started = await paying.client.post(f"{SUBSCRIPTION}/checkout", headers=headers)
    checkout_id = started.json()["checkout_session_id"]
    await paying.sim.control.queue_checkout_outcomes(checkout_id, ["HardDeclined"])
    await paying.sim.control.approve_checkout(checkout_id)
    done = await paying.client.post(
        f"{SUBSCRIPTION}/checkout/complete",
        json={"checkout_session_id": checkout_id},
        headers=headers,
    )
    assert done.status_code == 402, done.text
    assert done.json()["type"] == "payment-declined"
    status = await paying.status(headers)
    assert status["status"] == "canceled" and status["has_access"] is False
    orders = (
        (await paying.session.execute(select(PaymentOrder).where(PaymentOrder.user_id == user.id)))
        .scalars()
        .all()
    )
    assert [o.status.value for o in orders] == ["failed"]
    # A new checkout may start again.
    assert (
        await paying.client.post(f"{SUBSCRIPTION}/checkout", headers=headers)
    ).status_code == 201


async def test_r_sub_1_individuals_only(paying: Paying) -> None:
    organization = await make_organization(paying.session)
    _, headers = await paying.member(organization_id=organization.id)
    await paying.at(jst(2027, 1, 5))
    response = await paying.client.post(f"{SUBSCRIPTION}/checkout", headers=headers)
    assert response.status_code == 403
    assert response.json()["type"] == "subscription-individuals-only"
    _, staff = await paying.member(role=Role.staff)
    assert (await paying.client.post(f"{SUBSCRIPTION}/checkout", headers=staff)).status_code == 403
    count = await paying.session.scalar(select(func.count()).select_from(Subscription))
    assert count == 0


async def test_one_live_subscription_and_an_abandoned_checkout_is_replaced(
    paying: Paying,
) -> None:
    user, headers = await paying.member()
    await paying.at(jst(2027, 1, 5))
    first = await paying.client.post(f"{SUBSCRIPTION}/checkout", headers=headers)
    second = await paying.client.post(f"{SUBSCRIPTION}/checkout", headers=headers)
    assert first.status_code == second.status_code == 201
    stale = await paying.client.post(
        f"{SUBSCRIPTION}/checkout/complete",
        json={"checkout_session_id": first.json()["checkout_session_id"]},
        headers=headers,
    )
    assert stale.status_code == 409 and stale.json()["type"] == "checkout-session-mismatch"
    checkout_id = second.json()["checkout_session_id"]
    not_yet = await paying.client.post(
        f"{SUBSCRIPTION}/checkout/complete",
        json={"checkout_session_id": checkout_id},
        headers=headers,
    )
    assert not_yet.status_code == 409 and not_yet.json()["type"] == "checkout-not-approved"
    await paying.sim.control.approve_checkout(checkout_id)
    done = await paying.client.post(
        f"{SUBSCRIPTION}/checkout/complete",
        json={"checkout_session_id": checkout_id},
        headers=headers,
    )
    assert done.status_code == 200 and done.json()["status"] == "trialing"
    # Completing again answers the same subscription; a new checkout is refused.
    repeat = await paying.client.post(
        f"{SUBSCRIPTION}/checkout/complete",
        json={"checkout_session_id": checkout_id},
        headers=headers,
    )
    assert repeat.json()["id"] == done.json()["id"]
    refused = await paying.client.post(f"{SUBSCRIPTION}/checkout", headers=headers)
    assert refused.status_code == 409 and refused.json()["type"] == "subscription-already-exists"
    statuses = (
        (
            await paying.session.execute(
                select(Subscription.status).where(Subscription.user_id == user.id)
            )
        )
        .scalars()
        .all()
    )
    assert sorted(s.value for s in statuses) == ["canceled", "trialing"]


async def test_no_subscription_is_not_found_and_english_is_available(paying: Paying) -> None:
    _, headers = await paying.member()
    await paying.at(jst(2027, 1, 5))
    response = await paying.client.get(SUBSCRIPTION, headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json()["type"] == "subscription-not-found"
    assert response.json()["title"] == "No subscription found"


async def test_r_sub_8_only_provider_ids_are_kept_never_card_data(paying: Paying) -> None:
    """Amazon Pay only: we keep the permission id and the charge ids, and no table of ours
    has a column that could hold card data."""
    user, headers = await paying.member()
    await paying.sign_up(headers, jst(2027, 1, 5))
    assert await paying.bill(jst(2027, 1, 12, 0, 5)) == {"charged": 1}
    subscription = (
        await paying.session.execute(select(Subscription).where(Subscription.user_id == user.id))
    ).scalar_one()
    attempt = (
        await paying.session.execute(
            select(SubscriptionCharge).where(SubscriptionCharge.subscription_id == subscription.id)
        )
    ).scalar_one()
    order = await paying.session.get_one(PaymentOrder, attempt.order_id)
    permission = await paying.provider.get_charge_permission(
        subscription.charge_permission_id or ""
    )
    assert permission.charge_permission_type.value == "Recurring"
    assert attempt.provider_charge_id and order.provider_charge_id == attempt.provider_charge_id
    charge = await paying.provider.get_charge(attempt.provider_charge_id)
    assert charge.charge_permission_id == subscription.charge_permission_id
    card_like = {"card", "pan", "cvv", "cvc", "expiry", "card_number", "security_code"}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            words = set(column.name.split("_"))
            assert not (words & card_like), f"{table.name}.{column.name} looks like card data"
    detail = await paying.client.get(f"/api/v1/me/orders/{order.id}", headers=headers)
    assert detail.json()["payment_method"] == "amazon_pay"


async def test_staff_see_a_members_subscription_members_do_not(paying: Paying) -> None:
    user, headers = await paying.member()
    _, staff = await paying.member(role=Role.staff)
    await paying.sign_up(headers, jst(2027, 1, 5))
    seen = await paying.client.get(f"/api/v1/admin/users/{user.id}/subscription", headers=staff)
    assert seen.status_code == 200 and seen.json()["status"] == "trialing"
    refused = await paying.client.get(
        f"/api/v1/admin/users/{user.id}/subscription", headers=headers
    )
    assert refused.status_code == 403
