"""The benchmark's dataset and load rows: generated once into `manabi_bench_<scale>` (COPY,
bench/generate.py) and reused while the migrations, the generator, the scale and the seed are
unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from pathlib import Path

import asyncpg

from bench import database, generate, loadset
from bench.console import say

ROOT = Path(__file__).resolve().parent.parent


def fingerprint(scale: generate.Scale, seed: int) -> str:
    digest = hashlib.sha256(f"{scale}|{seed}".encode())
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update((ROOT / "bench" / "generate.py").read_bytes())
    return digest.hexdigest()[:16]


async def existing_fingerprint(url: str) -> str | None:
    try:
        connection = await asyncpg.connect(database.asyncpg_dsn(url))
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        if not await connection.fetchval("SELECT to_regclass('bench_dataset') IS NOT NULL"):
            return None
        return await connection.fetchval("SELECT fingerprint FROM bench_dataset LIMIT 1")  # type: ignore[no-any-return]
    finally:
        await connection.close()


async def fill(url: str, scale: generate.Scale, seed: int, mark: str) -> None:
    connection = await asyncpg.connect(database.asyncpg_dsn(url))
    try:
        try:
            # The rows are consistent by construction: skip per-row foreign-key triggers.
            await connection.execute("SET session_replication_role = replica")
        except asyncpg.PostgresError as error:
            say(f"foreign-key checks stay on during the load ({error.__class__.__name__})")
        started = time.perf_counter()
        async with connection.transaction():
            out = await generate.generate(connection, scale, seed=seed, say=say)
        await connection.execute("RESET session_replication_role")
        total = sum(out.rows.values())
        seconds = time.perf_counter() - started
        say(f"dataset: {total:,} rows in {seconds:.1f}s ({total / seconds:,.0f} rows/s)")
        vacuum_started = time.perf_counter()
        await connection.execute("VACUUM (ANALYZE)")
        with contextlib.suppress(asyncpg.PostgresError):  # needs pg_checkpoint on a shared server
            await connection.execute("CHECKPOINT")
        say(f"VACUUM ANALYZE + CHECKPOINT in {time.perf_counter() - vacuum_started:.1f}s")
        await connection.execute(
            "CREATE TABLE bench_dataset (fingerprint text, scale text, rows jsonb, "
            "generated_at timestamptz DEFAULT now())"
        )
        await connection.execute(
            "INSERT INTO bench_dataset (fingerprint, scale, rows) VALUES ($1, $2, $3)",
            mark,
            scale.name,
            json.dumps(out.rows),
        )
    finally:
        await connection.close()


async def prepare_dataset(
    admin_url: str, scale: generate.Scale, *, seed: int, regenerate: bool
) -> str:
    name = f"manabi_bench_{scale.name}"
    mark = fingerprint(scale, seed)
    url = database.with_database(admin_url, name)
    if not regenerate and await existing_fingerprint(url) == mark:
        say(f"dataset: reusing database {name} (same migrations, generator, scale, seed)")
        return url
    say(f"dataset: generating {scale.name} scale into database {name}")
    url = await database.ensure_database(admin_url, name, recreate=True)
    await asyncio.to_thread(database.migrate, url)
    await fill(url, scale, seed, mark)
    return url


async def prepare_load(
    url: str, scale: generate.Scale, tokens: loadset.TokenSettings
) -> list[loadset.LoadRow]:
    from bench.ceiling import INSERT_TABLE_DDL

    connection = await asyncpg.connect(database.asyncpg_dsn(url))
    try:
        await connection.execute(INSERT_TABLE_DDL)
        await connection.execute("TRUNCATE bench_ceiling_insert")
        rows = await loadset.build_load_rows(connection, tokens, count=scale.load_members * 10)
    finally:
        await connection.close()
    return rows
