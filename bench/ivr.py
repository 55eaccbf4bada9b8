"""IVR response latency: whole signed calls against ``hotline serve``, beside a no-op baseline.

Each virtual caller phones in, chooses a language, a topic, "child: no", a region, "no
callback", "yes, pass it to a partner", leaves a message, and the call ends (status callback):
nine webhooks per call, each signed as Twilio signs it, one call after another on a keep-alive
connection. Two servers run one after the other on this machine, each a single uvicorn process:

* baseline: a FastAPI app that reads the form and answers a fixed TwiML menu
  (``bench.ivr:baseline``), on the same paths;
* ivr: ``hotline serve`` (signature check, call state in Redis, every answer written to the
  contact and an outbox row, TwiML from the flow file, publish after the answer).

    .venv/bin/python bench/ivr.py [--seconds 20] [--calls 8] [--think 0] [--backend postgres|sqlite] [--check]

Target (issue 4): every IVR response under 50 ms p99 on loopback.

``--think 0`` (the default) sends each caller's next webhook the moment the last one is answered:
a saturation test, where latency is mostly queueing behind the other callers. A person takes
seconds to hear a menu and press a key; ``--think 2`` waits 1–3 s (uniformly) between one
caller's webhooks, which is how Twilio's requests really arrive, and measures the response time a
caller experiences at that many calls in progress.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response

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
from hotline.simulate import call_form, new_sid, sign  # noqa: E402

BENCH_DB = "hotline_bench_ivr"
ACCOUNT = "AC" + "0" * 32
TARGET_P99_MS = 50.0

# (route label, path, extra form fields) for one call, in order.
CALL = (
    ("incoming", "/twilio/voice/incoming", {}),
    ("menu", "/twilio/voice/menu/language?try=1", {"Digits": "1"}),
    ("menu", "/twilio/voice/menu/topic?try=1", {"Digits": "1"}),
    ("menu", "/twilio/voice/menu/child?try=1", {"Digits": "2"}),
    ("menu", "/twilio/voice/menu/region?try=1", {"Digits": "5"}),
    ("menu", "/twilio/voice/menu/callback?try=1", {"Digits": "2"}),
    ("menu", "/twilio/voice/menu/share?try=1", {"Digits": "1"}),
    ("recorded", "/twilio/voice/recorded/message", {"RecordingDuration": "31", "Digits": "#"}),
    ("status", "/twilio/voice/status", {"CallStatus": "completed", "CallDuration": "95"}),
)

_MENU = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="{url}" finishOnKey="" input="dtmf" '
    'method="POST" numDigits="1" timeout="6"><Say language="fr-FR" voice="Polly.Lea">Appuyez sur 1.</Say>'
    '</Gather><Redirect method="POST">{url}</Redirect></Response>'
)
baseline = FastAPI()


@baseline.post("/twilio/voice/{rest:path}")
async def _baseline(rest: str, request: Request) -> Response:
    await request.form()
    if rest == "status":
        return Response(status_code=204)
    return Response(_MENU.format(url=str(request.url)), media_type="application/xml")


@dataclass
class Result:
    name: str
    seconds: float
    calls: int = 0
    errors: int = 0
    cpu: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def all(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def request_bytes(port: int, public_base: str, path: str, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    signature = sign(TOKEN, public_base + path, form)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"X-Twilio-Signature: {signature}\r\n\r\n"
    ).encode()
    return head + body


def signed_call(port: int, public_base: str) -> list[tuple[str, bytes]]:
    number = f"+2376{secrets.randbelow(10**8):08d}"
    base = call_form(caller=number, sid=new_sid("CA"), account_sid=ACCOUNT)
    out = []
    for label, path, extra in CALL:
        form = dict(base) if label == "incoming" else {**base, "CallStatus": "in-progress", **extra}
        if label == "recorded":
            form["RecordingSid"] = new_sid("RE")
            form["RecordingUrl"] = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/x"
        out.append((label, request_bytes(port, public_base, path, form)))
    return out


async def caller(
    port: int, calls: list[list[tuple[str, bytes]]], stop_at: float, result: Result, think: float = 0.0
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if think:
            await asyncio.sleep(random.uniform(0, 2 * think))
        while time.perf_counter() < stop_at and calls:
            for label, request in calls.pop():
                if think and label != "incoming":
                    await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))
                started = time.perf_counter()
                status = await exchange(reader, writer, request)
                result.latencies[label].append(time.perf_counter() - started)
                if status not in (200, 204):
                    result.errors += 1
            result.calls += 1
    finally:
        writer.close()


async def load(
    name: str, port: int, public_base: str, seconds: float, concurrency: int, think: float = 0.0
) -> Result:
    # Sign ahead so the client's CPU stays out of the measured time (as in bench/intake.py).
    calls = [signed_call(port, public_base) for _ in range(int(seconds * 150) + 200)]
    warm = Result(name, 1.0)
    await asyncio.gather(*(caller(port, calls, time.perf_counter() + 1.0, warm) for _ in range(2)))
    result = Result(name, seconds)
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(*(caller(port, calls, stop_at, result, think) for _ in range(concurrency)))
    return result


def measured(
    proc: subprocess.Popen[bytes], name: str, port: int, base: str, args: argparse.Namespace
) -> Result:
    before = cpu_seconds(proc.pid)
    result = asyncio.run(load(name, port, base, args.seconds, args.calls, args.think))
    # Includes the one-second warm-up; what the server itself burnt, whatever else the machine does.
    result.cpu = cpu_seconds(proc.pid) - before
    return result


def report(results: list[Result]) -> None:
    print(f"{'server':<9} {'route':<9} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'requests':>9}")
    for r in results:
        for label in ("incoming", "menu", "recorded", "status"):
            values = r.latencies[label]
            print(
                f"{r.name:<9} {label:<9} {r.pct(values, 0.5):>7.1f} {r.pct(values, 0.99):>7.1f} "
                f"{max(values) * 1000:>7.1f} {len(values):>9}"
            )
        print(
            f"{r.name:<9} {'all':<9} {r.pct(r.all, 0.5):>7.1f} {r.pct(r.all, 0.99):>7.1f} "
            f"{max(r.all) * 1000:>7.1f} {len(r.all):>9}   calls/s {r.calls / r.seconds:.0f}, errors {r.errors}, "
            f"server CPU {r.cpu * 1000 / max(1, len(r.all)):.2f} ms/request"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--calls", type=int, default=8, help="calls in progress at once")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a caller takes between key presses (0: none)"
    )
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()

    results = []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.ivr:baseline",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = start_server(argv, {}, port)
    try:
        results.append(measured(proc, "no-op", port, base, args))
    finally:
        stop(proc)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "HOTLINE_PUBLIC_BASE_URL": base,
        "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_LOG_JSON": "true",
        "HOTLINE_SPOOL_DIR": str(ROOT / "var" / "bench-ivr-spool"),
    }
    if args.backend == "postgres":
        database_url = asyncio.run(recreate_db(BENCH_DB))
        stream = f"hotline:bench:{secrets.token_hex(4)}"
        env |= {
            "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_REDIS_URL": REDIS_URL,
            "HOTLINE_QUEUE_STREAM": stream,
        }
    else:
        sqlite = ROOT / "var" / "bench-ivr.sqlite3"
        sqlite.unlink(missing_ok=True)
        database_url = f"sqlite+aiosqlite:///{sqlite}"
        env |= {"HOTLINE_DATABASE_URL": database_url}
    upgrade(database_url)
    proc = start_server([sys.executable, "-m", "hotline.cli", "serve", "--port", str(port)], env, port)
    try:
        results.append(measured(proc, "ivr", port, base, args))
    finally:
        stop(proc)

    report(results)
    noop, ivr = results
    p99 = ivr.pct(ivr.all, 0.99)
    ratio = p99 / noop.pct(noop.all, 0.99)
    print(
        f"ivr p99 {p99:.1f} ms (target < {TARGET_P99_MS:.0f}), {ratio:.1f}x the no-op's; "
        f"calls/s ratio {ivr.calls / noop.calls:.2f} ({args.backend}, {args.calls} calls at once, "
        f"think {args.think:g} s)"
    )
    ok = p99 < TARGET_P99_MS and ivr.errors == 0
    print("target met" if ok else "target MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
