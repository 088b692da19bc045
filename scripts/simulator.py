"""Run the payment provider simulator on loopback (R-PAY-3), for `make run` and by hand.

    python scripts/simulator.py [--port 8001] [--webhook-url URL] [--key-file PEM]...
                                [--public-key-id ID] [--merchant-id ID] [--topic-arn ARN]
                                [--sns-region REGION] [--mode push|hold] [--signature-version 1|2]
                                [--state-file PATH]

Defaults come from the app's settings (`MANABI_PAYMENT_*`), so with the same environment as the
API it needs no argument: the key of `MANABI_PAYMENT_PRIVATE_KEY_FILE`/`_PEM` is registered
under `MANABI_PAYMENT_PUBLIC_KEY_ID`, notifications are pushed to
`<MANABI_PUBLIC_BASE_URL>/api/v1/webhooks/amazon-pay` unless `--webhook-url` says otherwise.
`--key-file` takes a private or a public PEM (the public half is derived); `--key ID=PATH`
registers more keys. `--state-file PATH` keeps what the provider keeps (sessions, permissions,
charges, refunds, idempotency answers, queued outcomes, the clock) in that JSON file, so a
restart continues where it left off; without it everything is in memory. The control API (`/_sim/...`) is described in `app/payments/simulator`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings
from app.payments.provider.signing import load_public_key, public_key_pem_of
from app.payments.simulator import SimulatorConfig, create_simulator_app

WEBHOOK_PATH = "/api/v1/webhooks/amazon-pay"


def public_pem(text: str) -> str:
    """The public PEM of a private or public PEM key."""
    if "PRIVATE KEY" in text:
        return public_key_pem_of(text)
    load_public_key(text)  # raises on anything else
    return text


def collect_keys(args: argparse.Namespace, settings: Settings) -> dict[str, str]:
    keys: dict[str, str] = {}
    for path in args.key_file or []:
        keys[args.public_key_id] = public_pem(Path(path).read_text(encoding="utf-8"))
    for pair in args.key or []:
        key_id, separator, path = pair.partition("=")
        if not separator:
            raise SystemExit(f"--key expects ID=PATH, not {pair!r}")
        keys[key_id] = public_pem(Path(path).read_text(encoding="utf-8"))
    if not keys:
        own = settings.payment_private_key()
        if own:
            keys[args.public_key_id] = public_pem(own)
    return keys


def parse_args(argv: list[str], settings: Settings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--webhook-url", default=settings.public_base_url.rstrip("/") + WEBHOOK_PATH
    )
    parser.add_argument("--key-file", action="append", help="PEM key for --public-key-id")
    parser.add_argument("--key", action="append", help="ID=PATH of another PEM key")
    parser.add_argument("--public-key-id", default=settings.payment_public_key_id)
    parser.add_argument("--merchant-id", default=settings.payment_merchant_id)
    parser.add_argument("--topic-arn", default=settings.payment_sns_topic_arn)
    parser.add_argument("--sns-region", default=settings.payment_sns_region)
    parser.add_argument("--mode", choices=["push", "hold"], default="push")
    parser.add_argument("--signature-version", choices=["1", "2"], default="2")
    parser.add_argument(
        "--state-file", type=Path, default=None, help="JSON file keeping the state across restarts"
    )
    parser.add_argument("--log-level", default="warning")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    args = parse_args(sys.argv[1:] if argv is None else argv, settings)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit("the simulator serves loopback only")
    config = SimulatorConfig(
        merchant_id=args.merchant_id,
        topic_arn=args.topic_arn,
        sns_region=args.sns_region,
        webhook_url=args.webhook_url or None,
        public_keys=collect_keys(args, settings),
        notification_mode=args.mode,
        signature_version=args.signature_version,
        state_file=args.state_file,
    )
    print(
        f"provider simulator on http://{args.host}:{args.port}/v2 "
        f"(keys: {', '.join(config.public_keys) or 'none, register with POST /_sim/keys'}; "
        f"webhook: {config.webhook_url}; state: {config.state_file or 'in memory'})",
        flush=True,
    )
    uvicorn.run(
        create_simulator_app(config), host=args.host, port=args.port, log_level=args.log_level
    )


if __name__ == "__main__":
    main()
