"""Migrations are static and reversible: upgrade, downgrade to base, upgrade again on a fresh
database, and the upgraded schema matches the models (no pending autogenerate diff)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.models import Base
from app.models.migration_filter import include_object
from tests.db_harness import downgrade, migrate


async def _create_database(server_url: str, name: str) -> str:
    url = make_url(server_url)
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_database(server_url: str, name: str) -> None:
    url = make_url(server_url)
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def _schema_diff(connection, metadata):  # type: ignore[no-untyped-def]
    context = MigrationContext.configure(
        connection, opts={"include_object": include_object, "compare_type": True}
    )
    return compare_metadata(context, metadata)


async def test_migrations_round_trip_and_match_models(database_url: str) -> None:
    name = f"manabi_migr_{uuid.uuid4().hex[:8]}"
    url = await _create_database(database_url, name)
    try:
        await asyncio.to_thread(migrate, url, "heads")
        await asyncio.to_thread(downgrade, url, "base")
        await asyncio.to_thread(migrate, url, "heads")
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                diff = await connection.run_sync(_schema_diff, Base.metadata)
        finally:
            await engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        await _drop_database(database_url, name)
