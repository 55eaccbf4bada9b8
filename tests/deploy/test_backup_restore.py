"""deploy/backup.sh and deploy/restore.sh on the real PostgreSQL: a restored backup verifies.

A database is filled through the app as production fills it (signed SMS webhooks into
``hotline serve``, its worker triaging them into cases and audit events), dumped with
backup.sh, restored with restore.sh into a fresh database, and ``hotline audit verify`` is
run against the restored copy.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from hotline.core.migrations import upgrade
from hotline.simulate import post_signed, sms_form
from tests.fixtures.env import AUTH_TOKEN, DATA_KEYS, PEPPER, PG_ADMIN_DSN, SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", "5432", "postgres"

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def fetchval(database: str, sql: str) -> int:
    conn = await asyncpg.connect(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}", timeout=5)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


def hotline_env(database: str, tmp: Path, base: str) -> dict[str, str]:
    return {
        **os.environ,
        "HOTLINE_ENV": "development",
        "HOTLINE_DATABASE_URL": f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}",
        "HOTLINE_PUBLIC_BASE_URL": base,
        "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "HOTLINE_CALLER_PEPPER": PEPPER,
        "HOTLINE_DATA_KEYS": DATA_KEYS,
        "HOTLINE_SPOOL_DIR": str(tmp / "spool"),
        "HOTLINE_LOG_JSON": "true",
    }


@pytest.fixture
def backup_databases() -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    source, target = f"hotline_backup_{suffix}", f"hotline_restore_{suffix}"
    asyncio.run(admin(f'CREATE DATABASE "{source}"'))
    asyncio.run(admin(f'CREATE DATABASE "{target}"'))
    yield source, target
    for name in (source, target):
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def fill_through_the_app(source: str, tmp: Path) -> None:
    """Signed SMS into `hotline serve` (embedded queue: its own worker), until all are processed."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = hotline_env(source, tmp, base)
    env.pop("HOTLINE_REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, "hotline serve exited"
            assert time.monotonic() < deadline, "hotline serve did not start"
            time.sleep(0.2)
        bodies = [
            "Bonsoir, ma voisine à Douala garde une fillette de 11 ans qui ne va pas à l'école",
            "They took my passport in Beirut and I cannot leave the house",
            "On m'a promis un travail au Koweït mais je dois payer 500000 francs",
            "Comment obtenir un passeport pour voyager légalement ?",
        ]
        for i, body in enumerate(bodies):
            form = sms_form(sender=f"+23769000010{i}", body=body, account_sid="AC" + "0" * 32)
            response = post_signed(
                public_base_url=base,
                target_base_url=base,
                path="/twilio/sms/incoming",
                form=form,
                auth_token=AUTH_TOKEN,
            )
            assert response.status_code == 200, response.text
        deadline = time.monotonic() + 60
        while asyncio.run(fetchval(source, "select count(*) from outbox where processed_at is null")):
            assert time.monotonic() < deadline, "the worker did not process the reports"
            time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_restored_backup_passes_audit_verify(backup_databases: tuple[str, str], tmp_path: Path) -> None:
    """backup.sh → restore.sh into an empty database → `hotline audit verify` exits 0, and the
    cases and audit chain are all there."""
    source, target = backup_databases
    upgrade(f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{source}")
    fill_through_the_app(source, tmp_path)
    cases = asyncio.run(fetchval(source, "select count(*) from cases"))
    events = asyncio.run(fetchval(source, "select count(*) from audit_log"))
    assert cases == 4
    assert events > 4

    pg = {**os.environ, "PGHOST": PG_HOST, "PGPORT": PG_PORT, "PGUSER": PG_USER}
    dump = tmp_path / "hotline.dump"
    backup = subprocess.run(
        ["bash", str(DEPLOY / "backup.sh"), str(dump)],
        env={**pg, "PGDATABASE": source},
        capture_output=True,
        text=True,
        check=False,
    )
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    assert not dump.with_name(dump.name + ".partial").exists()

    restore = subprocess.run(
        ["bash", str(DEPLOY / "restore.sh"), str(dump)],
        env={**pg, "PGDATABASE": target},
        capture_output=True,
        text=True,
        check=False,
    )
    assert restore.returncode == 0, restore.stderr
    assert asyncio.run(fetchval(target, "select count(*) from cases")) == cases
    assert asyncio.run(fetchval(target, "select count(*) from audit_log")) == events

    verify = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "audit", "verify"],
        env=hotline_env(target, tmp_path, "http://127.0.0.1:1"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr

    # A second restore into the now non-empty database is refused: histories never merge.
    again = subprocess.run(
        ["bash", str(DEPLOY / "restore.sh"), str(dump)],
        env={**pg, "PGDATABASE": target},
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1
    assert "already has" in again.stderr
