"""The payment provider (Amazon Pay API v2 shapes): adapter, objects, signing, SNS verification.

R-PAY-1 (adapter: signed, idempotent, retried calls) and R-PAY-2 (notification verification).
"""

from app.payments.provider.client import ProviderClient, build_provider_client
from app.payments.provider.errors import (
    ProviderError,
    ProviderIdempotencyConflict,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from app.payments.provider.objects import (
    Charge,
    ChargePermission,
    ChargePermissionState,
    ChargePermissionType,
    ChargeState,
    CheckoutSession,
    CheckoutSessionState,
    DeclineReason,
    PermissionReason,
    Refund,
    RefundState,
    StatusDetails,
)
from app.payments.provider.sns import (
    CertificateUnavailable,
    Envelope,
    InvalidNotification,
    IpnMessage,
    IpnObjectType,
    NotificationVerifier,
    parse_envelope,
)

__all__ = [
    "CertificateUnavailable",
    "Charge",
    "ChargePermission",
    "ChargePermissionState",
    "ChargePermissionType",
    "ChargeState",
    "CheckoutSession",
    "CheckoutSessionState",
    "DeclineReason",
    "Envelope",
    "InvalidNotification",
    "IpnMessage",
    "IpnObjectType",
    "NotificationVerifier",
    "PermissionReason",
    "ProviderClient",
    "ProviderError",
    "ProviderIdempotencyConflict",
    "ProviderNotFound",
    "ProviderRejected",
    "ProviderUnavailable",
    "Refund",
    "RefundState",
    "StatusDetails",
    "build_provider_client",
    "parse_envelope",
]
