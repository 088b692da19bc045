"""Accept-Language negotiation: Japanese by default, English when preferred."""

from __future__ import annotations

import pytest

from app.kit.i18n import negotiate_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "ja"),
        ("", "ja"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("ja-JP", "ja"),
        ("fr-FR, en;q=0.5", "en"),
        ("fr-FR", "ja"),
        ("en;q=0.3, ja;q=0.8", "ja"),
        ("ja;q=0, en", "en"),
        ("*", "ja"),
        ("en;q=abc", "ja"),
    ],
)
def test_negotiate_language(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected
