"""Test harness: real PostgreSQL and Redis, SQLite as the embedded default.

* Each backend's schema is built once per session by the real Alembic migrations.
* ``runtime`` gives a test a Runtime whose sessions all live inside one outer transaction
  that is rolled back at the end (SAVEPOINTs stand in for the app's commits).
* ``committed_runtime`` is for tests that need real commits across connections or
  processes (concurrency, crashes); it empties the tables afterwards.
* The PostgreSQL and Redis fixtures FAIL when the servers are away: they are never skipped.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from hotline.core.config import Settings
from hotline.core.db import create_engine
from hotline.core.metrics import Metrics
from hotline.core.migrations import upgrade
from hotline.core.queue import InProcessQueue, Queue, RedisStreamQueue
from hotline.core.runtime import Runtime
from hotline.intake.spool import Spool
from hotline.main import create_app
from hotline.models import Base
from tests.fixtures.env import (
    AUTH_TOKEN,
    BACKENDS,
    DATA_KEYS,
    PG_ADMIN_DSN,
    PG_DATABASE,
    PG_URL,
    PUBLIC_BASE_URL,
    REDIS_URL,
)

# Property tests: no time limit per example (a 2-core machine running two test processes
# stalls now and then), and in CI (.ci/run sets CI=1) the same examples on every run, so a
# red run is reproducible and never a draw of the dice. Locally each run explores anew.
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


async def drop_pg_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def recreate_pg_database(name: str) -> None:
    try:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is not answering at {PG_ADMIN_DSN}: {exc!r}", pytrace=False)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def make_settings(database_url: str, tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "development",
        "database_url": database_url,
        "redis_url": None,
        "public_base_url": PUBLIC_BASE_URL,
        "twilio_auth_token": AUTH_TOKEN,
        "secret_key": "test-secret-key-0123456789abcdef",
        "caller_pepper": "test-pepper-0123456789abcdef",
        "data_keys": DATA_KEYS,
        "spool_dir": tmp / "spool",
        "sweep_after_seconds": 0.0,
        "reclaim_after_seconds": 0.2,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


pytest_plugins = ["tests.fixtures.fake_twilio", "tests.fixtures.logs"]


@dataclass
class Databases:
    sqlite_url: str
    postgres_url: str

    def url(self, backend: str) -> str:
        return self.postgres_url if backend == "postgres" else self.sqlite_url


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Both schemas, built by the migrations (not by create_all) once per test session."""
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'hotline.sqlite3'}"
    asyncio.run(recreate_pg_database(PG_DATABASE))
    upgrade(sqlite_url)
    upgrade(PG_URL)
    yield Databases(sqlite_url=sqlite_url, postgres_url=PG_URL)
    asyncio.run(drop_pg_database(PG_DATABASE))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, databases: Databases, tmp_path: Path) -> Settings:
    return make_settings(databases.url(backend), tmp_path)


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"Redis is not answering at {REDIS_URL}: {exc!r}", pytrace=False)
    yield client
    await client.aclose()


@pytest.fixture
async def redis_queue(redis_client: aioredis.Redis) -> AsyncIterator[RedisStreamQueue]:
    """A queue on a stream of its own, deleted afterwards."""
    stream = f"hotline:test:{uuid.uuid4().hex}"
    queue = RedisStreamQueue.from_url(REDIS_URL, stream=stream)
    yield queue
    await redis_client.delete(stream)
    await queue.close()


@pytest.fixture
async def queue(backend: str, redis_queue: RedisStreamQueue) -> Queue:
    """Redis Streams with PostgreSQL, the in-process queue with SQLite: the two real pairings."""
    return redis_queue if backend == "postgres" else InProcessQueue()


@pytest.fixture
async def connection(settings: Settings) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(settings, pooled=False)
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield conn
        await outer.rollback()
    await engine.dispose()


@pytest.fixture
async def runtime(
    settings: Settings, connection: AsyncConnection, queue: Queue, tmp_path: Path
) -> AsyncIterator[Runtime]:
    engine = create_engine(settings, pooled=False)
    sessions = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    rt = Runtime(
        settings=settings, engine=engine, sessions=sessions, queue=queue, spool=Spool(tmp_path / "spool")
    )
    yield rt
    await engine.dispose()


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    async with runtime.sessions() as s:
        yield s


async def truncate_all(settings: Settings) -> None:
    engine = create_engine(settings, pooled=False)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Triggers keep audit_log append-only; a test database is the one place to bypass them.
            await conn.execute(text("SET session_replication_role = replica"))
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())
    await engine.dispose()


@pytest.fixture
async def committed_runtime(settings: Settings, queue: Queue, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A Runtime that really commits, for concurrency and crash tests; tables emptied afterwards."""
    from hotline.core.runtime import build_runtime

    await truncate_all(settings)
    rt = build_runtime(settings, queue=queue)
    rt.spool = Spool(tmp_path / "spool")
    yield rt
    await rt.engine.dispose()
    await truncate_all(settings)


def app_for(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime=runtime, with_worker=False)


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture(autouse=True)
def _no_network_proxy_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """httpx must talk to loopback directly even when the machine sets a proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return
