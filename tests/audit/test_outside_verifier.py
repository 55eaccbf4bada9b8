"""docs/audit.md is right: its SQL and its stdlib-only Python verify our chain, and refuse a tampered one.

The blocks are taken from the page itself and run with the ``psql`` and ``sqlite3`` command-line
tools and a Python started with ``-I -S`` (no third-party package can be imported).
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from hotline.audit import checkpoint as signed
from hotline.audit import service as audit
from hotline.audit.verify import anchor
from hotline.core.db import create_engine, unit_of_work
from hotline.core.runtime import Runtime
from tests.audit import tamper
from tests.fixtures.env import PG_DATABASE

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
BLOCK = re.compile(r"<!-- verifier:(\w+) -->\s*```\w+\n(.*?)```", re.DOTALL)


def blocks() -> dict[str, str]:
    found = dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))
    assert set(found) == {"postgres", "sqlite", "python", "signature", "tree"}, (
        "docs/audit.md lost a verifier block"
    )
    return found


def export(runtime: Runtime) -> str:
    sql = blocks()[runtime.engine.dialect.name if runtime.engine.dialect.name == "sqlite" else "postgres"]
    if runtime.engine.dialect.name == "sqlite":
        path = runtime.settings.sqlite_path
        assert path is not None
        command = ["sqlite3", str(path)]
    else:
        command = [
            "psql",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}",
        ]
    done = subprocess.run(command, input=sql, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def outside_verify(rows: str, block: str = "python", *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", blocks()[block], *args],
        input=rows,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        encoding="utf-8",
    )


async def test_the_documented_verifier_agrees_with_ours_and_refuses_tampering(
    committed_runtime: Runtime,
) -> None:
    runtime = committed_runtime
    async with unit_of_work(runtime.sessions) as session:
        for n in range(5):
            await audit.append(
                session,
                actor="system" if n % 2 else f"caller:{'c' * 64}",
                action="case.triaged",
                subject=None if n == 2 else f"6f1c0d7e-0000-4000-8000-00000000000{n}",
                details={
                    "region": "Extreme-Nord",
                    "note": 'Bépanda « quoted » "x" \\ tab\there / ü € 𝄞',
                    "minor": n == 1,
                    "count": 10**n,
                    "beyond_2_53": 2**64 + n,
                    "negative": -(2**63) - n,
                    "form": None,
                },
                at=datetime(2026, 11, 22, 8, n, 7, 1000 * n, tzinfo=UTC),
            )
    async with runtime.sessions() as session:
        head = await anchor(session)

    rows = export(runtime)
    verified = outside_verify(rows)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == f"OK 5 entries, head {head}"

    engine = create_engine(runtime.settings, pooled=False)
    async with engine.begin() as connection:
        await tamper.edit(connection, 3, action="case.closed")
    await engine.dispose()
    refused = outside_verify(export(runtime))
    assert refused.returncode != 0
    assert "BROKEN at 3" in refused.stderr


def test_the_worked_example_on_the_page_is_what_the_code_computes() -> None:
    fields = {
        "seq": 1,
        "at": datetime(2026, 11, 22, 13, 47, 20, 950162, tzinfo=UTC),
        "actor": "system",
        "action": "case.opened",
        "subject": "6f1c0d7e-0000-4000-8000-000000000001",
        "details": {"reference": "40312345", "channel": "sms"},
        "prev_hash": audit.GENESIS_HASH,
    }
    page = DOC.read_text(encoding="utf-8")
    assert audit.canonical(**fields).decode("utf-8") in page
    assert audit.entry_hash(**fields) in page


def check_signature(directory: Path, checkpoint: Path, public: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", blocks()["signature"]],
        cwd=directory,
        env={"PATH": "/usr/bin:/bin", "CHECKPOINT": str(checkpoint), "PUBLIC_KEY": str(public)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def noon() -> datetime:
    return datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_the_documented_checks_of_checkpoints_and_proofs_agree_with_ours(
    committed_runtime: Runtime, tmp_path: Path
) -> None:
    """With the public key and the page alone: signatures (OpenSSL), roots, inclusion and consistency
    (stdlib Python); a forged head, an edited checkpoint and a proof against another root are refused."""
    runtime, key = committed_runtime, signed.new_signing_key()
    public = tmp_path / "public.pem"
    public.write_bytes(signed.public_pem(key.public_key()))
    other = tmp_path / "other.pem"
    other.write_bytes(signed.public_pem(signed.new_signing_key().public_key()))

    async def append(count: int) -> None:
        async with unit_of_work(runtime.sessions) as session:
            for n in range(count):
                await audit.append(
                    session, actor="system", action="case.viewed", details={"n": n, "big": 2**70}
                )

    async def keep(name: str) -> Path:
        async with runtime.sessions() as session:
            made = await signed.take(session, key, noon)
        path = tmp_path / name
        path.write_text(made.text(), encoding="ascii")
        return path

    await append(3)
    old = await keep("old.txt")
    await append(4)
    new = await keep("new.txt")
    async with runtime.sessions() as session:
        tree = await signed.leaves(session)
        fifth = await session.get(audit.AuditEntry, 5)
    assert fifth is not None

    for held in (old, new):
        verified = check_signature(tmp_path, held, public)
        assert verified.returncode == 0, verified.stderr
        assert "Signature Verified Successfully" in verified.stdout
    assert check_signature(tmp_path, new, other).returncode != 0, "another key"
    edited = tmp_path / "edited.txt"
    edited.write_text(new.read_text().replace("size 7", "size 6"))
    assert check_signature(tmp_path, edited, public).returncode != 0, "an edited checkpoint"

    rows = export(runtime)
    for held, later in ((old, 4), (new, 0)):
        done = outside_verify(rows, "tree", "checkpoint", str(held))
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().endswith(f"{later} later entries not yet signed")

    inclusion = tmp_path / "inclusion.txt"
    inclusion.write_text(signed.inclusion_text(5, tree, fifth.hash))
    done = outside_verify("", "tree", "inclusion", str(inclusion), str(new))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK entry 5")
    assert outside_verify("", "tree", "inclusion", str(inclusion), str(old)).returncode != 0
    wrong = tmp_path / "wrong.txt"
    wrong.write_text(inclusion.read_text().replace(f"entry {fifth.hash}", f"entry {'0' * 64}"))
    assert "BROKEN" in outside_verify("", "tree", "inclusion", str(wrong), str(new)).stderr

    proof = tmp_path / "consistency.txt"
    proof.write_text(signed.consistency_text(3, tree))
    done = outside_verify("", "tree", "consistency", str(proof), str(old), str(new))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "OK checkpoint 7 extends checkpoint 3"
    lines = proof.read_text().splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("path "))
    lines[first] = f"path {'0' * 64}\n"
    tampered = tmp_path / "tampered.txt"
    tampered.write_text("".join(lines))
    refused = outside_verify("", "tree", "consistency", str(tampered), str(old), str(new))
    assert "BROKEN: checkpoint 7 does not extend checkpoint 3" in refused.stderr

    engine = create_engine(runtime.settings, pooled=False)
    async with engine.begin() as connection:
        await tamper.edit_and_rehash(connection, 7, action="case.closed", details={"reason": "forged"})
    await engine.dispose()
    forged = export(runtime)
    assert outside_verify(forged).returncode == 0, "the chain alone cannot see a rewritten head"
    assert outside_verify(forged, "tree", "checkpoint", str(old)).returncode == 0
    refused = outside_verify(forged, "tree", "checkpoint", str(new))
    assert refused.returncode != 0
    assert "BROKEN: the first 7 entries do not have the checkpoint's root" in refused.stderr
