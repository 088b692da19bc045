"""`notify_user`: an email to an account holder in their language, at their address (R-NTF-1,
R-NTF-2)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.notifications.service import notify_user
from tests.factories import make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


async def test_r_ntf_1_notify_user_takes_address_language_and_name_from_the_account(
    session: AsyncSession,
) -> None:
    user = await make_user(session, email="taro@example.jp", name="山田 太郎")
    user.locale = "en"

    email = await notify_user(
        session, user, template="account_suspended", context={"reason": "spam"}, now=NOW
    )

    assert (email.to_address, email.locale, email.user_id) == ("taro@example.jp", "en", user.id)
    assert email.subject == "[Manabi Online] Your account was suspended"
    assert email.body_text.startswith("Dear 山田 太郎,")
    assert "Reason: spam" in email.body_text


async def test_r_ntf_1_notify_user_can_write_to_another_address_of_the_account(
    session: AsyncSession,
) -> None:
    user = await make_user(session, email="taro@example.jp", name="山田 太郎")

    email = await notify_user(
        session, user, template="email_changed_notice", to_address="old@example.jp", now=NOW
    )

    assert (email.to_address, email.locale, email.user_id) == ("old@example.jp", "ja", user.id)
    assert email.body_text.startswith("山田 太郎 様")
