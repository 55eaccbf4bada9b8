"""Migrations: no drift between models and migrations, and they go down and up on both backends."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from hotline.core.migrations import check, downgrade, upgrade
from hotline.models import Base
from tests.conftest import drop_pg_database, recreate_pg_database

PG_MIGRATIONS_DB = f"hotline_migrations_test_{os.getpid()}"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    asyncio.run(recreate_pg_database(PG_MIGRATIONS_DB))
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_MIGRATIONS_DB}"
    asyncio.run(drop_pg_database(PG_MIGRATIONS_DB))


async def tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database: str) -> None:
    upgrade(empty_database)
    check(empty_database)  # raises when a model changed without a migration
    assert asyncio.run(tables(empty_database)) == set(Base.metadata.tables)
    downgrade(empty_database, "base")
    assert asyncio.run(tables(empty_database)) == set()
    upgrade(empty_database)
    check(empty_database)
