"""One place for every setting (pydantic-settings).

Every setting is read from the environment with the `MANABI_` prefix (except `DATABASE_URL`,
which keeps its conventional name) or from a `.env` file. The README's configuration table lists
them all; `Settings.check_production()` refuses to start a production process that still carries
a development default for a secret or a development-only switch.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development defaults for secrets. Production refuses to run with any of them.
DEV_SECRET_KEY = "dev-only-secret-key-change-me-0123456789abcdef"
DEV_SIGNING_KEY = "dev-only-signing-key-change-me-0123456789abcd"
# Well-known example/dev object-storage secrets (AWS docs, MinIO): never acceptable in production.
DEV_S3_SECRETS = frozenset({"minioadmin", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})


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
    # A steady pool: overflow connections are opened and closed per request under sustained
    # load (measured in bench/: connect + close dominated the tail), so none by default.
    database_pool_size: int = 20
    database_max_overflow: int = 0
    # Plain asyncpg connections for the hottest reads (app.db.HotConnection), per worker.
    database_hot_pool_size: int = 10

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

    # Progress (R-PRG-1): share of a video's length that must be watched to complete it.
    video_completion_ratio: float = Field(default=0.9, gt=0, le=1)

    # Media: materials, tools, video (R-CON-2, R-CON-3, R-CON-4). `local` keeps files under
    # `media_root` (one machine or a shared volume); `s3` uses any S3-compatible bucket.
    media_storage: Literal["local", "s3"] = "local"
    media_root: str = ".devmedia"
    media_s3_bucket: str | None = None
    media_s3_endpoint_url: str | None = None  # unset: AWS (virtual-hosted); set: path-style
    media_s3_region: str = "ap-northeast-1"
    media_s3_access_key_id: str | None = None
    media_s3_secret_access_key: str | None = None
    media_max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1)  # materials and tools
    media_max_video_bytes: int = Field(default=2 * 1024**3, ge=1)  # local video assets (dev)
    # Link lifetimes; a presigned S3 URL may live at most 7 days.
    media_download_link_ttl_seconds: int = Field(default=300, ge=1, le=604_800)
    media_playback_url_ttl_seconds: int = Field(default=600, ge=1, le=604_800)

    # Payments (R-PAY-1 … R-PAY-3): the Amazon Pay-style provider (the simulator in development,
    # `scripts/simulator.py`). Ids default to development values; the private key has no default.
    payment_provider_base_url: str = "http://127.0.0.1:8001/v2"
    payment_public_key_id: str = "SANDBOX-MANABI-DEV-KEY"
    payment_private_key_pem: SecretStr | None = None  # PEM text, or:
    payment_private_key_file: str | None = None  # a path to the PEM file
    payment_store_id: str = "amzn1.application-oa2-client.manabi-dev"
    payment_merchant_id: str = "MANABIDEVMERCHANT"
    payment_region: str = "jp"
    payment_sns_region: str = "ap-northeast-1"
    payment_sns_topic_arn: str = "arn:aws:sns:ap-northeast-1:000000000000:manabi-dev-ipn"
    # Development and tests only: fetch SNS signing certificates from `<base>/<file name>` (the
    # simulator) instead of the SigningCertURL's host. The URL checks still apply to the message.
    payment_sns_cert_fetch_base_url: str | None = None
    payment_webhook_max_body_bytes: int = Field(default=65_536, ge=1024)
    payment_checkout_return_url: str = "http://127.0.0.1:3000/checkout/return"
    # R-REF-9: the refund cost the member bears, deducted from a refund with a cash part.
    purchase_refund_cost_jpy: int = Field(default=0, ge=0)

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

    def payment_private_key(self) -> str | None:
        """The provider signing key (PEM): `payment_private_key_pem`, else the file's content."""
        if self.payment_private_key_pem is not None:
            return self.payment_private_key_pem.get_secret_value()
        if self.payment_private_key_file:
            with open(self.payment_private_key_file, encoding="utf-8") as key_file:
                return key_file.read()
        return None

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
        if self.media_storage == "s3":
            if not self.media_s3_bucket or not self.media_s3_access_key_id:
                problems.append(
                    "MANABI_MEDIA_S3_BUCKET and MANABI_MEDIA_S3_ACCESS_KEY_ID must be set"
                )
            secret = self.media_s3_secret_access_key
            if not secret or secret in DEV_S3_SECRETS:
                problems.append("MANABI_MEDIA_S3_SECRET_ACCESS_KEY must be set to the real secret")
        if self.payment_private_key_pem is None and not self.payment_private_key_file:
            problems.append(
                "MANABI_PAYMENT_PRIVATE_KEY_PEM or MANABI_PAYMENT_PRIVATE_KEY_FILE must be set"
            )
        if not self.payment_provider_base_url.startswith("https://"):
            problems.append("MANABI_PAYMENT_PROVIDER_BASE_URL must be the provider's https URL")
        if self.payment_sns_cert_fetch_base_url is not None:
            problems.append("MANABI_PAYMENT_SNS_CERT_FETCH_BASE_URL must be unset in production")
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


@lru_cache
def get_settings() -> Settings:
    return Settings()
