"""Console queue page: server time with 500 open cases, beside baselines in the same run.

The app runs in this process behind httpx's ASGI transport (no network, so the time is the
server's: session check, the role-scoped query, the audit event, the template). Measured:

* queue: ``GET /console/`` as a supervisor (every case visible), 500 open cases, all rendered;
* api: ``GET /api/v1/cases?limit=500`` for the same cases (same query, JSON instead of HTML);
* noop: a route answering a fixed page (the framework's floor).

    .venv/bin/python bench/console.py [--requests 200] [--cases 500] [--closed 0]
                                      [--backend sqlite|postgres] [--check]

``--closed N`` adds N closed cases (a history) that the queue must not pay for. Beside the
wall-clock percentiles, the CPU time of this process per request (client included, so the
no-op's CPU is the floor), the full (generation 2) garbage collections during the series and
the 1-minute load average before and after are printed: the machine is shared.

Target (issue 7): the queue page with 500 open cases under 200 ms server time (p95).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotline.agents.service import create_agent  # noqa: E402
from hotline.cases.reference import new_reference  # noqa: E402
from hotline.console import sessions as auth  # noqa: E402
from hotline.core.config import Settings  # noqa: E402
from hotline.core.db import unit_of_work  # noqa: E402
from hotline.core.migrations import upgrade  # noqa: E402
from hotline.core.runtime import build_runtime  # noqa: E402
from hotline.core.security import issue_token  # noqa: E402
from hotline.main import create_app  # noqa: E402
from hotline.models import Case, Role  # noqa: E402
from hotline.triage.assessment import REGIONS  # noqa: E402

TARGET_MS = 200.0


async def seed(settings: Settings, cases: int, closed: int = 0) -> tuple[str, str]:
    runtime = build_runtime(settings)
    now = datetime.now(UTC)
    rng = random.Random(1503)
    references: set[str] = set()

    def reference() -> str:  # 9 million possible: 20,000 draws would collide
        while (drawn := new_reference()) in references:
            pass
        references.add(drawn)
        return drawn

    async with unit_of_work(runtime.sessions) as session:
        sup = await create_agent(
            session,
            username="bench-sup",
            password="bench-password-1503",  # noqa: S106 - a throw-away bench database
            role=Role.supervisor,
        )
        for i in range(cases):
            severity = rng.choice(["critical", "high", "medium", "low"])
            session.add(
                Case(
                    reference=reference(),
                    channel=rng.choice(["sms", "voice", "ussd", "whatsapp"]),
                    caller_ref=f"{i:064x}",
                    status=rng.choice(["new", "new", "acknowledged", "in_progress", "referred"]),
                    region=rng.choice(REGIONS),
                    severity=severity,
                    category="trafficking",
                    minor=rng.random() < 0.3,
                    imminent_danger=rng.random() < 0.1,
                    reasons=[f"severity {severity}: test", "confinement: 'enfermée'"],
                    created_at=now - timedelta(minutes=i),
                    ack_deadline=now + timedelta(minutes=rng.randint(-30, 60)),
                )
            )
        await session.flush()
        for start in range(0, closed, 5000):
            await session.execute(
                insert(Case),
                [
                    {
                        "reference": reference(),
                        "channel": "sms",
                        "caller_ref": f"c{i:063x}",
                        "status": "closed",
                        "region": rng.choice(REGIONS),
                        "severity": rng.choice(["critical", "high", "medium", "low"]),
                        "category": "trafficking",
                        "reasons": [],
                        "created_at": now - timedelta(days=2, minutes=i),
                        "ack_deadline": now - timedelta(days=2, minutes=i - 15),
                        "closed_at": now - timedelta(days=1, minutes=i),
                        "outcome": "resolved",
                    }
                    for i in range(start, min(closed, start + 5000))
                ],
            )
        cookie = await auth.open_session(session, sup, verified=True, now=now)
        token = issue_token(settings.secret_key.get_secret_value(), sup.id, sup.role, 3600)
    await runtime.close()
    return cookie, token


class Series:
    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.full_gcs = 0
        self.full_gc_ms = 0.0


async def timed(client: httpx.AsyncClient, url: str, n: int, **kwargs: object) -> Series:
    await client.get(url, **kwargs)  # type: ignore[arg-type]  # warm up (templates, statements)
    series = Series()
    started_gc = 0.0

    def watch(phase: str, info: dict[str, int]) -> None:
        nonlocal started_gc
        if info["generation"] != 2:
            return
        if phase == "start":
            started_gc = time.perf_counter()
        else:
            series.full_gcs += 1
            series.full_gc_ms += (time.perf_counter() - started_gc) * 1000

    gc.callbacks.append(watch)
    try:
        for _ in range(n):
            started, cpu = time.perf_counter(), time.process_time()
            response = await client.get(url, **kwargs)  # type: ignore[arg-type]
            series.cpu.append((time.process_time() - cpu) * 1000)
            series.wall.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    finally:
        gc.callbacks.remove(watch)
    return series


def _pct(ordered: list[float], fraction: float) -> float:
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]


def summary(name: str, series: Series) -> dict[str, float]:
    ordered = sorted(series.wall)
    row = {
        "p50": statistics.median(ordered),
        "p95": _pct(ordered, 0.95),
        "p99": _pct(ordered, 0.99),
        "max": ordered[-1],
        "cpu": statistics.median(series.cpu),
    }
    print(
        f"{name:6} p50 {row['p50']:7.1f} ms   p95 {row['p95']:7.1f} ms   p99 {row['p99']:7.1f} ms"
        f"   max {row['max']:7.1f} ms   CPU p50 {row['cpu']:6.1f} ms"
        f"   full GCs {series.full_gcs} ({series.full_gc_ms:.0f} ms)"
    )
    return row


async def run(args: argparse.Namespace) -> int:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "postgres":
            import asyncpg

            name = f"hotline_bench_console_{int(time.time())}"
            admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
            await admin.execute(f'CREATE DATABASE "{name}"')
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        else:
            url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        try:
            settings = Settings(
                database_url=url,
                secret_key="bench-secret-key-0123456789abcdef",  # type: ignore[arg-type]  # noqa: S106
                caller_pepper="bench-pepper-0123456789abcdef",  # type: ignore[arg-type]
                spool_dir=Path(tmp) / "spool",
                log_json=True,
            )
            await asyncio.to_thread(upgrade, url)
            cookie, token = await seed(settings, args.cases, args.closed)
            app = create_app(settings, with_worker=False)
            noop = FastAPI()
            page = "<!doctype html><title>noop</title><p>" + "x" * 2000

            @noop.get("/noop")
            async def _noop() -> HTMLResponse:
                return HTMLResponse(page)

            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                    client.cookies.set(auth.COOKIE, cookie)
                    check = await client.get("/console/")
                    rows = check.text.count("data-reference=")
                    assert rows == args.cases, f"the page shows {rows} cases, not {args.cases}"
                    queue = await timed(client, "/console/", args.requests)
                    api = await timed(
                        client,
                        "/api/v1/cases?limit=1000",
                        args.requests,
                        headers={"Authorization": f"Bearer {token}"},
                    )
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=noop), base_url="http://bench"
            ) as client:
                floor = await timed(client, "/noop", args.requests)
        finally:
            if args.backend == "postgres":
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()
    print(
        f"backend {args.backend}, {args.cases} open cases, {args.closed} closed, {args.requests} requests each,"
        f" page {len(check.text)} bytes, load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}"
    )
    q = summary("queue", queue)
    a = summary("api", api)
    n = summary("noop", floor)
    print(f"ratio queue/api p50 {q['p50'] / a['p50']:.2f}   queue/noop p50 {q['p50'] / n['p50']:.1f}")
    ok = q["p95"] < TARGET_MS
    print(f"target p95 < {TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}")
    return 0 if ok or not args.check else 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--closed", type=int, default=0, help="closed cases in the history")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    raise SystemExit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
