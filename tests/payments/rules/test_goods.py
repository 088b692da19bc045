"""Physical goods: cancellation deadlines, refusals and refund timing (R-REF-8)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.payments.rules.goods import (
    GoodsRefundReason,
    GoodsRefusal,
    goods_request_deadline,
    physical_goods_refund_decision,
    refund_due_by,
)

CHANGE = GoodsRefundReason.change_of_mind
NOT_AS_DESCRIBED = GoodsRefundReason.not_as_described


@pytest.mark.parametrize(
    ("requested_on", "allowed"),
    [
        (date(2027, 4, 1), True),  # receipt day
        (date(2027, 4, 8), True),  # 7 days after receipt
        (date(2027, 4, 9), False),  # 8 days after
    ],
)
def test_r_ref_8_change_of_mind_within_7_days_of_receipt(requested_on: date, allowed: bool) -> None:
    """R-REF-8: receipt day is day 0; day 7 is the last day."""
    decision = physical_goods_refund_decision(
        received_on=date(2027, 4, 1), requested_on=requested_on, reason=CHANGE
    )
    assert decision.rule == "R-REF-8"
    assert decision.deadline_on == date(2027, 4, 8)
    assert decision.is_allowed is allowed
    assert decision.refusal_reason is (None if allowed else GoodsRefusal.deadline_passed)


@pytest.mark.parametrize(
    ("received_on", "deadline"),
    [
        (date(2026, 11, 30), date(2027, 2, 28)),  # month end → shorter February
        (date(2027, 11, 30), date(2028, 2, 29)),  # leap year
        (date(2027, 8, 31), date(2027, 11, 30)),  # 31st → 30-day month
        (date(2027, 1, 15), date(2027, 4, 15)),
    ],
)
def test_r_ref_8_not_as_described_within_3_months_of_receipt_on_month_ends(
    received_on: date, deadline: date
) -> None:
    """R-REF-8: 3 months after receipt, clamped to the month end (Civil Code month counting)."""
    assert goods_request_deadline(received_on, NOT_AS_DESCRIBED, received_on) == deadline
    last_day = physical_goods_refund_decision(
        received_on=received_on, requested_on=deadline, reason=NOT_AS_DESCRIBED
    )
    assert last_day.is_allowed
    day_after = physical_goods_refund_decision(
        received_on=received_on,
        requested_on=date.fromordinal(deadline.toordinal() + 1),
        reason=NOT_AS_DESCRIBED,
    )
    assert day_after.refusal_reason is GoodsRefusal.deadline_passed


@pytest.mark.parametrize(
    ("requested_on", "allowed"),
    [(date(2027, 5, 5), True), (date(2027, 5, 6), False)],
)
def test_r_ref_8_not_as_described_within_30_days_of_discovery(
    requested_on: date, allowed: bool
) -> None:
    """R-REF-8: received Jan 10 (3 months → Apr 10), found out Apr 5 → 30 days → May 5."""
    decision = physical_goods_refund_decision(
        received_on=date(2027, 1, 10),
        requested_on=requested_on,
        reason=NOT_AS_DESCRIBED,
        discovered_on=date(2027, 4, 5),
    )
    assert decision.deadline_on == date(2027, 5, 5)
    assert decision.is_allowed is allowed


def test_r_ref_8_the_three_months_apply_when_discovery_was_early() -> None:
    """R-REF-8: found out on the receipt day: 30 days would end Feb 9; 3 months run to Apr 10."""
    assert goods_request_deadline(date(2027, 1, 10), NOT_AS_DESCRIBED, date(2027, 1, 10)) == date(
        2027, 4, 10
    )


@pytest.mark.parametrize(
    ("flags", "reason", "refusal"),
    [
        ({"damaged_by_member": True}, CHANGE, GoodsRefusal.damaged_by_member),
        ({"used": True}, CHANGE, GoodsRefusal.used),
        ({"seal_broken_on_copyable": True}, CHANGE, GoodsRefusal.seal_broken),
        ({"damaged_by_member": True}, NOT_AS_DESCRIBED, GoodsRefusal.damaged_by_member),
        ({"used": True}, NOT_AS_DESCRIBED, None),
        ({"seal_broken_on_copyable": True}, NOT_AS_DESCRIBED, None),
        ({}, CHANGE, None),
    ],
)
def test_r_ref_8_refused_when_damaged_used_or_seal_broken(
    flags: dict[str, Any], reason: GoodsRefundReason, refusal: GoodsRefusal | None
) -> None:
    """R-REF-8: condition refusals; goods not as described may have been opened or used."""
    decision = physical_goods_refund_decision(
        received_on=date(2027, 4, 1), requested_on=date(2027, 4, 3), reason=reason, **flags
    )
    assert decision.refusal_reason is refusal
    assert decision.is_allowed is (refusal is None)


def test_r_ref_8_impossible_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="received_on"):
        physical_goods_refund_decision(
            received_on=date(2027, 4, 2), requested_on=date(2027, 4, 1), reason=CHANGE
        )
    with pytest.raises(ValueError, match="discovered_on"):
        goods_request_deadline(date(2027, 4, 2), NOT_AS_DESCRIBED, date(2027, 4, 1))


@pytest.mark.parametrize(
    ("returned_on", "due_by"),
    [
        (date(2027, 6, 2), date(2027, 6, 9)),  # Wed → next Wed
        (date(2027, 6, 4), date(2027, 6, 11)),  # Fri → Fri (weekend skipped)
        # Golden Week 2027: Apr 29 (Thu), May 3–5 (Mon–Wed) are holidays.
        # Wed Apr 28 → Apr 30, May 6, May 7, May 10, May 11.
        (date(2027, 4, 28), date(2027, 5, 11)),
        # Returned on Sat May 1 → May 6, 7, 10, 11, 12.
        (date(2027, 5, 1), date(2027, 5, 12)),
    ],
)
def test_r_ref_8_refund_within_5_business_days_of_return(returned_on: date, due_by: date) -> None:
    """R-REF-8: 5 business days (JST holidays excluded) after the goods came back."""
    assert refund_due_by(returned_on) == due_by
