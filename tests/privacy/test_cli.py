"""`hotline keys|retention|privacy` as an operator runs them: exit 0, or 1 with one line on stderr."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.core.migrations import upgrade
from hotline.core.runtime import build_runtime
from tests.conftest import make_settings
from tests.fixtures.env import DATA_KEYS, PEPPER
from tests.privacy.reports import WORDS, text_report

pytestmark = pytest.mark.slow
NUMBER = "+237677123456"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


async def _report(url: str, tmp: Path) -> None:
    runtime = build_runtime(make_settings(url, tmp))
    try:
        await text_report(runtime, NUMBER)
    finally:
        await runtime.close()


def test_keys_retention_and_privacy_commands(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'privacy.sqlite3'}"
    upgrade(url)
    asyncio.run(_report(url, tmp_path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        {
            "HOTLINE_DATABASE_URL": url,
            "HOTLINE_DATA_KEYS": DATA_KEYS,
            "HOTLINE_CALLER_PEPPER": PEPPER,
            "HOTLINE_SECRET_KEY": "test-secret-key-0123456789abcdef",
            "HOTLINE_SPOOL_DIR": str(tmp_path / "spool"),
            "HOTLINE_LOG_JSON": "true",
        }
    )

    exported = run(env, "privacy", "export", "--number", "677 12 34 56")
    assert exported.returncode == 0, exported.stderr
    assert [c["text"] for c in json.loads(exported.stdout)["contacts"]] == [WORDS]

    dry = run(env, "retention", "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would purge" in dry.stdout

    new_key = run(env, "keys", "new", "--id", "t2")
    assert new_key.returncode == 0 and new_key.stdout.startswith("t2:")
    assert len(base64.b64decode(new_key.stdout.strip().partition(":")[2])) == 32
    rotated = run({**env, "HOTLINE_DATA_KEYS": f"{new_key.stdout.strip()},{DATA_KEYS}"}, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "contacts.body_enc: 1 re-sealed" in rotated.stdout
    missing_key = run(env, "privacy", "export", "--number", NUMBER)  # t2 no longer listed
    assert missing_key.returncode == 1
    assert missing_key.stderr.count("\n") == 1 and "unknown key id" in missing_key.stderr

    env["HOTLINE_DATA_KEYS"] = new_key.stdout.strip()
    unconfirmed = run(env, "privacy", "erase", "--number", NUMBER)
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    erased = run(env, "privacy", "erase", "--number", NUMBER, "--yes")
    assert erased.returncode == 0, erased.stderr
    assert "erased: 1 contacts in 1 cases" in erased.stdout
    assert json.loads(run(env, "privacy", "export", "--number", NUMBER).stdout)["contacts"] == []

    verified = run(env, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    not_a_number = run(env, "privacy", "export", "--number", "anonymous")
    assert not_a_number.returncode == 1 and "not a phone number" in not_a_number.stderr
