"""Intake throughput: signed SMS webhooks against ``hotline serve`` on PostgreSQL + Redis.

Runs two servers one after the other on this machine, each a single uvicorn process:

* baseline: a FastAPI endpoint that reads the form and answers (bench/noop_app.py);
* intake: ``hotline serve`` (signature check, caller_ref, one transaction contact + outbox,
  TwiML answer, publish to Redis after the answer).

The client replays pre-signed requests (each with its own MessageSid) over keep-alive
connections at a fixed concurrency, so its own CPU cost stays small and equal for both.

    .venv/bin/python bench/intake.py [--seconds 20] [--concurrency 32] [--check] [--floor]

``--floor`` measures a third server in the same run: bench/floor_app.py, a new report's
essential work without FastAPI or SQLAlchemy's execution layer (a ceiling, not a product path).

Targets (issue 2): intake reaches at least half the baseline's requests/s, p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    REDIS_URL,
    TOKEN,
    cpu_seconds,
    exchange,
    free_port,
    recreate_db,
    start_server,
    stop,
)
from hotline.core.migrations import upgrade  # noqa: E402
from hotline.simulate import sign, sms_form  # noqa: E402

BENCH_DB = "hotline_bench"
PATH = "/twilio/sms/incoming"


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def requests(port: int, public_base: str) -> Iterator[bytes]:
    """Endless distinct signed webhook requests, as raw HTTP/1.1 bytes."""
    n = 0
    while True:
        n += 1
        form = sms_form(
            sender=f"+2376{secrets.randbelow(10**8):08d}",
            body=f"Bonsoir, ma voisine à Douala garde une fillette de 11 ans, jamais payée ({n})",
            account_sid="AC" + "0" * 32,
        )
        body = urlencode(form).encode()
        signature = sign(TOKEN, public_base + PATH, form)
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            f"X-Twilio-Signature: {signature}\r\n\r\n"
        ).encode()
        yield head + body


async def one_connection(port: int, source: Iterator[bytes], stop_at: float, result: Result) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            request = next(source)
            started = time.perf_counter()
            status = await exchange(reader, writer, request)
            result.latencies.append(time.perf_counter() - started)
            result.requests += 1
            if status != 200:
                result.errors += 1
    finally:
        writer.close()


async def load(name: str, port: int, public_base: str, seconds: float, concurrency: int) -> Result:
    # Signing costs the client CPU the servers would feel; sign ahead, then only replay bytes.
    # If the pool runs dry (a fast baseline), the client signs the rest as it goes.
    generator = requests(port, public_base)
    source = itertools.chain([next(generator) for _ in range(int(seconds * 3000) + 4000)], generator)
    warm = Result(name, 0, 0, 1.0, [])
    await asyncio.gather(*(one_connection(port, source, time.perf_counter() + 1.0, warm) for _ in range(4)))
    result = Result(name, 0, 0, seconds, [])
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(*(one_connection(port, source, stop_at, result) for _ in range(concurrency)))
    return result


def report(results: list[Result]) -> None:
    print(
        f"{'server':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9} {'CPU ms/req':>11}"
    )
    for r in results:
        cpu = 1000 * r.cpu_seconds / max(1, r.requests)
        print(
            f"{r.name:<10} {r.rps:>9.0f} {r.pct(0.5):>8.1f} {r.pct(0.99):>8.1f} {r.errors:>7} {r.requests:>9} "
            f"{cpu:>11.2f}"
        )


def measured(
    proc: subprocess.Popen[bytes], name: str, port: int, base: str, args: argparse.Namespace
) -> Result:
    before = cpu_seconds(proc.pid)
    result = asyncio.run(load(name, port, base, args.seconds, args.concurrency))
    # What the server itself burnt (warm-up included), whatever else the machine is doing.
    result.cpu_seconds = cpu_seconds(proc.pid) - before
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--floor", action="store_true", help="also measure bench/floor_app.py (the framework-free ceiling)"
    )
    args = parser.parse_args()

    database_url = asyncio.run(recreate_db(BENCH_DB))
    upgrade(database_url)
    results = []

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    noop = start_server(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.noop_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        {},
        port,
    )
    try:
        results.append(measured(noop, "no-op", port, base, args))
    finally:
        stop(noop)

    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def intake_env(base: str) -> dict[str, str]:
        return {
            "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_REDIS_URL": REDIS_URL,
            "HOTLINE_QUEUE_STREAM": f"hotline:bench:{secrets.token_hex(4)}",
            "HOTLINE_PUBLIC_BASE_URL": base,
            "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
            "HOTLINE_LOG_JSON": "true",
            "HOTLINE_SPOOL_DIR": str(ROOT / "var" / "bench-spool"),
        }

    server = start_server(
        [sys.executable, "-m", "hotline.cli", "serve", "--port", str(port)], intake_env(base), port
    )
    try:
        results.append(measured(server, "intake", port, base, args))
    finally:
        stop(server)

    if args.floor:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--port", str(port)]
        floor = start_server([*argv, "--log-level", "warning"], intake_env(base), port)
        try:
            results.append(measured(floor, "floor", port, base, args))
        finally:
            stop(floor)

    report(results)
    baseline, intake = results[:2]
    if args.floor:
        print(
            f"floor/no-op throughput ratio: {results[2].rps / baseline.rps:.2f} (the ceiling without the framework)"
        )
    ratio = intake.rps / baseline.rps
    p99 = intake.pct(0.99)
    print(
        f"intake/no-op throughput ratio: {ratio:.2f} (target >= 0.50); intake p99 {p99:.1f} ms (target < 100)"
    )
    cpu_ratio = (baseline.cpu_seconds / max(1, baseline.requests)) / max(
        1e-9, intake.cpu_seconds / max(1, intake.requests)
    )
    print(
        f"server CPU per request, no-op/intake: {cpu_ratio:.2f} (the throughput ratio one core could reach)"
    )
    ok = ratio >= 0.5 and p99 < 100 and intake.errors == 0
    print("targets met" if ok else "targets MISSED")
    failing = [r.name for r in results if r.errors or not r.requests]
    if failing:
        # Figures of a server that failed requests mean nothing: a broken run, targets or not.
        print(f"FAILED requests on: {', '.join(failing)}")
        return 2
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
