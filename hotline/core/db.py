"""Engines and sessions.

One engine per process, built in the app lifespan or the CLI command. The unit of work
belongs to the caller (a request dependency or a worker job): services flush, callers commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from hotline.core.config import Settings
from hotline.core.logging import get_logger

log = get_logger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]
POOL_SIZE = 32
POOL_OVERFLOW = 8


def create_engine(settings: Settings, *, pooled: bool = True, **kwargs: Any) -> AsyncEngine:
    """An engine that never prints row values and fails fast when the database is away.

    ``pooled=False`` (migrations, one-shot CLI commands) opens a connection per use.
    """
    url = settings.database_url
    if not pooled:
        kwargs["poolclass"] = NullPool
    if settings.is_sqlite:
        path = settings.sqlite_path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, hide_parameters=True, connect_args={"timeout": 15}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    connect_args = {"timeout": settings.db_connect_timeout_seconds, "command_timeout": 10}
    if pooled:
        # Enough pooled connections for the webhooks' concurrency: an overflow connection is
        # closed when returned, and opening one costs PostgreSQL a backend and re-prepared
        # statements, over and over under load.
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        kwargs.setdefault("pool_timeout", settings.db_connect_timeout_seconds)
    return create_async_engine(url, hide_parameters=True, connect_args=connect_args, **kwargs)


WARM_CONNECTIONS = 8


async def warm_pool(engine: AsyncEngine, connections: int = WARM_CONNECTIONS) -> None:
    """Open some of the pool's connections before the first webhook, not during the first burst.

    A new PostgreSQL connection costs a backend start, authentication and the driver's first
    round trips; opened one by one as the first concurrent webhooks arrive after a deploy,
    they stalled those webhooks for up to a second (docs/performance.md). A database that is
    away at start-up is not an error here: webhooks spool until it returns.
    """
    if engine.dialect.name != "postgresql":
        return

    async def one() -> None:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
            await asyncio.sleep(0.05)  # hold it, so that the others open connections of their own

    results = await asyncio.gather(*(one() for _ in range(connections)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        log.warning("db.warm_pool_failed", reason=type(failed[0]).__name__, failed=len(failed))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event (below) instead of pysqlite.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session committed on success and rolled back on any error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


Executor = AsyncSession | AsyncConnection
"""Where statements run: a session in a transaction, or a connection that commits each one."""


def autocommit_engine(engine: AsyncEngine) -> AsyncEngine | None:
    """PostgreSQL: a view of ``engine`` (same pool) whose connections commit each statement.

    For webhooks whose whole write is one statement: no BEGIN and no COMMIT saves two of the
    three round trips, and round trips, not SQL, are most of a webhook's cost (the event loop
    wakes for each; docs/performance.md). None on SQLite, whose writes take several statements.
    """
    if engine.dialect.name != "postgresql":
        return None
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@asynccontextmanager
async def single_statements(
    factory: SessionFactory, autocommit: AsyncEngine | None
) -> AsyncIterator[Executor]:
    """A place for writes each of which stands alone: an autocommit connection when there is one
    (:func:`autocommit_engine`), else a unit of work. The caller must not rely on two statements
    being atomic together."""
    if autocommit is None:
        async with unit_of_work(factory) as session:
            yield session
        return
    async with autocommit.connect() as connection:
        yield connection


def dialect_name(executor: Executor) -> str:
    if isinstance(executor, AsyncSession):
        return executor.get_bind().dialect.name
    return executor.dialect.name


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN.

    A deferred transaction that reads and then writes can fail with "database is locked" when
    another writer got in between (the lock upgrade cannot wait). Taking the lock at BEGIN turns
    that failure into a short queue behind ``busy_timeout``; readers are not blocked under WAL.
    """
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # probes and other single statements need no transaction at all
    connection.exec_driver_sql("BEGIN IMMEDIATE")
