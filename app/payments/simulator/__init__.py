"""The payment provider simulator: Amazon Pay API v2 on loopback, for development and tests (R-PAY-3).

`create_simulator_app(SimulatorConfig(...))` builds a FastAPI app holding everything in memory;
with `SimulatorConfig(state_file=...)` (`scripts/simulator.py --state-file`; `make run` uses
`.devpay/simulator-state.json`) what the provider keeps (sessions, permissions, charges,
refunds, idempotency answers, queued outcomes, the clock's setting, keys registered at run time)
is also written to that JSON file after every change and loaded at start, so a restart continues
where it left off; faults, notifications and background tasks are not kept (`persistence.py`).
`scripts/simulator.py` serves it (`make run`), `tests/payments/conftest.py` runs it in a thread
(in memory).

Provider API (`/v2/...`, signed with a registered key, see `routes.py`): checkout sessions
(create, get, complete), charge permissions (get, close), charges (create, get, capture,
cancel), refunds (create, get). Each state change of a charge permission, charge or refund sends
one SNS-signed IPN notification (`notifier.py`) with the simulator's own certificate.

Control API (`/_sim/...`, not signed, loopback clients only):

| call | does |
|---|---|
| `POST /_sim/keys {publicKeyId, publicKeyPem}` | register a merchant public key |
| `GET /_sim/checkout/{id}` | the buyer's page: approve and 303 back to the return URL |
| `POST /_sim/checkoutSessions/{id}/approve` | the buyer approves: `{redirectUrl}` with `amazonCheckoutSessionId` |
| `POST /_sim/checkoutSessions/{id}/cancel` | the buyer abandons the checkout |
| `POST /_sim/chargePermissions/{id}/outcomes {outcomes}` | queue outcomes of the next charges (`Captured`, `SoftDeclined`, `HardDeclined`, `ProcessingFailure`; default Captured); also `/_sim/checkoutSessions/{id}/outcomes` for a charge taken at checkout |
| `POST /_sim/chargePermissions/{id}/fix` | the buyer fixes the payment method: NonChargeable → Chargeable |
| `POST /_sim/chargePermissions/{id}/invalidate {reason}` | the method expires: Chargeable → NonChargeable |
| `POST /_sim/chargePermissions/{id}/buyerClose` | the buyer cancels: Closed (BuyerCanceled) |
| `POST /_sim/refunds/{id}/settle {outcome}` | settle a refund (Refunded or Declined) |
| `PUT /_sim/refunds/settlement {mode, delaySeconds}` | `auto` (default: settle in the background) or `manual` |
| `PUT /_sim/notifications/mode {mode, duplicate, delaySeconds, signatureVersion, webhookUrl, maxAttempts, backoffSeconds}` | delivery: `push` or `hold`, each sent N times, delayed, signed v1/v2 |
| `GET /_sim/notifications` | every notification with its delivery attempts and status codes |
| `GET /_sim/notifications/held?take=true` | the held ones as raw bodies and headers (removed unless take=false) |
| `POST /_sim/notifications/release {order}` | deliver the held ones `in_order` or `reversed` |
| `POST /_sim/notifications/subscriptionConfirmation` | emit a signed SubscriptionConfirmation |
| `POST /_sim/faults {status, count, pathPrefix, method, when, retryAfter}` | answer the next calls with 408/429/5xx, `before` processing or `after` (answer lost) |
| `PUT /_sim/clock {frozenAt, offsetSeconds}` / `GET /_sim/clock` | the simulator's clock (follow the app's test clock) |
| `POST /_sim/wait {timeoutSeconds}` | wait until no delivery or settlement is in flight |
| `GET /_sim/objects/{id}` | any object, unsigned (for tests) |
| `GET /_sim/sns/{cert name}` | the SNS signing certificate (PEM) |
| `POST /_sim/reset {objects}` | back to the configured modes; `objects=true` forgets every object (and empties the state file) |
"""

from app.payments.simulator.app import create_simulator_app
from app.payments.simulator.config import SimulatorConfig

__all__ = ["SimulatorConfig", "create_simulator_app"]
