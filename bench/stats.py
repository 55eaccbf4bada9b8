"""Statistics query latency on a seeded PostgreSQL database.

Seeds ``--cases`` synthetic cases (``hotline bench seed-stats``) into a database of its own
unless ``--no-seed`` is given, then times every statistics query an analyst can ask for
(each measure, no grouping, each dimension, the pairs the console offers, with and without
a period), several times each, and prints the slowest run of each query.

    .venv/bin/python bench/stats.py                     # 1,000,000 cases (slow to seed: minutes)
    .venv/bin/python bench/stats.py --cases 20000       # quick mode for CI
    .venv/bin/python bench/stats.py --no-seed           # time an already seeded database

Target (issue 10): every stats query under 300 ms on 1,000,000 cases.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotline.core.config import Settings  # noqa: E402
from hotline.core.db import create_engine, create_session_factory  # noqa: E402
from hotline.core.migrations import upgrade  # noqa: E402
from hotline.models import Case  # noqa: E402
from hotline.stats.dimensions import DIMENSIONS  # noqa: E402
from hotline.stats.perturbation import CellKeys  # noqa: E402
from hotline.stats.query import StatsQuery, run_query  # noqa: E402

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DB = "hotline_bench_stats"
TARGET_MS = 300.0


def queries(today: datetime) -> list[StatsQuery]:
    year = (today - timedelta(days=364)).date()
    quarter = (today - timedelta(days=90)).date()
    out: list[StatsQuery] = []
    for measure in ("cases", "ack_time", "sla"):
        out.append(StatsQuery(measure, (), None, year, today.date()))
        for dim in DIMENSIONS:
            out.append(StatsQuery(measure, (dim,), "month", year, today.date()))
        for pair in (
            ("region", "category"),
            ("severity", "region"),
            ("category", "form"),
            ("region", "minor"),
        ):
            out.append(StatsQuery(measure, pair, None, year, today.date()))
            out.append(StatsQuery(measure, pair, "month", year, today.date()))
        out.append(StatsQuery(measure, ("region",), "week", year, today.date()))
        out.append(StatsQuery(measure, ("severity",), "day", quarter, today.date()))
    for measure, dims in (
        ("contacts", ("channel",)),
        ("contacts", ("channel", "outcome")),
        ("calls", ("outcome",)),
    ):
        out.append(StatsQuery(measure, dims, "month", year, today.date()))  # type: ignore[arg-type]
        out.append(StatsQuery(measure, dims, "day", quarter, today.date()))  # type: ignore[arg-type]
    return out


async def recreate_database() -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        await admin.close()


def seed(url: str, cases: int) -> None:
    asyncio.run(recreate_database())
    upgrade(url)
    started = time.perf_counter()
    env = {**os.environ, "HOTLINE_DATABASE_URL": url}
    subprocess.run(
        [str(ROOT / ".venv/bin/hotline"), "bench", "seed-stats", "--cases", str(cases)], check=True, env=env
    )
    print(f"seeded {cases} cases and built the rollups in {time.perf_counter() - started:.0f} s")


async def run(url: str, repeat: int) -> int:
    settings = Settings(database_url=url)  # type: ignore[call-arg]
    engine = create_engine(settings, pooled=True)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    keys = CellKeys.from_secret_key("bench-stats-cell-key")
    slow = 0
    async with sessions() as session:
        from sqlalchemy import func, select

        total = await session.scalar(select(func.count()).select_from(Case))
        print(f"cases in the database: {total}")
        print(f"{'measure':9} {'group_by':22} {'period':6} {'cells':>6} {'best ms':>8} {'worst ms':>9}")
        for query in queries(now):
            timings = []
            cells = 0
            for _ in range(repeat):
                started = time.perf_counter()
                table = await run_query(session, query, now=now, keys=keys)
                timings.append((time.perf_counter() - started) * 1000)
                cells = len(table.items)
            worst = max(timings)
            flag = "" if worst < TARGET_MS else "  SLOW"
            slow += worst >= TARGET_MS
            print(
                f"{query.measure:9} {','.join(query.group_by) or '-':22} {query.period or '-':6} "
                f"{cells:>6} {min(timings):>8.1f} {worst:>9.1f}{flag}"
            )
    await engine.dispose()
    print(f"{'all under' if not slow else f'{slow} queries over'} {TARGET_MS:.0f} ms")
    return 1 if slow else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--no-seed", action="store_true", help="time the database as it is")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{BENCH_DB}")
    args = parser.parse_args()
    if not args.no_seed:
        seed(args.database_url, args.cases)
    sys.exit(asyncio.run(run(args.database_url, args.repeat)))


if __name__ == "__main__":
    main()
