"""Intake throughput: signed SMS webhooks against ``hotline serve`` on PostgreSQL + Redis.

Runs two servers one after the other on this machine, each a single uvicorn process:

* baseline: a FastAPI endpoint that reads the form and answers (bench/noop_app.py);
* intake: ``hotline serve`` (signature check, caller_ref, one transaction contact + outbox,
  TwiML answer, publish to Redis after the answer).

The client replays pre-signed requests (each with its own MessageSid) over keep-alive
connections at a fixed concurrency, so its own CPU cost stays small and equal for both.

    .venv/bin/python bench/intake.py [--seconds 20] [--concurrency 32] [--check]

Targets (issue 2): intake reaches at least half the baseline's requests/s, p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotline.core.migrations import upgrade  # noqa: E402
from hotline.simulate import sign, sms_form  # noqa: E402

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DB = "hotline_bench"
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = "bench-auth-token-0123456789abcdef0123"
PATH = "/twilio/sms/incoming"


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - started)
            result.requests += 1
            if status != 200:
                result.errors += 1
    finally:
        writer.close()


async def load(name: str, port: int, public_base: str, seconds: float, concurrency: int) -> Result:
    # Signing costs the client CPU the servers would feel; sign ahead, then only replay bytes.
    generator = requests(port, public_base)
    source = iter([next(generator) for _ in range(int(seconds * 3000) + 4000)])
    warm = Result(name, 0, 0, 1.0, [])
    await asyncio.gather(*(one_connection(port, source, time.perf_counter() + 1.0, warm) for _ in range(4)))
    result = Result(name, 0, 0, seconds, [])
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(*(one_connection(port, source, stop_at, result) for _ in range(concurrency)))
    return result


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("server did not start")


async def recreate_db() -> str:
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    await admin.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{BENCH_DB}"


def run_server(argv: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        argv, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_ready(port, proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def report(results: list[Result]) -> None:
    print(f"{'server':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9}")
    for r in results:
        print(
            f"{r.name:<10} {r.rps:>9.0f} {r.pct(0.5):>8.1f} {r.pct(0.99):>8.1f} {r.errors:>7} {r.requests:>9}"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    database_url = asyncio.run(recreate_db())
    upgrade(database_url)
    results = []

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    noop = run_server(
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
        results.append(asyncio.run(load("no-op", port, base, args.seconds, args.concurrency)))
    finally:
        stop(noop)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_REDIS_URL": REDIS_URL,
        "HOTLINE_QUEUE_STREAM": f"hotline:bench:{secrets.token_hex(4)}",
        "HOTLINE_PUBLIC_BASE_URL": base,
        "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_LOG_JSON": "true",
        "HOTLINE_SPOOL_DIR": str(ROOT / "var" / "bench-spool"),
    }
    server = run_server([sys.executable, "-m", "hotline.cli", "serve", "--port", str(port)], env, port)
    try:
        results.append(asyncio.run(load("intake", port, base, args.seconds, args.concurrency)))
    finally:
        stop(server)

    report(results)
    baseline, intake = results
    ratio = intake.rps / baseline.rps
    p99 = intake.pct(0.99)
    print(
        f"intake/no-op throughput ratio: {ratio:.2f} (target >= 0.50); intake p99 {p99:.1f} ms (target < 100)"
    )
    ok = ratio >= 0.5 and p99 < 100 and intake.errors == 0
    print("targets met" if ok else "targets MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
