"""One place for every setting (pydantic-settings).

Every setting is read from the environment with the `MANABI_` prefix (except `DATABASE_URL`,
which keeps its conventional name) or from a `.env` file. The README's configuration table lists
them all; `Settings.check_production()` refuses to start a production process that still carries
a development default for a secret or a development-only switch.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development defaults for secrets. Production refuses to run with any of them.
DEV_SECRET_KEY = "dev-only-secret-key-change-me-0123456789abcdef"
DEV_SIGNING_KEY = "dev-only-signing-key-change-me-0123456789abcd"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MANABI_", env_file=".env", extra="ignore", populate_by_name=True
    )

    environment: Environment = Environment.development

    # Database: `postgresql+asyncpg://…`. Unset means "start the embedded server" in the dev
    # scripts and the test harness; the app itself refuses to start without it.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "MANABI_DATABASE_URL")
    )
    database_pool_size: int = 10
    database_max_overflow: int = 10

    # Secrets.
    secret_key: str = DEV_SECRET_KEY  # signs access tokens (HS256)
    signing_key: str = DEV_SIGNING_KEY  # signs download / playback URLs

    # Sessions and tokens (R-ID-5, R-ID-7).
    access_token_ttl_minutes: int = 15
    refresh_token_ttl_days: int = 30
    password_reset_ttl_minutes: int = 60
    email_verification_ttl_hours: int = 48
    email_change_ttl_hours: int = 24
    jwt_issuer: str = "manabi"
    jwt_audience: str = "manabi-api"

    # Brute-force protection (R-ID-8) and partner keys (R-ID-11).
    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_lockout_minutes: int = 15
    login_max_failures_per_address: int = 30
    api_key_requests_per_minute: int = 600

    # HTTP.
    public_base_url: str = "http://127.0.0.1:8000"  # where this API is reachable
    frontend_base_url: str = "http://127.0.0.1:3000"  # where links in emails point
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trust_forwarded_for: bool = (
        False  # behind a load balancer, take the client from X-Forwarded-For
    )

    # Email (R-NTF-1, R-NTF-2).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Manabi <no-reply@manabi.example>"
    email_max_attempts: int = 8

    # Development-only switches.
    test_clock_enabled: bool = True  # the /api/v1/dev/clock endpoints (never in production)

    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @property
    def docs_enabled(self) -> bool:
        return not self.is_production

    @property
    def clock_is_adjustable(self) -> bool:
        return self.test_clock_enabled and not self.is_production

    def check_production(self) -> None:
        """Refuse development defaults in production (raise with every problem listed)."""
        if not self.is_production:
            return
        problems: list[str] = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("MANABI_SECRET_KEY must be set to a random value of 32+ characters")
        if self.signing_key == DEV_SIGNING_KEY or len(self.signing_key) < 32:
            problems.append("MANABI_SIGNING_KEY must be set to a random value of 32+ characters")
        if self.secret_key == self.signing_key:
            problems.append("MANABI_SECRET_KEY and MANABI_SIGNING_KEY must differ")
        if not self.database_url:
            problems.append("DATABASE_URL must be set")
        if self.test_clock_enabled:
            problems.append("MANABI_TEST_CLOCK_ENABLED must be false in production")
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


@lru_cache
def get_settings() -> Settings:
    return Settings()
