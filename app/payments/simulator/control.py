"""The simulator's control API under `/_sim` (R-PAY-3): the buyer's and the test's hands.

Not signed; answered only to loopback clients. See the package docstring for the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from app.payments.provider.objects import ProviderModel
from app.payments.simulator.notifier import NotificationRecord
from app.payments.simulator.requests import SimulatorError
from app.payments.simulator.routes import State, answer
from app.payments.simulator.state import Fault

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})


def loopback_only(request: Request) -> None:
    host = request.client.host if request.client else None
    if host not in LOOPBACK:
        raise HTTPException(status_code=403, detail="the control API answers loopback only")


router = APIRouter(prefix="/_sim", dependencies=[Depends(loopback_only)])


class ControlBody(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class KeyBody(ControlBody):
    public_key_id: str
    public_key_pem: str


class OutcomesBody(ControlBody):
    outcomes: list[Literal["Captured", "SoftDeclined", "HardDeclined", "ProcessingFailure"]]


class InvalidateBody(ControlBody):
    reason: str = "PaymentMethodExpired"


class SettleBody(ControlBody):
    outcome: Literal["Refunded", "Declined"] = "Refunded"


class SettlementBody(ControlBody):
    mode: Literal["auto", "manual"]
    delay_seconds: float = Field(default=0.0, ge=0)


class NotificationModeBody(ControlBody):
    mode: Literal["push", "hold"] | None = None
    duplicate: int | None = Field(default=None, ge=1, le=20)
    delay_seconds: float | None = Field(default=None, ge=0, le=600)
    signature_version: Literal["1", "2"] | None = None
    webhook_url: str | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=50)
    backoff_seconds: float | None = Field(default=None, ge=0, le=600)


class ReleaseBody(ControlBody):
    order: Literal["in_order", "reversed"] = "in_order"


class FaultBody(ControlBody):
    status: int = Field(default=503, ge=400, le=599)
    count: int = Field(default=1, ge=1)
    path_prefix: str = "/v2/"
    method: str | None = None
    when: Literal["before", "after"] = "before"
    retry_after: int | None = Field(default=None, ge=0)


class ClockBody(ControlBody):
    frozen_at: datetime | None = None
    offset_seconds: float = 0


class WaitBody(ControlBody):
    timeout_seconds: float = Field(default=5.0, gt=0, le=120)


class ResetBody(ControlBody):
    objects: bool = False


def _summaries(records: list[NotificationRecord]) -> list[dict[str, Any]]:
    return [record.summary() for record in records]


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/keys", status_code=201)
async def register_key(body: KeyBody, state: State) -> dict[str, str]:
    try:
        state.register_key(body.public_key_id, body.public_key_pem)
    except ValueError as error:
        raise SimulatorError(400, "InvalidParameterValue", str(error)) from error
    return {"publicKeyId": body.public_key_id}


@router.get("/sns/{name}")
async def certificate(name: str, state: State) -> Response:
    if name != state.signer.cert_name:
        raise HTTPException(status_code=404, detail="no such certificate")
    return Response(state.signer.certificate_pem, media_type="application/x-pem-file")


@router.get("/checkout/{session_id}")
async def buyer_checkout_page(session_id: str, state: State) -> RedirectResponse:
    """The buyer's browser lands here (amazonPayRedirectUrl): approve, go back to the shop."""
    return RedirectResponse(state.store.approve_checkout(session_id), status_code=303)


@router.post("/checkoutSessions/{session_id}/approve")
async def approve_checkout(session_id: str, state: State) -> dict[str, str]:
    return {"redirectUrl": state.store.approve_checkout(session_id)}


@router.post("/checkoutSessions/{session_id}/cancel")
async def cancel_checkout(session_id: str, state: State) -> JSONResponse:
    return answer(state.store.cancel_checkout(session_id))


@router.post("/checkoutSessions/{session_id}/outcomes")
@router.post("/chargePermissions/{session_id}/outcomes")
async def queue_outcomes(session_id: str, body: OutcomesBody, state: State) -> dict[str, Any]:
    """Outcomes of the next charges on this permission (or taken at this checkout)."""
    state.store.queue_outcomes(session_id, list(body.outcomes))
    return {"queued": list(state.store.outcomes[session_id])}


@router.post("/chargePermissions/{permission_id}/fix")
async def fix_payment_method(permission_id: str, state: State) -> JSONResponse:
    return answer(state.store.fix_payment_method(permission_id))


@router.post("/chargePermissions/{permission_id}/invalidate")
async def invalidate_payment_method(
    permission_id: str, body: InvalidateBody, state: State
) -> JSONResponse:
    return answer(state.store.invalidate_payment_method(permission_id, body.reason))


@router.post("/chargePermissions/{permission_id}/buyerClose")
async def buyer_close(permission_id: str, state: State) -> JSONResponse:
    permission = state.store.close_permission(
        permission_id, reason="BuyerCanceled", cancel_pending=True
    )
    return answer(permission)


@router.get("/objects/{object_id}")
async def get_object(object_id: str, state: State) -> JSONResponse:
    store = state.store
    kinds: tuple[Mapping[str, ProviderModel], ...] = (
        store.sessions,
        store.permissions,
        store.charges,
        store.refunds,
    )
    for objects in kinds:
        if object_id in objects:
            return answer(objects[object_id])
    raise HTTPException(status_code=404, detail="no such object")


@router.post("/refunds/{refund_id}/settle")
async def settle_refund(refund_id: str, body: SettleBody, state: State) -> JSONResponse:
    return answer(state.store.settle_refund(refund_id, body.outcome))


@router.put("/refunds/settlement")
async def refund_settlement(body: SettlementBody, state: State) -> dict[str, Any]:
    state.refund_settlement = body.mode
    state.refund_settle_delay_seconds = body.delay_seconds
    return {"mode": body.mode, "delaySeconds": body.delay_seconds}


@router.put("/notifications/mode")
async def notification_mode(body: NotificationModeBody, state: State) -> dict[str, Any]:
    notifier = state.notifier
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(notifier, name, value)
    return {
        "mode": notifier.mode,
        "duplicate": notifier.duplicate,
        "delaySeconds": notifier.delay_seconds,
        "signatureVersion": notifier.signature_version,
        "webhookUrl": notifier.webhook_url,
        "maxAttempts": notifier.max_attempts,
        "backoffSeconds": notifier.backoff_seconds,
    }


@router.get("/notifications")
async def notifications(state: State) -> list[dict[str, Any]]:
    return _summaries(state.notifier.records)


@router.get("/notifications/held")
async def held_notifications(state: State, take: bool = True) -> list[dict[str, Any]]:
    """Raw bodies and headers of the held notifications (`take=true` removes them)."""
    return [record.raw() for record in state.notifier.take_held(remove=take)]


@router.post("/notifications/release")
async def release_notifications(body: ReleaseBody, state: State) -> list[dict[str, Any]]:
    return _summaries(await state.notifier.release(reverse=body.order == "reversed"))


@router.post("/notifications/subscriptionConfirmation")
async def subscription_confirmation(state: State) -> dict[str, Any]:
    return state.notifier.subscription_confirmation().raw()


@router.post("/wait")
async def wait_idle(body: WaitBody, state: State) -> dict[str, bool]:
    return {"idle": await state.wait_idle(body.timeout_seconds)}


@router.post("/faults", status_code=201)
async def inject_fault(body: FaultBody, state: State) -> dict[str, Any]:
    state.faults.append(
        Fault(
            status=body.status,
            remaining=body.count,
            path_prefix=body.path_prefix,
            method=body.method,
            when=body.when,
            retry_after=body.retry_after,
        )
    )
    return {"faults": len(state.faults)}


@router.put("/clock")
async def set_clock(body: ClockBody, state: State) -> dict[str, str]:
    state.clock.set(frozen_at=body.frozen_at, offset_seconds=body.offset_seconds)
    return {"now": state.clock.now().isoformat()}


@router.get("/clock")
async def get_clock(state: State) -> dict[str, str]:
    return {"now": state.clock.now().isoformat()}


@router.post("/reset")
async def reset(body: ResetBody, state: State) -> dict[str, bool]:
    if body.objects:
        state.reset_all()
    else:
        state.reset_modes()
    return {"objects": body.objects}
