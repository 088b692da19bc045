"""Physical goods (教材) cancellation and refund timing (R-REF-8). Pure, no clock.

- Change of mind: the request day is at most 7 days after the receipt day (receipt day is day 0,
  as "within 7 days" everywhere in R-REF).
- Not as described (表示・広告・契約内容と異なる): within 3 months of receipt or 30 days of the day
  the member found out (or could have), whichever ends later. "3 months" is `add_months`, which is
  the Civil Code's month counting: received Nov 30 → Feb 28 (29), received Jan 15 → Apr 15.
- The goods must come back; the money is refunded within 5 business days (JST, national holidays
  excluded) of the day they came back: `refund_due_by`.
- Refused when the member damaged the goods, used them, or broke the seal of a copyable item
  (software, DVDs). Opening the package to look at the contents is not damage (seed 003 1-④).

Decision (seed 003 follows consumer-contract law, where these limits restrict the member's own
cancellation): for goods not as described, `used` and a broken seal do not refuse — a member often
has to open or use an item to find out it is not what was advertised — while damage by the member
still refuses (the goods cannot come back as delivered through the member's fault).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.kit.calendar import add_business_days, add_months

CHANGE_OF_MIND_DAYS = 7
NOT_AS_DESCRIBED_MONTHS = 3
NOT_AS_DESCRIBED_DAYS_FROM_DISCOVERY = 30
REFUND_BUSINESS_DAYS = 5


class GoodsRefundReason(StrEnum):
    change_of_mind = "change_of_mind"
    not_as_described = "not_as_described"


class GoodsRefusal(StrEnum):
    deadline_passed = "deadline_passed"
    damaged_by_member = "damaged_by_member"
    used = "used"
    seal_broken = "seal_broken"


@dataclass(frozen=True)
class GoodsRefundDecision:
    rule: str
    is_allowed: bool
    deadline_on: date
    """The last day a request is accepted for this reason."""
    refusal_reason: GoodsRefusal | None


def goods_request_deadline(
    received_on: date, reason: GoodsRefundReason, discovered_on: date | None = None
) -> date:
    """R-REF-8: the last request day. Change of mind: receipt + 7 days. Not as described: the later
    of receipt + 3 months and discovery + 30 days (`discovered_on` defaults to the receipt day)."""
    if reason is GoodsRefundReason.change_of_mind:
        return received_on + timedelta(days=CHANGE_OF_MIND_DAYS)
    found = discovered_on or received_on
    if found < received_on:
        raise ValueError("discovered_on is before received_on")
    return max(
        add_months(received_on, NOT_AS_DESCRIBED_MONTHS),
        found + timedelta(days=NOT_AS_DESCRIBED_DAYS_FROM_DISCOVERY),
    )


def physical_goods_refund_decision(
    *,
    received_on: date,
    requested_on: date,
    reason: GoodsRefundReason,
    discovered_on: date | None = None,
    damaged_by_member: bool = False,
    used: bool = False,
    seal_broken_on_copyable: bool = False,
) -> GoodsRefundDecision:
    """R-REF-8: may the member cancel the purchase of physical goods on `requested_on`?

    Refusals in a fixed order: damaged_by_member, used, seal_broken (the last two for change of
    mind only, see the module docstring), then deadline_passed.
    """
    if requested_on < received_on:
        raise ValueError("requested_on is before received_on (cancel the order instead)")
    deadline = goods_request_deadline(received_on, reason, discovered_on)
    refusal: GoodsRefusal | None = None
    is_change_of_mind = reason is GoodsRefundReason.change_of_mind
    if damaged_by_member:
        refusal = GoodsRefusal.damaged_by_member
    elif used and is_change_of_mind:
        refusal = GoodsRefusal.used
    elif seal_broken_on_copyable and is_change_of_mind:
        refusal = GoodsRefusal.seal_broken
    elif requested_on > deadline:
        refusal = GoodsRefusal.deadline_passed
    return GoodsRefundDecision(
        rule="R-REF-8", is_allowed=refusal is None, deadline_on=deadline, refusal_reason=refusal
    )


def refund_due_by(returned_on: date) -> date:
    """R-REF-8: the refund is made by the 5th business day after the goods came back (JST
    business days: Mon–Fri except national holidays; a return on a holiday counts from the next
    business day)."""
    return add_business_days(returned_on, REFUND_BUSINESS_DAYS)
