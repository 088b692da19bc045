"""Webhook intake throughput (issue 4): signed notifications accepted per second, none lost.

    python bench/webhook_intake.py [--quick] [--duration 10] [--connections 64]

Builds a signing identity like the simulator's (RSA key + self-signed certificate served on a
loopback port), signs N distinct Amazon Pay IPN envelopes (SignatureVersion 2, unique
MessageIds), starts the app with uvicorn (1 worker) against a fresh database of its own, and
loads `POST /api/v1/webhooks/amazon-pay` with wrk, every message sent once. Each request runs the
whole intake: size cap, envelope parsing, certificate URL checks, the (cached) certificate,
RSA signature verification, inbox INSERT … ON CONFLICT and the processing job's row, in one
transaction. Afterwards it counts: every message answered 202 must have exactly one inbox row
and one job ("lost" must be 0). No worker runs, so the jobs are not processed.

The app runs with MANABI_ENVIRONMENT=development (production refuses the certificate-fetch
override that points the verifier at the local certificate) and the test clock off.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import database, servers, wrk  # noqa: E402

LUA = ROOT / "bench" / "lua" / "webhook.lua"
MERCHANT_ID = "BENCHMERCHANT"
TOPIC_ARN = "arn:aws:sns:ap-northeast-1:000000000000:manabi-bench-ipn"
REGION = "ap-northeast-1"


@dataclass(frozen=True)
class IntakeResult:
    messages: int
    result: wrk.WrkResult
    wrapped: int
    stored: int
    jobs: int

    @property
    def accepted(self) -> int:
        return self.result.requests - self.result.errors_status

    @property
    def lost(self) -> int:
        """Distinct messages answered 202 without an inbox row (must be 0)."""
        distinct_sent = min(self.result.requests, self.messages)
        distinct_accepted = distinct_sent - self.result.errors_status
        return max(0, distinct_accepted - self.stored)


def sign_envelopes(count: int) -> tuple[list[str], bytes, str]:
    """`count` signed Notification envelopes, the certificate PEM and its file name."""
    from app.payments.simulator.certificates import SnsSigner

    signer = SnsSigner(region=REGION)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    bodies = []
    for number in range(count):
        message_id = str(uuid.uuid4())
        inner = {
            "MerchantID": MERCHANT_ID,
            "ObjectType": "CHARGE",
            "ObjectId": f"S03-{number:07d}-{secrets.randbelow(10**7):07d}-C{number:06d}",
            "ChargePermissionId": f"S03-{number:07d}-0000000",
            "NotificationType": "STATE_CHANGE",
            "NotificationId": str(uuid.uuid4()),
            "NotificationVersion": "V2",
        }
        fields = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": TOPIC_ARN,
            "Message": json.dumps(inner),
            "Timestamp": now,
            "SignatureVersion": "2",
            "SigningCertURL": signer.signing_cert_url,
        }
        to_sign = "".join(
            f"{key}\n{fields[key]}\n"
            for key in ("Message", "MessageId", "Timestamp", "TopicArn", "Type")
        ).encode()
        fields["Signature"] = signer.sign(to_sign, signature_version="2")
        fields["UnsubscribeURL"] = f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe"
        bodies.append(json.dumps(fields))
    return bodies, signer.certificate_pem, signer.cert_name


@contextmanager
def certificate_server(pem: bytes, name: str) -> Iterator[str]:
    """Serve the certificate at http://127.0.0.1:<port>/<name>; yields the base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith(name):
                self.send_response(200)
                self.send_header("Content-Type", "application/x-pem-file")
                self.end_headers()
                self.wfile.write(pem)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


async def count_rows(url: str) -> tuple[int, int]:
    import asyncpg

    connection = await asyncpg.connect(database.asyncpg_dsn(url))
    try:
        stored = await connection.fetchval("SELECT count(*) FROM payment_notification")
        jobs = await connection.fetchval(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE task_name = 'app.payments.tasks.process_payment_notification'"
        )
        return int(stored), int(jobs)
    finally:
        await connection.close()


def run_intake(
    url: str,
    *,
    wrk_binary: str,
    messages: int,
    duration: float,
    connections: int,
    threads: int,
    log_dir: Path,
    say: object = print,
) -> IntakeResult:
    """Sign, serve, load, count. `url` is an empty, migrated database."""
    started = time.monotonic()
    bodies, pem, name = sign_envelopes(messages)
    say(f"webhook intake: {messages:,} signed envelopes in {time.monotonic() - started:.1f}s")  # type: ignore[operator]
    with tempfile.TemporaryDirectory(prefix="manabi-webhook-") as tmp:
        bodies_file = Path(tmp) / "bodies.txt"
        bodies_file.write_text("\n".join(bodies) + "\n", encoding="utf-8")
        with certificate_server(pem, name) as cert_base:
            env = {
                **servers.app_environment(
                    url, secrets.token_urlsafe(48), secrets.token_urlsafe(48)
                ),
                "MANABI_ENVIRONMENT": "development",
                "MANABI_PAYMENT_MERCHANT_ID": MERCHANT_ID,
                "MANABI_PAYMENT_SNS_TOPIC_ARN": TOPIC_ARN,
                "MANABI_PAYMENT_SNS_REGION": REGION,
                "MANABI_PAYMENT_SNS_CERT_FETCH_BASE_URL": cert_base,
            }
            with servers.serve("app", env, workers=1, log_dir=log_dir) as app_server:
                command = [
                    wrk_binary,
                    f"-t{threads}",
                    f"-c{connections}",
                    f"-d{max(1, round(duration))}s",
                    "--timeout=10s",
                    "-s",
                    str(LUA),
                    app_server.base_url,
                    "--",
                    str(bodies_file),
                    str(threads),
                ]
                completed = subprocess.run(
                    command, capture_output=True, text=True, check=False, timeout=duration + 60
                )
                if completed.returncode != 0:
                    raise wrk.WrkError(completed.stderr[-2000:])
                result = wrk.parse_output(completed.stdout)
                wrapped = 0
                for line in completed.stdout.splitlines():
                    if line.startswith("BENCH_RESULT "):
                        wrapped = int(json.loads(line.removeprefix("BENCH_RESULT "))["wrapped"])
    stored, jobs = asyncio.run(count_rows(url))
    return IntakeResult(messages, result, wrapped, stored, jobs)


def format_result(outcome: IntakeResult) -> str:
    result = outcome.result
    return (
        f"webhook intake: {result.requests_per_second:,.0f} notifications/s accepted "
        f"(p50 {result.p50_us / 1000:.1f} ms, p99 {result.p99_us / 1000:.1f} ms, "
        f"{result.requests:,} requests, {result.errors_status} refused, "
        f"{result.socket_errors} socket errors); inbox rows {outcome.stored:,}, jobs "
        f"{outcome.jobs:,}, lost {outcome.lost}"
        + (f", {outcome.wrapped} thread wrap(s): duplicates absorbed" if outcome.wrapped else "")
    )


def prepare_database(admin_url: str) -> str:
    """A fresh, migrated database of its own (the inbox starts empty)."""
    url = asyncio.run(database.ensure_database(admin_url, "manabi_bench_webhook", recreate=True))
    database.migrate(url)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s run, 6,000 messages")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    duration = 3.0 if args.quick else args.duration
    messages = args.messages or (6_000 if args.quick else 25_000)
    wrk_binary = wrk.ensure_wrk()
    admin_url, embedded = database.server_url()
    try:
        url = prepare_database(admin_url)
        outcome = run_intake(
            url,
            wrk_binary=wrk_binary,
            messages=messages,
            duration=duration,
            connections=args.connections,
            threads=args.threads,
            log_dir=ROOT / "bench" / "results" / "webhook-logs",
        )
    finally:
        if embedded:
            database.stop_embedded()
    print(format_result(outcome), flush=True)
    return 0 if outcome.lost == 0 and outcome.result.errors_status == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
