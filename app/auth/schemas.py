"""The public contract of the member identity operations (R-ID-1…R-ID-10, R-ID-13).

Input is normalized before it is validated (R-ID-13): emails and customer numbers through NFKC
(full-width → half-width) and lower-case for emails; phone numbers lose hyphens and spaces; names
keep their kana/kanji and only lose surrounding spaces. A malformed value (wrong type, too long,
not an email, not 11 digits) is a 422 `validation-error` with a message per field; rules that need
more than the value itself (a password equal to the email, outdated terms) are 400/409 problems.

Responses never contain a password or its hash, and never another member's email.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, EmailStr, Field, StringConstraints, field_validator

from app.auth.rules import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from app.kit.normalize import (
    normalize_customer_number,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from app.kit.schemas import ResponseSchema, Schema
from app.models.terms import TermsKind
from app.models.user import AccountStatus, Role


def _when_str(normalize: Callable[[str], str]) -> BeforeValidator:
    """Normalize strings before validation; leave other types for the type check to refuse."""

    def apply(value: object) -> object:
        return normalize(value) if isinstance(value, str) else value

    return BeforeValidator(apply)


Email = Annotated[
    EmailStr,
    _when_str(normalize_email),
    Field(max_length=254, examples=["taro@example.jp"]),
]
NewPassword = Annotated[
    str,
    Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description="8 to 128 characters; spaces and long passphrases welcome; not your email "
        "or customer number (R-ID-4).",
    ),
]
PresentedPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    _when_str(normalize_name),
]
CustomerNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{11}$"),
    _when_str(normalize_customer_number),
    Field(
        description="お客様番号: the first 11 digits of the student number; full-width digits, "
        "spaces and hyphens are accepted (R-ID-13).",
        examples=["01234567890"],
    ),
]
Phone = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{6,15}$"),
    _when_str(normalize_phone),
    Field(
        description="The latest phone number you gave us; hyphens, spaces and full-width "
        "digits are fine (R-ID-13).",
        examples=["090-1234-5678"],
    ),
]
Version = Annotated[str, StringConstraints(min_length=1, max_length=32)]
OpaqueToken = Annotated[
    str, StringConstraints(min_length=1, max_length=200), Field(description="From the link.")
]
Locale = Literal["ja", "en"]


# --- Requests ------------------------------------------------------------------------------------


class TermsVersions(Schema):
    terms_version: Version = Field(description="The current terms of service version (GET /terms).")
    privacy_version: Version = Field(description="The current privacy policy version.")


class MemberRegistration(TermsVersions):
    name: Name
    email: Email
    password: NewPassword


class StudentRegistration(TermsVersions):
    customer_number: CustomerNumber
    phone: Phone
    email: Email
    password: NewPassword


class LoginRequest(Schema):
    login_id: Annotated[
        str,
        StringConstraints(min_length=1, max_length=254),
        Field(
            description="Your email address or customer number (R-ID-3).",
            examples=["taro@example.jp"],
        ),
    ]
    password: PresentedPassword


class RefreshRequest(Schema):
    refresh_token: OpaqueToken


class LogoutRequest(Schema):
    refresh_token: OpaqueToken | None = Field(
        default=None, description="End this token's session (needed when no bearer is sent)."
    )


class TokenConfirmation(Schema):
    token: OpaqueToken


class PasswordResetRequest(Schema):
    email: Email


class PasswordResetConfirmation(Schema):
    token: OpaqueToken
    new_password: NewPassword


class RejoinRequest(Schema):
    email: Email = Field(description="The address of the withdrawn account.")


class RejoinConfirmation(TermsVersions):
    token: OpaqueToken
    new_password: NewPassword


class PasswordChange(Schema):
    current_password: PresentedPassword
    new_password: NewPassword


class EmailChangeRequest(Schema):
    new_email: Email
    current_password: PresentedPassword


class ProfileUpdate(Schema):
    name: Name | None = Field(default=None, description="Omit to keep it.")
    locale: Locale | None = Field(default=None, description="Language of emails and messages.")

    @field_validator("name", "locale")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Omitting a field keeps it; an explicit null would mean "erase", which is not possible.
        if value is None:
            raise ValueError("null is not allowed; omit the field to keep it")
        return value


class Withdrawal(Schema):
    current_password: PresentedPassword
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = (
        Field(default=None, description="Optional: why you are leaving (kept for the office).")
    )


# --- Responses -----------------------------------------------------------------------------------


class AccessTokenOut(ResponseSchema):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>`.")
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the access token expires.")


class TokenPair(AccessTokenOut):
    refresh_token: str = Field(
        description="Single use: POST it to /auth/refresh for a new pair. Using it twice ends "
        "the session (R-ID-7)."
    )
    refresh_expires_at: datetime


class TermsStatusOut(ResponseSchema):
    current_terms_version: str | None
    current_privacy_version: str | None
    accepted_terms_version: str | None = Field(description="The newest version you accepted.")
    accepted_privacy_version: str | None
    needs_terms_acceptance: bool = Field(
        description="A newer current version exists that you have not accepted (R-ID-10)."
    )


class ProfileOut(ResponseSchema):
    id: uuid.UUID
    name: str
    email: str
    email_verified: bool
    role: Role
    status: AccountStatus
    customer_number: str | None
    organization_id: uuid.UUID | None
    locale: Locale
    created_at: datetime
    terms: TermsStatusOut


class RegistrationOut(ResponseSchema):
    account: ProfileOut
    tokens: TokenPair = Field(description="A first session, so the app is signed in at once.")


class ResetRequested(ResponseSchema):
    status: Literal["accepted"] = Field(
        description="Always the same, whether or not the address has an account (R-ID-5)."
    )


class RejoinRequested(ResponseSchema):
    status: Literal["accepted"] = Field(
        description="Always the same, whether or not the address has a withdrawn account."
    )


class VerificationResent(ResponseSchema):
    status: Literal["sent", "already_verified"]


class EmailChangeRequested(ResponseSchema):
    status: Literal["confirmation_sent"]
    expires_at: datetime = Field(description="The link sent to the new address works until then.")


class SessionOut(ResponseSchema):
    id: uuid.UUID
    created_at: datetime = Field(description="When you logged in.")
    last_used_at: datetime = Field(description="Last login or token refresh.")
    expires_at: datetime
    user_agent: str | None
    ip_address: str | None
    current: bool = Field(description="The session this request is made with.")


class TermsDocumentOut(ResponseSchema):
    kind: TermsKind
    version: str
    effective_on: date
    title: str
    body: str


class CurrentTerms(ResponseSchema):
    terms: TermsDocumentOut | None = Field(description="利用規約; null if none is in effect.")
    privacy: TermsDocumentOut | None = Field(description="個人情報の取扱い; null if none.")


class TermsAcceptanceOut(ResponseSchema):
    kind: TermsKind
    version: str
    effective_on: date
    title: str
    accepted_at: datetime


class TermsAcceptances(ResponseSchema):
    """Every version the member accepted (a short list: one entry per published version)."""

    items: list[TermsAcceptanceOut]
    status: TermsStatusOut
