"""A real ``hotline serve`` for fuzzing, on each backend: SQLite with its in-process queue and worker,
and PostgreSQL + Redis (a database and stream of its own) with the worker in the same process.

Fuzzing goes over real HTTP, so whatever a client can send (bad encodings, odd headers, huge
values) reaches the app exactly as it would in production.
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
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from hotline.core.migrations import upgrade
from tests.conftest import drop_pg_database, recreate_pg_database
from tests.fixtures.env import AUTH_TOKEN, DATA_KEYS, PEPPER, REDIS_URL, SECRET_KEY
from tests.fixtures.servers import token as api_token

ROOT = Path(__file__).resolve().parents[2]
ADMIN = ("fuzz-admin", "fuzz-admin-password-1503")


@dataclass
class Server:
    base: str
    public: str
    token: str
    backend: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    backend = str(request.param)
    tmp = tmp_path_factory.mktemp(f"fuzz-{backend}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HOTLINE_ENV": "development",
        "HOTLINE_PUBLIC_BASE_URL": base,
        "HOTLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_SECRET_KEY": SECRET_KEY,
        "HOTLINE_CALLER_PEPPER": PEPPER,
        "HOTLINE_DATA_KEYS": DATA_KEYS,
        "HOTLINE_SPOOL_DIR": str(tmp / "spool"),
        "HOTLINE_LOG_JSON": "true",
    }
    database = f"hotline_fuzz_{uuid.uuid4().hex[:10]}"
    stream = f"hotline:fuzz:{uuid.uuid4().hex}"
    if backend == "postgres":
        asyncio.run(recreate_pg_database(database))
        env["HOTLINE_DATABASE_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
        env["HOTLINE_REDIS_URL"] = REDIS_URL
        env["HOTLINE_QUEUE_STREAM"] = stream
    else:
        env["HOTLINE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'hotline.sqlite3'}"
        env.pop("HOTLINE_REDIS_URL", None)
    upgrade(env["HOTLINE_DATABASE_URL"])
    subprocess.run(
        [sys.executable, "-m", "hotline.cli", "agents", "create", "--username", ADMIN[0],
         "--password", ADMIN[1], "--role", "admin", "--region", "Littoral"],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    log = (tmp / "server.log").open("wb")
    argv = [sys.executable, "-m", "hotline.cli", "serve", "--port", str(port)]
    if backend == "postgres":
        argv.append("--with-worker")
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "hotline serve did not start"
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        # an admin proves a second factor for a token: enrolled through the console first
        token = api_token(base, *ADMIN)["Authorization"].removeprefix("Bearer ")
        yield Server(base=base, public=base, token=token, backend=backend)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        if backend == "postgres":
            asyncio.run(drop_pg_database(database))
            redis.Redis.from_url(REDIS_URL).delete(stream)
    # A 5xx the client saw is asserted in the tests; an unhandled error the server only logged fails here.
    server_log = (tmp / "server.log").read_text()
    assert "Traceback" not in server_log, server_log[-3000:]
