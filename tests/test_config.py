"""Settings: production refuses development defaults; values parse from the environment."""

from __future__ import annotations

import pytest

from app.config import DEV_SECRET_KEY, Environment, Settings

STRONG_A = "a" * 16 + "B" * 16 + "c" * 8
STRONG_B = "x" * 20 + "Y" * 20


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.production,
        "database_url": "postgresql+asyncpg://db.internal/manabi",
        "secret_key": STRONG_A,
        "signing_key": STRONG_B,
        "test_clock_enabled": False,
        "payment_private_key_file": "/run/secrets/amazon-pay.pem",
        "payment_provider_base_url": "https://pay-api.amazon.jp/v2",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_production_with_real_secrets_starts() -> None:
    production().check_production()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"secret_key": DEV_SECRET_KEY}, "MANABI_SECRET_KEY"),
        ({"secret_key": "short"}, "MANABI_SECRET_KEY"),
        ({"signing_key": STRONG_A}, "must differ"),
        ({"database_url": None}, "DATABASE_URL"),
        ({"test_clock_enabled": True}, "MANABI_TEST_CLOCK_ENABLED"),
    ],
)
def test_production_refuses_development_defaults(override: dict[str, object], message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        production(**override).check_production()


def test_development_tolerates_defaults() -> None:
    Settings(environment=Environment.development).check_production()


def test_production_hides_docs_and_test_clock() -> None:
    settings = production()
    assert settings.docs_enabled is False
    assert settings.clock_is_adjustable is False


def test_cors_origins_parse_from_comma_separated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANABI_CORS_ORIGINS", "https://app.manabi.jp, https://m.manabi.jp")
    assert Settings().cors_origins == ["https://app.manabi.jp", "https://m.manabi.jp"]


def test_database_url_keeps_its_conventional_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://h/db")
    assert Settings().database_url == "postgresql+asyncpg://h/db"
