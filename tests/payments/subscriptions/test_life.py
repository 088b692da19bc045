"""One member's whole subscription life on the test clock and the simulator (issue 4 "Done
means"): sign-up, trial, day-8 charge, renewals on a month-end anchor, a soft decline recovered
in grace, a hard decline ending unpaid, recovery, cancel and resume, cancel and expire.

R-SUB-2 … R-SUB-7, R-SUB-9, R-SUB-10, R-PAY-1 … R-PAY-3.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from app.models.payment import PaymentOrder, Subscription
from app.payments.subscriptions import billing
from tests.payments.subscriptions.conftest import Paying, jst


async def _orders(paying: Paying, user_id: object) -> list[PaymentOrder]:
    rows = await paying.session.execute(
        select(PaymentOrder)
        .where(PaymentOrder.user_id == user_id)
        .order_by(PaymentOrder.period_start_on)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def _lesson_access(paying: Paying, headers: dict[str, str]) -> bool:
    """R-SUB-10: does the member hold a live membership grant right now?"""
    response = await paying.client.get("/api/v1/me/entitlements", headers=headers)
    assert response.status_code == 200, response.text
    return bool(response.json()["has_membership"])


async def test_r_sub_2_to_7_whole_subscription_life(paying: Paying) -> None:
    user, headers = await paying.member()

    # Sign-up on Sunday 2027-01-24 (JST): trial Jan 24 … Jan 30, R1 = Jan 31 (R-SUB-2).
    signed = await paying.sign_up(headers, jst(2027, 1, 24, 23, 50))
    assert signed["status"] == "trialing"
    assert signed["trial_end_on"] == "2027-01-30"
    assert signed["next_renewal_on"] == "2027-01-31"
    assert signed["next_amount_jpy"] == 980 and signed["currency"] == "JPY"
    assert signed["has_access"] is True
    assert await _lesson_access(paying, headers)

    # Day 5 (Jan 28): "trial ends in 2 days" (R-NTF-1); nothing is charged during the trial.
    assert await paying.bill(jst(2027, 1, 27, 9)) == {}
    assert await paying.bill(jst(2027, 1, 28, 0, 5)) == {"noticed": 1}
    assert await paying.bill(jst(2027, 1, 28, 12)) == {}
    assert await paying.bill(jst(2027, 1, 30, 23, 59)) == {}
    assert await _orders(paying, user.id) == []

    # Day 8 (Jan 31): the first charge (R-SUB-2/3), an order with a number (R-SUB-9).
    assert await paying.bill(jst(2027, 1, 31, 0, 5)) == {"charged": 1}
    status = await paying.status(headers)
    assert status["status"] == "active" and status["next_renewal_on"] == "2027-02-28"
    assert status["access_until_on"] == "2027-02-27"
    (january,) = await _orders(paying, user.id)
    assert january.status.value == "paid" and january.total_jpy == 980
    assert (january.period_start_on.isoformat(), january.period_end_on.isoformat()) == (
        "2027-01-31",
        "2027-02-27",
    )

    # Renewals on the anchor 31, clamped to month end: Feb 28, then Mar 31 (R-SUB-3).
    assert await paying.bill(jst(2027, 2, 27, 23)) == {}
    assert await paying.bill(jst(2027, 2, 28, 0, 5)) == {"charged": 1}
    assert (await paying.status(headers))["next_renewal_on"] == "2027-03-31"

    # A soft decline on Mar 31: past due, access continues, retry on Apr 1 succeeds (R-SUB-7).
    subscription_row = (
        await paying.session.execute(select(Subscription).where(Subscription.user_id == user.id))
    ).scalar_one()
    assert subscription_row.charge_permission_id is not None
    permission = subscription_row.charge_permission_id
    await paying.sim.control.queue_charge_outcomes(permission, ["SoftDeclined"])
    assert await paying.bill(jst(2027, 3, 31, 0, 5)) == {"declined": 1}
    status = await paying.status(headers)
    assert status["status"] == "past_due" and status["has_access"] is True
    assert status["payment_issue"]["reason"] == "payment_declined"
    assert status["next_renewal_on"] == "2027-04-01"  # the retry day
    assert await _lesson_access(paying, headers)
    assert await paying.bill(jst(2027, 3, 31, 18)) == {}
    assert await paying.bill(jst(2027, 4, 1, 0, 5)) == {"charged": 1}
    status = await paying.status(headers)
    assert status["status"] == "active" and status["payment_issue"] is None
    assert status["next_renewal_on"] == "2027-04-30"  # the anchor is unchanged

    # A hard decline on Apr 30: the permission becomes NonChargeable; retries on May 1/3/7
    # cannot charge; after the last one the subscription is unpaid and access stops.
    await paying.sim.control.queue_charge_outcomes(permission, ["HardDeclined"])
    assert await paying.bill(jst(2027, 4, 30, 0, 5)) == {"declined": 1}
    status = await paying.status(headers)
    assert status["payment_issue"]["reason"] == "payment_method_invalid"
    assert await paying.bill(jst(2027, 5, 1, 0, 5)) == {"declined": 1}
    assert await paying.bill(jst(2027, 5, 3, 0, 5)) == {"declined": 1}
    status = await paying.status(headers)
    assert status["status"] == "past_due" and status["access_until_on"] == "2027-05-07"
    assert await paying.bill(jst(2027, 5, 7, 0, 5)) == {"unpaid": 1}
    status = await paying.status(headers)
    assert status["status"] == "unpaid" and status["has_access"] is False
    assert not await _lesson_access(paying, headers)

    # The member fixes the payment method on Amazon Pay (May 10): the permission notification
    # arrives, is verified and stored, and processing charges the period containing today.
    await paying.at(jst(2027, 5, 10, 12))
    await paying.sim.control.fix_payment_method(permission)
    responses = await paying.deliver_notifications()
    assert [response.status_code for response in responses] == [202] * len(responses) != []
    await paying.process_inbox(jst(2027, 5, 10, 12))
    outcome = await billing.run_subscription(
        paying.sessionmaker,
        paying.provider,
        subscription_row.id,
        now=jst(2027, 5, 10, 12),
        force_retry=True,
    )
    assert outcome.value == "charged"
    status = await paying.status(headers)
    assert status["status"] == "active" and status["has_access"] is True
    assert status["next_renewal_on"] == "2027-05-31"
    assert await _lesson_access(paying, headers)

    # Cancel and resume before access ends (R-SUB-5/6): no new charge.
    cancel = await paying.client.post(f"{paying_path('cancel')}", headers=headers)
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["cancel_at_period_end"] is True
    assert cancel.json()["access_until_on"] == "2027-05-30"
    assert cancel.json()["next_renewal_on"] is None
    resume = await paying.client.post(paying_path("resume"), headers=headers)
    assert resume.status_code == 200 and resume.json()["cancel_at_period_end"] is False
    assert resume.json()["next_renewal_on"] == "2027-05-31"

    # Cancel and expire: access through May 30, canceled on May 31, never charged again.
    assert (await paying.client.post(paying_path("cancel"), headers=headers)).status_code == 200
    assert await paying.bill(jst(2027, 5, 30, 23, 59)) == {}
    assert await _lesson_access(paying, headers)
    assert await paying.bill(jst(2027, 5, 31, 0, 5)) == {"ended": 1}
    status = await paying.status(headers)
    assert status["status"] == "canceled" and status["has_access"] is False
    assert status["ended_on"] == "2027-05-30"
    assert not await _lesson_access(paying, headers)
    assert (await paying.sim.control.get_object(permission))["statusDetails"]["state"] == "Closed"

    orders = await _orders(paying, user.id)
    assert [(o.period_start_on.isoformat(), o.status.value) for o in orders] == [
        ("2027-01-31", "paid"),
        ("2027-02-28", "paid"),
        ("2027-03-31", "paid"),  # declined once, paid by the retry: one order per period
        ("2027-04-30", "paid"),  # declined, unpaid, then paid once the method was fixed
    ]
    assert len({o.order_number for o in orders}) == 4
    emails = Counter(await paying.emails(user))
    assert emails["subscription_trial_ending"] == 1
    assert emails["subscription_charge_succeeded"] == 4  # Jan 31, Feb 28, Apr 1 (retry), May 10
    assert emails["subscription_charge_failed"] == 3  # soft, hard, final
    assert emails["subscription_canceled"] == 2


def paying_path(action: str) -> str:
    return f"/api/v1/me/subscription/{action}"
