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


# Only a guard against a hang: every wait below ends on an event (a row, a lock wait, a stream
# state), and on a loaded machine a worker's start-up alone has taken over 20 s.
GUARD_SECONDS = 180.0


async def wait_for(predicate, what: str, worker: subprocess.Popen[bytes]) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``predicate()`` holds; fail at once if the worker died, or after the guard."""
    deadline = time.monotonic() + GUARD_SECONDS
    while time.monotonic() < deadline:
        if await predicate():
            return
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited ({worker.returncode}) before {what}")
        await asyncio.sleep(0.05)
    raise AssertionError(f"no sign of {what} after {GUARD_SECONDS:.0f} s")


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

    async def blocked_on_the_outbox_lock() -> bool:
        """The worker's own connection is waiting for the blocker's row lock: provably mid-job.

        The blocker is inside its transaction, where PostgreSQL keeps the first pg_stat_activity
        snapshot until the transaction ends: cleared at every poll, or a first look taken before
        the worker began to wait would be the only one ever seen."""
        await blocker.execute("SELECT pg_stat_clear_snapshot()")
        waiting = await blocker.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock' AND query ILIKE '%outbox%'",
            PG_DATABASE,
        )
        return bool(waiting)

    async def stream_drained() -> bool:
        """Every entry of the stream was delivered to the group and acknowledged: no redelivery can come."""
        groups = await redis_queue.client.xinfo_groups(redis_queue.stream)
        group = next(g for g in groups if _text(g["name"]) == redis_queue.group)
        return int(group["pending"]) == 0 and int(group.get("lag") or 0) == 0

    first = start_worker(redis_queue.stream, tmp_path, "first")
    try:
        await wait_for(lambda: _gt(pending, 0), "the first worker to take the job", first)
        await wait_for(blocked_on_the_outbox_lock, "the first worker to wait on the job's row lock", first)
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
        await wait_for(lambda: _gt(cases, 0), "the restarted worker to finish the job", second)
        await wait_for(stream_drained, "the job to be acknowledged with nothing left to deliver", second)
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


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
