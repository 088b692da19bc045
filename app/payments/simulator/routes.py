"""The simulator's provider API under `/v2` (R-PAY-3): signed, idempotent, Amazon Pay shapes.

Every call must carry a valid AMZN-PAY-RSASSA-PSS-V2 signature from a registered public key
(401 `InvalidRequestSignature` otherwise). POSTs that create something need
`x-amz-pay-idempotency-key`: the same key with the same body answers the first (successful)
answer again; with another body, 400 `DuplicateIdempotencyKey`. Refusals are not stored, so a
refused call can be repeated with the same key once the cause is gone.

A declined charge is answered 201 with the Charge in state `Declined` (decision: the charge
exists at the provider; the adapter returns it rather than raising).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app.payments.provider.objects import ProviderModel
from app.payments.provider.signing import RequestSignatureError, verify_request
from app.payments.simulator.requests import SimulatorError, idempotency_key, json_object
from app.payments.simulator.state import SimulatorState
from app.payments.simulator.store import StoredAnswer

router = APIRouter(prefix="/v2")


@dataclass(frozen=True)
class SignedCall:
    public_key_id: str
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def simulator_state(request: Request) -> SimulatorState:
    state: SimulatorState = request.app.state.simulator
    return state


State = Annotated[SimulatorState, Depends(simulator_state)]


async def signed_call(request: Request, state: State) -> SignedCall:
    raw = await request.body()
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("ascii").split("?", 1)[0] if raw_path else request.url.path
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        key_id = verify_request(
            method=request.method,
            path=path,
            query=request.url.query,
            headers=headers,
            body=raw,
            public_keys=state.public_keys,
        )
    except RequestSignatureError as error:
        raise SimulatorError(
            401, "InvalidRequestSignature", f"the request signature is not valid ({error.reason})"
        ) from error
    return SignedCall(key_id, request.method, path, headers, json_object(raw))


Call = Annotated[SignedCall, Depends(signed_call)]


def answer(model: ProviderModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.to_wire(), status_code=status)


def idempotent(
    state: SimulatorState,
    call: SignedCall,
    action: Callable[[], ProviderModel],
    *,
    status: int,
    key_required: bool = True,
) -> JSONResponse:
    key = idempotency_key(call.headers, required=key_required)
    if key is None:
        return answer(action(), status)
    fingerprint = json.dumps(call.body, sort_keys=True, separators=(",", ":"))
    stored = state.store.replay(
        call.public_key_id, key, method=call.method, path=call.path, fingerprint=fingerprint
    )
    if stored is not None:
        return JSONResponse(stored.document, status_code=stored.status)
    document = action().to_wire()
    state.store.remember(
        call.public_key_id, key, StoredAnswer(call.method, call.path, fingerprint, status, document)
    )
    return JSONResponse(document, status_code=status)


@router.post("/checkoutSessions")
async def create_checkout_session(request: Request, state: State, call: Call) -> JSONResponse:
    redirect_base = str(request.base_url)
    return idempotent(
        state,
        call,
        lambda: state.store.create_checkout_session(call.body, redirect_base=redirect_base),
        status=201,
    )


@router.get("/checkoutSessions/{session_id}")
async def get_checkout_session(session_id: str, state: State, call: Call) -> JSONResponse:
    return answer(state.store.session(session_id))


@router.post("/checkoutSessions/{session_id}/complete")
async def complete_checkout_session(session_id: str, state: State, call: Call) -> JSONResponse:
    return idempotent(
        state,
        call,
        lambda: state.store.complete_checkout(session_id, call.body),
        status=200,
        key_required=False,
    )


@router.get("/chargePermissions/{permission_id}")
async def get_charge_permission(permission_id: str, state: State, call: Call) -> JSONResponse:
    return answer(state.store.permission(permission_id))


@router.delete("/chargePermissions/{permission_id}/close")
async def close_charge_permission(permission_id: str, state: State, call: Call) -> JSONResponse:
    reason = call.body.get("closureReason")
    if not isinstance(reason, str) or not reason:
        raise SimulatorError(400, "MissingParameterValue", "closureReason is required")
    cancel_pending = call.body.get("cancelPendingCharges", False)
    if not isinstance(cancel_pending, bool):
        raise SimulatorError(400, "InvalidParameterValue", "cancelPendingCharges must be a boolean")
    permission = state.store.close_permission(
        permission_id, reason="MerchantClosed", cancel_pending=cancel_pending
    )
    return answer(permission)


@router.post("/charges")
async def create_charge(state: State, call: Call) -> JSONResponse:
    return idempotent(state, call, lambda: state.store.create_charge(call.body), status=201)


@router.get("/charges/{charge_id}")
async def get_charge(charge_id: str, state: State, call: Call) -> JSONResponse:
    return answer(state.store.charge(charge_id))


@router.post("/charges/{charge_id}/capture")
async def capture_charge(charge_id: str, state: State, call: Call) -> JSONResponse:
    return idempotent(
        state, call, lambda: state.store.capture_charge(charge_id, call.body), status=200
    )


@router.delete("/charges/{charge_id}/cancel")
async def cancel_charge(charge_id: str, state: State, call: Call) -> JSONResponse:
    return answer(state.store.cancel_charge(charge_id, call.body))


@router.post("/refunds")
async def create_refund(state: State, call: Call) -> JSONResponse:
    def create() -> ProviderModel:
        refund = state.store.create_refund(call.body)
        state.settle_refund_later(refund.refund_id)
        return refund

    return idempotent(state, call, create, status=201)


@router.get("/refunds/{refund_id}")
async def get_refund(refund_id: str, state: State, call: Call) -> JSONResponse:
    return answer(state.store.refund(refund_id))
