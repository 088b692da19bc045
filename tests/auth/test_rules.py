"""Table tests of the pure identity rules (app/auth/rules.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth import rules
from app.auth.rules import LoginIdKind, PasswordViolation
from app.auth.service.guard import pseudo_account_id
from app.kit.normalize import normalize_login_id
from app.notifications.formatting import format_email_datetime

T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
R_ID_8 = {"limit": 5, "window": timedelta(minutes=15), "block": timedelta(minutes=15)}


@pytest.mark.parametrize(
    ("password", "login_ids", "expected"),
    [
        ("1234567", [], [PasswordViolation.too_short]),
        ("12345678", [], []),
        ("ながいパスワード", [], []),  # 8 characters of kana: long enough
        ("correct horse battery staple", [], []),  # passphrases with spaces
        ("x" * 128, [], []),
        ("x" * 129, [], [PasswordViolation.too_long]),
        ("        ", [], [PasswordViolation.blank]),
        ("taro@example.jp", ["taro@example.jp"], [PasswordViolation.same_as_login_id]),
        ("ＴＡＲＯ@Example.JP", ["taro@example.jp"], [PasswordViolation.same_as_login_id]),
        ("01234567890", ["a@example.jp", "01234567890"], [PasswordViolation.same_as_login_id]),
        ("01234567890", ["a@example.jp", None], []),
    ],
)
def test_r_id_4_password_policy(
    password: str, login_ids: list[str | None], expected: list[str]
) -> None:
    assert rules.password_violations(password, login_ids=login_ids) == expected


@pytest.mark.parametrize(
    ("failures", "now", "expected"),
    [
        pytest.param([], T, None, id="no failures"),
        pytest.param([T] * 4, T, None, id="4 failures are fine"),
        pytest.param([T] * 5, T, T + 15 * MIN, id="the 5th locks for 15 minutes"),
        pytest.param([T] * 5, T + 14 * MIN, T + 15 * MIN, id="still locked the minute before"),
        pytest.param([T] * 5, T + 15 * MIN, None, id="open at the end"),
        pytest.param(
            [T, T + MIN, T + 2 * MIN, T + 3 * MIN, T + 14 * MIN],
            T + 14 * MIN,
            T + 29 * MIN,
            id="spread inside the window: 15 min after the 5th",
        ),
        pytest.param(
            [T, T + MIN, T + 2 * MIN, T + 3 * MIN, T + 15 * MIN],
            T + 15 * MIN,
            None,
            id="a failure exactly 15 min old is out of the window",
        ),
        pytest.param([T - 20 * MIN] * 4 + [T], T, None, id="old failures do not count"),
        pytest.param(
            [T - MIN] * 4 + [T + timedelta(seconds=1)],
            T,
            T + 15 * MIN + timedelta(seconds=1),
            id="a concurrent request's later-stamped failure counts",
        ),
        pytest.param(
            [T] * 5 + [T + 10 * MIN] * 5,
            T + 16 * MIN,
            T + 25 * MIN,
            id="the latest completed count decides",
        ),
    ],
)
def test_r_id_8_lockout_table(
    failures: list[datetime], now: datetime, expected: datetime | None
) -> None:
    assert rules.blocked_until(failures, now=now, **R_ID_8) == expected  # type: ignore[arg-type]


@given(
    offsets=st.lists(st.integers(min_value=0, max_value=3600), max_size=30),
    now_offset=st.integers(min_value=0, max_value=4000),
)
def test_r_id_8_lockout_properties(offsets: list[int], now_offset: int) -> None:
    """Never blocked with fewer than 5 failures; a block never outlasts 15 min after a failure."""
    failures = [T + timedelta(seconds=s) for s in offsets]
    now = T + timedelta(seconds=now_offset)
    until = rules.blocked_until(failures, now=now, **R_ID_8)  # type: ignore[arg-type]
    if len(failures) < 5:
        assert until is None
    if until is not None:
        assert now < until <= max(failures) + timedelta(minutes=15)


@pytest.mark.parametrize(
    ("until", "now", "seconds"),
    [(T + MIN, T, 60), (T + timedelta(seconds=0.2), T, 1), (T, T, 1), (T + 15 * MIN, T, 900)],
)
def test_r_id_8_retry_after_rounds_up(until: datetime, now: datetime, seconds: int) -> None:
    assert rules.retry_after_seconds(until, now) == seconds


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("taro@example.jp", LoginIdKind.email),
        ("ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｊｐ", LoginIdKind.email),
        ("01234567890", LoginIdKind.customer_number),
        ("０１２３４５６７８９０", LoginIdKind.customer_number),
        ("0123-4567-890", LoginIdKind.customer_number),
        ("0123456789", LoginIdKind.unknown),  # 10 digits
        ("012345678901", LoginIdKind.unknown),  # 12 digits
        ("٠١٢٣٤٥٦٧٨٩٠", LoginIdKind.unknown),  # Arabic-Indic digits are not a customer number
        ("taro", LoginIdKind.unknown),
    ],
)
def test_r_id_3_r_id_13_login_id_kind(raw: str, kind: LoginIdKind) -> None:
    assert rules.login_id_kind(normalize_login_id(raw)) == kind


@pytest.mark.parametrize(
    ("value", "ok"), [("09012345678", True), ("0312345678", True), ("090-1234", False), ("", False)]
)
def test_r_id_2_phone_shape(value: str, ok: bool) -> None:
    assert rules.is_phone_number(value) is ok


@pytest.mark.parametrize(
    ("expires_at", "used_at", "now", "usable"),
    [
        (T + 60 * MIN, None, T + 59 * MIN, True),
        (T + 60 * MIN, None, T + 60 * MIN, False),  # at the expiry: no longer
        (T + 60 * MIN, T, T + MIN, False),  # used once
    ],
)
def test_r_id_5_single_use_token_expiry(
    expires_at: datetime, used_at: datetime | None, now: datetime, usable: bool
) -> None:
    assert rules.token_is_usable(expires_at=expires_at, used_at=used_at, now=now) is usable


@pytest.mark.parametrize(
    ("revoked_at", "now", "active"),
    [(None, T, True), (T, T, False), (None, T + 30 * 24 * 60 * MIN, False)],
)
def test_r_id_7_session_is_active(revoked_at: datetime | None, now: datetime, active: bool) -> None:
    assert (
        rules.session_is_active(expires_at=T + 30 * 24 * 60 * MIN, revoked_at=revoked_at, now=now)
        is active
    )


def test_r_id_10_needs_terms_acceptance() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert rules.needs_terms_acceptance([a, b], [a, b]) is False
    assert rules.needs_terms_acceptance([a, c], [a, b]) is True
    assert rules.needs_terms_acceptance([], []) is False


def test_r_id_1_versions_must_all_match() -> None:
    current = {"terms": "2", "privacy": "1"}
    assert rules.versions_match(current, {"terms": "2", "privacy": "1"})
    assert not rules.versions_match(current, {"terms": "1", "privacy": "1"})
    assert not rules.versions_match({}, {"terms": "1"})


def test_r_id_1_r_id_5_email_datetimes_are_jst() -> None:
    assert format_email_datetime(T, "ja") == "2026年11月24日 10:00"
    assert format_email_datetime(T, "en") == "2026-11-24 10:00 (JST)"


def test_r_id_5_links_carry_the_token_as_a_parameter() -> None:
    assert (
        rules.frontend_link("https://app.example.jp/", "/reset-password", "a-b_c")
        == "https://app.example.jp/reset-password?token=a-b_c"
    )


def test_r_id_8_unknown_login_ids_get_stable_pseudo_ids_that_never_match_accounts() -> None:
    first = pseudo_account_id("nobody@example.jp", secret="s")
    assert first == pseudo_account_id("nobody@example.jp", secret="s")
    assert first != pseudo_account_id("nobody@example.jp", secret="other secret")
    assert first.version == 5  # real account ids are version 4
