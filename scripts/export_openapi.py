"""Write or check openapi/openapi.json (the contract front ends and partners generate clients from).

python scripts/export_openapi.py write   rewrite the file from the app
python scripts/export_openapi.py check   fail when the file differs from what the app generates
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "openapi" / "openapi.json"
sys.path.insert(0, str(ROOT))


def generate() -> str:
    from app.config import Environment, Settings
    from app.main import create_app

    # The published contract: a production-shaped app, with the dev endpoints left out.
    settings = Settings(
        environment=Environment.development,
        database_url="postgresql+asyncpg://unused/unused",
        test_clock_enabled=False,
    )
    schema = create_app(settings).openapi()
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    current = generate()
    if command == "write":
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        TARGET.write_text(current, encoding="utf-8")
        print(f"wrote {TARGET.relative_to(ROOT)}")
        return 0
    existing = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if existing != current:
        print("openapi/openapi.json is stale: run `make openapi` and commit it.", file=sys.stderr)
        return 1
    print("openapi/openapi.json is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
