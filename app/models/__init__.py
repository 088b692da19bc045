"""All tables. Import from here so alembic and the mappers see every model."""

from app.models.account_token import AccountToken, AccountTokenPurpose
from app.models.api_key import ApiKey
from app.models.audit import AuditEvent
from app.models.base import Base, Model
from app.models.content import Course, CourseKind, CourseProgram, Lesson, LessonKind
from app.models.customer import CustomerRecord
from app.models.entitlement import (
    ContentSet,
    ContentSetCourse,
    EntitlementGrant,
    GrantScope,
    GrantSource,
)
from app.models.platform import EmailOutbox, EmailStatus, IdempotencyRecord, TestClockState
from app.models.security_record import LoginFailure, RateLimitWindow
from app.models.session import AuthSession, RefreshToken
from app.models.terms import TermsAcceptance, TermsDocument, TermsKind
from app.models.user import AccountStatus, Organization, Role, User

__all__ = [
    "AccountStatus",
    "AccountToken",
    "AccountTokenPurpose",
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "Base",
    "ContentSet",
    "ContentSetCourse",
    "Course",
    "CourseKind",
    "CourseProgram",
    "CustomerRecord",
    "EmailOutbox",
    "EmailStatus",
    "EntitlementGrant",
    "GrantScope",
    "GrantSource",
    "IdempotencyRecord",
    "Lesson",
    "LessonKind",
    "LoginFailure",
    "Model",
    "Organization",
    "RateLimitWindow",
    "RefreshToken",
    "Role",
    "TermsAcceptance",
    "TermsDocument",
    "TermsKind",
    "TestClockState",
    "User",
]
