"""The payment provider's webhook (R-PAY-2; PAYMENTS.md "Webhook endpoint").

`POST /api/v1/webhooks/amazon-pay` takes Amazon Pay IPN messages (SNS envelopes, text/plain):

1. the raw body, capped in size; the `x-amz-sns-message-type` header must equal the body's Type;
2. certificate URL, certificate, signature, TopicArn, MerchantID and version are verified
   (`app.payments.provider.sns`);
3. a Notification is stored in the inbox keyed by MessageId together with the job that
   processes it, then answered 202 — duplicates too. Confirmation messages are verified, logged
   and answered 202; their SubscribeURL is never fetched.

400 `payment-notification-invalid` when verification fails (nothing stored); 503 when the
certificate could not be fetched or the message could not be stored, so the provider retries.
No authentication header: the signature is the authentication.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import BadRequest, ServiceUnavailable
from app.kit.problems import problem_responses
from app.payments.provider.sns import (
    CertificateUnavailable,
    InvalidNotification,
    NotificationVerifier,
    parse_envelope,
)
from app.payments.webhook import inbox

logger = logging.getLogger("manabi.payments")

router = APIRouter(tags=["payments"])


class NotificationInvalid(BadRequest):
    type = "payment-notification-invalid"
    title = {"ja": "通知を検証できません", "en": "The notification could not be verified"}
    detail = {"ja": "理由: {reason}", "en": "Reason: {reason}"}


class NotificationNotStored(ServiceUnavailable):
    type = "payment-notification-not-stored"
    title = {
        "ja": "通知を受け付けられませんでした",
        "en": "The notification could not be accepted",
    }
    detail = {"ja": "時間をおいて再送してください。", "en": "Please retry later."}


def verifier_of(request: Request) -> NotificationVerifier:
    verifier: NotificationVerifier | None = getattr(
        request.app.state, "notification_verifier", None
    )
    if verifier is None:
        verifier = NotificationVerifier.from_settings(request.app.state.settings)
        request.app.state.notification_verifier = verifier
    return verifier


async def _read_capped(request: Request, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise NotificationInvalid(reason="body_too_large", extensions={"reason": "body_too_large"})
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise NotificationInvalid(
                reason="body_too_large", extensions={"reason": "body_too_large"}
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/webhooks/amazon-pay",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="payments_receive_provider_notification",
    summary="Amazon Pay notification (IPN) intake",
    description="For the payment provider only, authenticated by the SNS signature (R-PAY-2). "
    "Verified messages are stored by MessageId and processed in the background, where the "
    "object's current state is read from the provider; duplicates and out-of-order deliveries "
    "change nothing twice. Body: the SNS envelope as `text/plain`.",
    responses=problem_responses(NotificationInvalid, NotificationNotStored),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def receive_notification(request: Request, session: DbSession, now: Now) -> Response:
    settings: Settings = request.app.state.settings
    raw = await _read_capped(request, settings.payment_webhook_max_body_bytes)
    try:
        envelope = parse_envelope(
            raw,
            header_type=request.headers.get("x-amz-sns-message-type"),
            max_bytes=settings.payment_webhook_max_body_bytes,
        )
        message = await verifier_of(request).verify(envelope)  # real time: certificates
    except CertificateUnavailable as error:
        logger.warning("payment notification certificate unavailable")
        raise NotificationNotStored() from error
    except InvalidNotification as error:
        logger.warning("payment notification refused", extra={"reason": error.reason})
        raise NotificationInvalid(
            reason=error.reason, extensions={"reason": error.reason}
        ) from error
    if message is None:
        logger.info(
            "payment notification confirmation message verified", extra={"type": envelope.type}
        )
        return Response(status_code=status.HTTP_202_ACCEPTED)
    try:
        await inbox.store(session, envelope, message, now=now)
        await session.commit()
    except SQLAlchemyError as error:
        logger.exception("payment notification could not be stored")
        raise NotificationNotStored() from error
    return Response(status_code=status.HTTP_202_ACCEPTED)
