"""A worker killed with SIGKILL in the middle of a job: the job is done exactly once after restart.

Real processes, real PostgreSQL and Redis. The test holds a row lock on the outbox entry so the
first worker is provably mid-job (it has read the delivery and waits inside its transaction)
when it is killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from redis.exceptions import ResponseError
from sqlalchemy import func, select

from hotline.core.queue import RedisStreamQueue
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Case
from tests.conftest import app_for
from tests.fixtures.env import (
    AUTH_TOKEN,
    DATA_KEYS,
    PG_ADMIN_DSN,
    PG_DATABASE,
    PG_URL,
    PUBLIC_BASE_URL,
    REDIS_URL,
)
from tests.fixtures.twilio import ACCOUNT_SID, post_signed, sms_form

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def start_worker(stream: str, tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": PG_URL,
        "HOTLINE_REDIS_URL": REDIS_URL,
        "HOTLINE_QUEUE_STREAM": stream,
        "HOTLINE_RECLAIM_AFTER_SECONDS": "0.5",
        "HOTLINE_SWEEP_AFTER_SECONDS": "3600",
        "HOTLINE_SPOOL_DIR": str(tmp_path / f"spool-{name}"),
        "HOTLINE_CALLER_PEPPER": "test-pepper-0123456789abcdef",
        "HOTLINE_DATA_KEYS": DATA_KEYS,
        "HOTLINE_LOG_JSON": "true",
    }
    with (tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its own copy of the fd
        return subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", "worker"], env=env, stdout=log, stderr=log
        )


async def wait_for(predicate, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_job_interrupted_by_sigkill_is_processed_exactly_once_after_restart(
    committed_runtime: Runtime, redis_queue: RedisStreamQueue, tmp_path: Path
) -> None:
    transport = httpx.ASGITransport(app=app_for(committed_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await post_signed(
            client,
            "/twilio/sms/incoming",
            sms_form(
                sender="+237690000001", body="Ils ont pris son passeport à Douala", account_sid=ACCOUNT_SID
            ),
            auth_token=AUTH_TOKEN,
            public_base_url=PUBLIC_BASE_URL,
        )
    assert response.status_code == 200

    dsn = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    blocker = await asyncpg.connect(dsn)
    blocking = blocker.transaction()
    await blocking.start()
    await blocker.execute("SELECT id FROM outbox FOR UPDATE")

    async def pending() -> int:
        try:
            info = await redis_queue.client.xpending(redis_queue.stream, redis_queue.group)
        except ResponseError:  # the worker has not created the group yet
            return 0
        return int(info["pending"])

    async def cases() -> int:
        async with committed_runtime.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Case)) or 0)

    first = start_worker(redis_queue.stream, tmp_path, "first")
    try:
        await wait_for(lambda: _gt(pending, 0), 20, "the first worker to take the job")
        await asyncio.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
        await blocking.rollback()
        await blocker.close()
    assert await cases() == 0, "a killed job must leave nothing behind"

    second = start_worker(redis_queue.stream, tmp_path, "second")
    try:
        await wait_for(lambda: _gt(cases, 0), 30, "the restarted worker to finish the job")
        await wait_for(lambda: _eq(pending, 0), 10, "the job to be acknowledged")
        await asyncio.sleep(1.0)  # give a duplicate every chance to show up
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=10)
        except subprocess.TimeoutExpired:
            second.kill()
    assert second.returncode == 0, (tmp_path / "second.log").read_text()

    assert await cases() == 1
    async with committed_runtime.sessions() as session:
        opened = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "case.opened")
        )
    assert opened == 1


async def _gt(probe, value: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await probe() > value)


async def _eq(probe, value: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await probe() == value)
