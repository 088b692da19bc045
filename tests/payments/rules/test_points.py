"""Points: spending from the earliest expiry and returning on refund (R-REF-10)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.errors import Conflict
from app.payments.rules.points import (
    InsufficientPoints,
    PointGrant,
    PointSpend,
    ReturnedPoints,
    points_to_return,
    spend,
    usable_balance,
)

TODAY = date(2027, 4, 1)
A, B, C, D = (uuid.UUID(int=n) for n in range(1, 5))


def grants() -> list[PointGrant]:
    return [
        PointGrant(A, 100, date(2027, 5, 31)),
        PointGrant(B, 50, date(2027, 4, 30)),
        PointGrant(C, 200, date(2027, 6, 30)),
        PointGrant(D, 500, date(2027, 3, 31)),  # expired yesterday
    ]


def test_r_ref_10_spend_takes_the_earliest_expiry_first() -> None:
    """R-REF-10: 120 points → all 50 of B (Apr 30), then 70 of A (May 31); C untouched."""
    assert spend(grants(), 120, TODAY) == [PointSpend(B, 50), PointSpend(A, 70)]


def test_r_ref_10_spend_ignores_expired_grants_but_uses_one_on_its_expiry_day() -> None:
    """A grant is usable through the end of its expiry day."""
    assert usable_balance(grants(), TODAY) == 350
    assert usable_balance(grants(), date(2027, 3, 31)) == 850
    assert spend(grants(), 600, date(2027, 3, 31))[0] == PointSpend(D, 500)


def test_r_ref_10_spend_refuses_more_than_the_usable_balance() -> None:
    """Expired points do not count: 351 of 350 usable is refused, nothing is spent."""
    with pytest.raises(InsufficientPoints) as refused:
        spend(grants(), 351, TODAY)
    problem = refused.value
    assert isinstance(problem, Conflict)
    assert problem.type == "points-insufficient"
    assert (problem.available, problem.requested) == (350, 351)
    assert "350" in (problem.render_detail("ja") or "")
    assert sum(part.amount for part in spend(grants(), 350, TODAY)) == 350


def test_spend_nothing_and_bad_amounts() -> None:
    assert spend(grants(), 0, TODAY) == []
    with pytest.raises(ValueError):
        spend(grants(), -1, TODAY)
    with pytest.raises(TypeError):
        spend(grants(), True, TODAY)


def test_spend_ties_keep_the_given_order_and_skip_empty_grants() -> None:
    same_day = date(2027, 5, 1)
    pool = [PointGrant(A, 0, same_day), PointGrant(B, 10, same_day), PointGrant(C, 10, same_day)]
    assert spend(pool, 15, TODAY) == [PointSpend(B, 10), PointSpend(C, 5)]


# --- Returns ------------------------------------------------------------------------------------

EXPIRIES = {A: date(2027, 5, 31), B: date(2027, 4, 30), C: date(2027, 6, 30)}


def test_r_ref_10_points_from_one_grant_come_back_with_their_original_expiry() -> None:
    assert points_to_return([PointSpend(B, 50)], EXPIRIES, TODAY) == ReturnedPoints(
        50, date(2027, 4, 30)
    )


def test_r_ref_10_points_from_several_grants_come_back_as_one_with_the_longest_expiry() -> None:
    returned = points_to_return([PointSpend(B, 50), PointSpend(A, 70)], EXPIRIES, TODAY)
    assert returned == ReturnedPoints(120, date(2027, 5, 31))


@pytest.mark.parametrize(
    ("returned_on", "expires_on"),
    [
        (date(2027, 4, 30), date(2027, 4, 30)),  # expiry day itself: original expiry
        (date(2027, 5, 1), date(2027, 5, 1)),  # expired: usable through the return day
        (date(2027, 9, 15), date(2027, 9, 15)),
    ],
)
def test_r_ref_10_points_already_expired_are_usable_through_the_return_day(
    returned_on: date, expires_on: date
) -> None:
    returned = points_to_return([PointSpend(B, 50)], EXPIRIES, returned_on)
    assert returned == ReturnedPoints(50, expires_on)


def test_r_ref_10_a_mixed_payment_returns_only_the_points_left_after_deductions() -> None:
    """R-REF-10: deductions beyond the cash part reduce the points that come back."""
    returned = points_to_return([PointSpend(B, 50), PointSpend(A, 70)], EXPIRIES, TODAY, amount=30)
    assert returned == ReturnedPoints(30, date(2027, 5, 31))


def test_points_to_return_refuses_impossible_returns() -> None:
    with pytest.raises(ValueError, match="more points"):
        points_to_return([PointSpend(B, 50)], EXPIRIES, TODAY, amount=51)
    with pytest.raises(ValueError, match="no points"):
        points_to_return([], EXPIRIES, TODAY)
    with pytest.raises(ValueError, match="original expiry"):
        points_to_return([PointSpend(D, 5)], EXPIRIES, TODAY)


# --- Properties ---------------------------------------------------------------------------------

grant_lists = st.lists(
    st.builds(
        PointGrant,
        id=st.uuids(),
        remaining=st.integers(min_value=0, max_value=1_000),
        expires_on=st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31)),
    ),
    max_size=8,
    unique_by=lambda grant: grant.id,
)


@given(pool=grant_lists, amount=st.integers(min_value=0, max_value=5_000))
def test_r_ref_10_spend_never_exceeds_balance_and_goes_earliest_expiry_first(
    pool: list[PointGrant], amount: int
) -> None:
    by_id = {grant.id: grant for grant in pool}
    available = usable_balance(pool, TODAY)
    if amount > available:
        with pytest.raises(InsufficientPoints):
            spend(pool, amount, TODAY)
        return
    parts = spend(pool, amount, TODAY)
    assert sum(part.amount for part in parts) == amount
    assert len({part.grant_id for part in parts}) == len(parts)
    for part in parts:
        grant = by_id[part.grant_id]
        assert 0 < part.amount <= grant.remaining
        assert grant.expires_on >= TODAY
    # Every part but the last empties its grant; no unused usable grant expires earlier.
    for part in parts[:-1]:
        assert part.amount == by_id[part.grant_id].remaining
    if parts:
        last_expiry = by_id[parts[-1].grant_id].expires_on
        used = {part.grant_id for part in parts}
        for grant in pool:
            if grant.id not in used and grant.remaining > 0 and grant.expires_on >= TODAY:
                assert grant.expires_on >= last_expiry


@given(pool=grant_lists, amount=st.integers(min_value=1, max_value=2_000), days=st.integers(0, 400))
def test_r_ref_10_returned_points_never_expire_before_the_return_day(
    pool: list[PointGrant], amount: int, days: int
) -> None:
    if amount > usable_balance(pool, TODAY):
        return
    parts = spend(pool, amount, TODAY)
    returned_on = TODAY + timedelta(days=days)
    returned = points_to_return(parts, {g.id: g.expires_on for g in pool}, returned_on)
    assert returned.amount == amount
    assert returned.expires_on >= returned_on
    assert returned.expires_on >= max(
        g.expires_on for g in pool if g.id in {p.grant_id for p in parts}
    )
