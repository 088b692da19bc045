"""The public certificate check is rate limited per client address (R-ENR-13): it answers a
learner's name, so numbers must not be walkable."""

from __future__ import annotations

import httpx

from app.reports.router import CERTIFICATE_CHECKS_PER_MINUTE


async def test_r_enr_13_certificate_checks_are_limited_per_address(
    committing_client: httpx.AsyncClient,
) -> None:
    # A frozen clock keeps every check inside one window (windows are aligned to the minute).
    frozen = await committing_client.put(
        "/api/v1/dev/clock", json={"frozen_at": "2027-03-01T10:00:30+09:00"}
    )
    assert frozen.status_code == 200
    statuses = [
        (await committing_client.get(f"/api/v1/certificates/2027-ABCD-{n:04d}")).status_code
        for n in range(CERTIFICATE_CHECKS_PER_MINUTE + 1)
    ]
    assert statuses[:-1] == [404] * CERTIFICATE_CHECKS_PER_MINUTE
    assert statuses[-1] == 429
    refused = await committing_client.get("/api/v1/certificates/2027-ABCD-9999")
    assert refused.status_code == 429
    assert refused.json()["type"] == "certificate-verification-rate-limited"
    assert int(refused.headers["Retry-After"]) >= 1
