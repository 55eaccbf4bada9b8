"""`hotline audit verify|anchor` as an operator runs them: exit 0, or 1 with one line naming the entry."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.audit import service as audit
from hotline.core.db import create_engine, unit_of_work
from hotline.core.migrations import upgrade
from hotline.core.runtime import build_runtime
from tests.audit import tamper
from tests.conftest import make_settings

pytestmark = pytest.mark.slow


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _append(url: str, tmp: Path, count: int) -> None:
    runtime = build_runtime(make_settings(url, tmp))
    try:
        async with unit_of_work(runtime.sessions) as session:
            for n in range(count):
                await audit.append(session, actor="system", action="case.viewed", details={"n": n})
    finally:
        await runtime.close()


async def _edit(url: str, tmp: Path, seq: int) -> None:
    engine = create_engine(make_settings(url, tmp), pooled=False)
    async with engine.begin() as connection:
        await tamper.edit(connection, seq, action="case.closed")
    await engine.dispose()


def test_anchor_then_verify_then_tampering_is_reported_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.sqlite3'}"
    upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({"HOTLINE_DATABASE_URL": url, "HOTLINE_LOG_JSON": "true"})
    asyncio.run(_append(url, tmp_path, 4))

    anchored = run(env, "anchor")
    assert anchored.returncode == 0, anchored.stderr
    held = anchored.stdout.strip()
    assert held.endswith("@4") and len(held) == 66

    intact = run(env, "verify", "--anchor", held)
    assert intact.returncode == 0, intact.stderr
    assert "intact: 4 entries" in intact.stdout

    asyncio.run(_append(url, tmp_path, 2))
    assert run(env, "verify", "--anchor", held).returncode == 0, "later entries do not break an anchor"

    asyncio.run(_edit(url, tmp_path, 2))
    broken = run(env, "verify")
    assert broken.returncode == 1
    assert broken.stderr.count("\n") == 1
    assert "entry 2 altered" in broken.stderr

    malformed = run(env, "verify", "--anchor", "not-an-anchor")
    assert malformed.returncode != 0
    assert "HASH@SEQ" in malformed.stderr
