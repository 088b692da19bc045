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
from app.models.event import (
    Event,
    EventChatMessage,
    EventDelivery,
    EventKind,
    EventRegistration,
    EventStatus,
    RegistrationCancelReason,
    RegistrationStatus,
)
from app.models.media import FileKind, Material, MaterialDownload, Tool, ToolCategory, VideoAsset
from app.models.platform import EmailOutbox, EmailStatus, IdempotencyRecord, TestClockState
from app.models.progress import (
    CompletionSource,
    LessonProgress,
    ProgressEvent,
    QuizAttempt,
    QuizAttemptAnswer,
    QuizChoice,
    QuizQuestion,
)
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
    "CompletionSource",
    "ContentSet",
    "ContentSetCourse",
    "Course",
    "CourseKind",
    "CourseProgram",
    "CustomerRecord",
    "EmailOutbox",
    "EmailStatus",
    "EntitlementGrant",
    "Event",
    "EventChatMessage",
    "EventDelivery",
    "EventKind",
    "EventRegistration",
    "EventStatus",
    "FileKind",
    "GrantScope",
    "GrantSource",
    "IdempotencyRecord",
    "Lesson",
    "LessonKind",
    "LessonProgress",
    "LoginFailure",
    "Material",
    "MaterialDownload",
    "Model",
    "Organization",
    "ProgressEvent",
    "QuizAttempt",
    "QuizAttemptAnswer",
    "QuizChoice",
    "QuizQuestion",
    "RateLimitWindow",
    "RefreshToken",
    "RegistrationCancelReason",
    "RegistrationStatus",
    "Role",
    "TermsAcceptance",
    "TermsDocument",
    "TermsKind",
    "TestClockState",
    "Tool",
    "ToolCategory",
    "User",
    "VideoAsset",
]
