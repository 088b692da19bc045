"""Problems shared by every payment flow (subscriptions, purchases, refunds, re-enrollment fees)."""

from __future__ import annotations

from app.kit.errors import ServiceUnavailable


class PaymentProviderUnavailable(ServiceUnavailable):
    """Amazon Pay could not be reached (after the adapter's retries) or is not configured. The
    request changed nothing; a retry with the same Idempotency-Key is never charged twice."""

    type = "payment-provider-unavailable"
    title = {
        "ja": "決済サービスに接続できません",
        "en": "The payment service cannot be reached",
    }
    detail = {
        "ja": "しばらくしてから同じ Idempotency-Key でもう一度お試しください。二重に請求されることはありません。",
        "en": "Try again shortly with the same Idempotency-Key; you will not be charged twice.",
    }
