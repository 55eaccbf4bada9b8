"""`hotline audit keygen | public-key | checkpoint | prove | verify --checkpoint/--consistency`, as an operator
and an outside party run them: the key lives in a file, the checkpoints in another, the database holds neither."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from hotline.audit import merkle
from hotline.audit.checkpoint import Checkpoint
from hotline.core.db import create_engine
from hotline.core.migrations import upgrade
from tests.audit import tamper
from tests.audit.test_cli import _append, run
from tests.conftest import make_settings

pytestmark = pytest.mark.slow


async def _forge_head(url: str, tmp: Path, seq: int) -> None:
    engine = create_engine(make_settings(url, tmp), pooled=False)
    async with engine.begin() as connection:
        await tamper.edit_and_rehash(connection, seq, action="case.closed", details={"reason": "forged"})
    await engine.dispose()


def test_checkpoints_proofs_and_a_forged_head_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.sqlite3'}"
    upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({"HOTLINE_DATABASE_URL": url, "HOTLINE_LOG_JSON": "true"})
    key, public, old, new = (tmp_path / name for name in ("signing.pem", "public.pem", "old.txt", "new.txt"))

    made = run(env, "keygen", "--out", str(key))
    assert made.returncode == 0, made.stderr
    assert key.stat().st_mode & 0o777 == 0o600
    assert run(env, "keygen", "--out", str(key)).returncode == 1, "a key is never overwritten"
    printed = run(env, "public-key", "--key", str(key))
    assert printed.stdout == made.stdout and printed.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    public.write_text(printed.stdout)

    asyncio.run(_append(url, tmp_path, 4))
    first = run(env, "checkpoint", "--key", str(key), "--out", str(old))
    assert first.returncode == 0, first.stderr
    assert first.stdout == old.read_text() and Checkpoint.parse(first.stdout).size == 4

    asyncio.run(_append(url, tmp_path, 3))
    env["HOTLINE_AUDIT_SIGNING_KEY_FILE"] = str(key)
    second = run(env, "checkpoint", "--out", str(new))
    assert second.returncode == 0, second.stderr
    assert Checkpoint.parse(new.read_text()).size == 7

    proof = run(env, "prove", "--seq", "3", "--size", "4")
    assert proof.returncode == 0, proof.stderr
    lines = proof.stdout.splitlines()
    entry = bytes.fromhex(lines[3].removeprefix("entry "))
    path = [bytes.fromhex(line.removeprefix("path ")) for line in lines[5:]]
    merkle.verify_inclusion(2, 4, merkle.leaf_hash(entry), path, Checkpoint.parse(old.read_text()).root)
    assert run(env, "prove", "--old-size", "4").stdout.startswith("hotline-1503 audit consistency proof v1\n")
    assert run(env, "prove", "--seq", "9").returncode == 1

    env["HOTLINE_AUDIT_PUBLIC_KEY_FILE"] = str(public)
    held = run(env, "verify", "--checkpoint", str(old))
    assert held.returncode == 0, held.stderr
    assert "checkpoint 4 holds (3 later entries not yet signed)" in held.stdout
    extends = run(env, "verify", "--consistency", str(old), str(new))
    assert extends.returncode == 0, extends.stderr
    assert "checkpoint 7 extends checkpoint 4" in extends.stdout

    asyncio.run(_forge_head(url, tmp_path, 7))
    assert run(env, "verify").returncode == 0, "the chain alone cannot see a rewritten head"
    caught = run(env, "verify", "--checkpoint", str(new))
    assert caught.returncode == 1
    assert caught.stderr.count("\n") == 1 and "history up to 7 was rewritten" in caught.stderr
    assert run(env, "verify", "--consistency", str(old), str(new)).returncode == 1
    refused = run(env, "checkpoint", "--out", str(new))
    assert refused.returncode == 1 and "nothing signed" in refused.stderr

    other = tmp_path / "other.pem"
    run(env, "keygen", "--out", str(other))
    env["HOTLINE_AUDIT_SIGNING_KEY_FILE"] = str(other)
    forged = tmp_path / "forged.txt"
    assert run(env, "checkpoint", "--out", str(forged)).returncode == 0
    wrong = run(env, "verify", "--checkpoint", str(forged))
    assert wrong.returncode == 1 and "names another key" in wrong.stderr
