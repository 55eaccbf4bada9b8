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
    assert set(found) == {"postgres", "sqlite", "python"}, "docs/audit.md lost a verifier block"
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


def outside_verify(rows: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", blocks()["python"]],
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
