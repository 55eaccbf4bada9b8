"""Scale-out proof: 2 x ``hotline serve`` + 3 x ``hotline worker`` on one PostgreSQL and one Redis.

N simulated reports (default 10,000), SMS and calls mixed, are spread over both API processes,
10% of them delivered twice (the retry goes to the other API process). Half-way through one
worker is SIGKILLed and restarted. When the outbox has drained the script counts, from the
database, that every report is exactly one contact, has exactly one case, was opened and
triaged exactly once (audit events per case) and assigned; nothing duplicated, nothing lost.

    .venv/bin/python bench/scaleout.py [--reports 10000] [--concurrency 48] [--calls 0.4]

Exit status 1 when an invariant fails. Needs PostgreSQL on 127.0.0.1:5432 (a fresh database of
its own, dropped afterwards unless --keep) and Redis on 127.0.0.1:6379 (a stream of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotline.ivr.phone import HungUp, Message, TwimlPhone  # noqa: E402
from hotline.simulate import call_form, new_sid, sign, sms_form  # noqa: E402

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = "bench-auth-token-0123456789abcdef0123"
ACCOUNT = "AC" + "0" * 32
SECRETS = {
    "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
    "HOTLINE_SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
    "HOTLINE_CALLER_PEPPER": "bench-pepper-0123456789abcdef0123",
    "HOTLINE_DATA_KEYS": "b1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
}
PUBLIC = "https://1503.bench.example"

SMS_TEXTS = (
    "Bonsoir, ma voisine à Douala garde une fillette de 11 ans, jamais payée, elle ne va pas à l'école",
    "They took my passport in Beirut and lock me in the house, please help",
    "On m'a promis un travail au Koweït mais je dois payer 500000 francs d'avance",
    "Comment obtenir un passeport pour voyager légalement ?",
    "My sister dey for Libya, dem dey beat am, dem want ransom",
    "Des jeunes du quartier à Bafoussam partent demain par le désert avec un passeur",
)


# ----------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process on port {port} exited early with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


@dataclass
class Cluster:
    """The processes of one run and the environment they share."""

    env: dict[str, str]
    log_dir: Path
    apis: list[tuple[int, subprocess.Popen[bytes]]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(
        self, argv: list[str], name: str, extra: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", *argv],
            env={**os.environ, **self.env, **(extra or {})},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_api(self, port: int | None = None) -> int:
        port = port or free_port()
        proc = self.spawn(["serve", "--port", str(port)], f"api-{port}")
        wait_port(port, proc)
        self.apis.append((port, proc))
        return port

    def start_worker(self, index: int) -> subprocess.Popen[bytes]:
        proc = self.spawn(["worker"], f"worker-{index}")
        if index < len(self.workers):
            self.workers[index] = proc
        else:
            self.workers.append(proc)
        return proc

    def stop(self) -> None:
        procs = [p for _, p in self.apis] + self.workers
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def make_env(database: str, stream: str, spool: Path, redis_url: str = REDIS_URL) -> dict[str, str]:
    return {
        **SECRETS,
        "HOTLINE_ENV": "development",
        "HOTLINE_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_QUEUE_STREAM": stream,
        "HOTLINE_PUBLIC_BASE_URL": PUBLIC,
        "HOTLINE_SPOOL_DIR": str(spool),
        "HOTLINE_LOG_JSON": "true",
        "HOTLINE_LOG_LEVEL": "WARNING",
        "HOTLINE_EMERGENCY_NUMBER": "+237222000000",
        # Shorter than the defaults (30, 60) so the killed worker's jobs come back within the run;
        # not so short that the sweeper republishes work the workers simply have not reached yet.
        "HOTLINE_SWEEP_AFTER_SECONDS": os.environ.get("HOTLINE_BENCH_SWEEP_AFTER_SECONDS", "30"),
        "HOTLINE_RECLAIM_AFTER_SECONDS": "10",
    }


async def create_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def prepare(env: dict[str, str]) -> None:
    """Migrate and give every region a primary (the demo accounts and the demo roster)."""
    code = (
        "import asyncio\n"
        "from hotline.core.config import load_settings\n"
        "from hotline.core.migrations import upgrade\n"
        "from hotline.core.runtime import build_runtime\n"
        "from hotline.core.db import unit_of_work\n"
        "from hotline.demo import DEMO_LOGINS, demo_roster\n"
        "from hotline.agents.service import create_agent\n"
        "from hotline.routing.roster import roster_from\n"
        "from hotline.routing.service import import_roster\n"
        "s = load_settings()\n"
        "upgrade(s.database_url)\n"
        "async def main():\n"
        "    rt = build_runtime(s)\n"
        "    async with unit_of_work(rt.sessions) as session:\n"
        "        for login in DEMO_LOGINS:\n"
        "            await create_agent(session, username=login.username, password=login.password,\n"
        "                               role=login.role, regions=login.regions)\n"
        "        await import_roster(session, roster_from(demo_roster()), keyring=rt.keyring,\n"
        "                            pepper=rt.pepper, imported_by='bench')\n"
        "    await rt.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, cwd=ROOT, check=True)


# ----------------------------------------------------------------------------- reports


class ScriptedCaller:
    """Presses 9 at the first menu (danger: put through at once). ``message``: the agent does
    not answer and the caller leaves a message; otherwise the agent answers."""

    def __init__(self, message: bool) -> None:
        self.message = message
        self.pressed = False

    def hear(self, heard: object) -> None:
        return None

    def press(self, num_digits: int) -> str:
        if self.pressed:
            raise HungUp
        self.pressed = True
        return "9"

    def speak(self, max_seconds: int) -> Message:
        if not self.message:
            raise HungUp
        return Message(seconds=min(20, max_seconds), hang_up_after=True)

    def agent_answers(self) -> bool:
        return not self.message


@dataclass
class Tally:
    sent: set[str] = field(default_factory=set)
    # The first webhook of a report got no answer (connection reset): Twilio would go to the
    # fallback URL; such a report was never accepted, so it is not counted as lost.
    unanswered: set[str] = field(default_factory=set)
    requests: int = 0
    duplicates_sent: int = 0
    errors: list[str] = field(default_factory=list)


async def post(client: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    signature = sign(TOKEN, PUBLIC + path, form)
    for attempt in range(3):
        try:
            return await client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        except httpx.TransportError:
            # Twilio retries a connection that failed; so do we (the same signed delivery).
            if attempt == 2:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def one_report(
    index: int, clients: list[httpx.AsyncClient], call_share: float, rng: random.Random, tally: Tally
) -> None:
    client, other = clients[index % 2], clients[(index + 1) % 2]
    number = f"+2376{70000000 + index:08d}"
    duplicate = rng.random() < 0.10
    try:
        if rng.random() < call_share:
            sid = new_sid("CA")
            tally.sent.add(sid)
            phone = TwimlPhone(client, public_base_url=PUBLIC, auth_token=TOKEN, account_sid=ACCOUNT)
            record = await phone.call(ScriptedCaller(message=rng.random() < 0.3), number=number, sid=sid)
            tally.requests += len(record.exchanges)
            if duplicate:
                response = await post(
                    other, "/twilio/voice/incoming", call_form(caller=number, sid=sid, account_sid=ACCOUNT)
                )
                tally.requests += 1
                tally.duplicates_sent += 1
                if response.status_code != 200:
                    tally.errors.append(f"duplicate call {response.status_code}")
        else:
            form = sms_form(sender=number, body=rng.choice(SMS_TEXTS), account_sid=ACCOUNT)
            tally.sent.add(form["MessageSid"])
            response = await post(client, "/twilio/sms/incoming", form)
            tally.requests += 1
            if response.status_code != 200:
                tally.errors.append(f"sms {response.status_code}")
            if duplicate:
                response = await post(other, "/twilio/sms/incoming", form)
                tally.requests += 1
                tally.duplicates_sent += 1
                if response.status_code != 200:
                    tally.errors.append(f"duplicate sms {response.status_code}")
    except httpx.TransportError as exc:
        tally.errors.append(f"report {index}: {exc!r}"[:200])
        if record_sid := locals().get("sid") or locals().get("form", {}).get("MessageSid"):
            tally.unanswered.add(str(record_sid))
    except Exception as exc:  # a failed report is counted, the run goes on
        tally.errors.append(f"report {index}: {exc!r}"[:200])


async def drive(
    ports: list[int],
    reports: int,
    concurrency: int,
    call_share: float,
    seed: int,
    halfway: asyncio.Event,
) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits) for port in ports
    ]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(reports):
        queue.put_nowait(i)

    async def runner() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await one_report(i, clients, call_share, rng, tally)
            if i == reports // 2:
                halfway.set()

    try:
        await asyncio.gather(*(runner() for _ in range(concurrency)))
    finally:
        for client in clients:
            await client.aclose()
    return tally


# ----------------------------------------------------------------------------- counting


async def pending(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("select count(*) from outbox where processed_at is null"))
    finally:
        await conn.close()


def spool_lines(spool: Path) -> int:
    return sum(1 for p in spool.glob("*") if p.is_file() and p.stat().st_size > 0)


async def wait_drained(dsn: str, spool: Path, limit: float) -> float:
    """Seconds until the outbox is empty and every spool file replayed, twice in a row."""
    started = time.monotonic()
    calm = 0
    while time.monotonic() - started < limit:
        if await pending(dsn) == 0 and spool_lines(spool) == 0:
            calm += 1
            if calm >= 2:
                return time.monotonic() - started
        else:
            calm = 0
        await asyncio.sleep(1.0)
    raise SystemExit(f"the outbox did not drain in {limit:.0f} s ({await pending(dsn)} pending)")


async def stored_ids(dsn: str, ids: set[str]) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "select provider_id from contacts where provider_id = any($1::text[])", list(ids)
        )
        return {r["provider_id"] for r in rows}
    finally:
        await conn.close()


async def invariants(dsn: str, sent: set[str]) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        ids = list(sent)
        contacts = await conn.fetchval("select count(*) from contacts")
        found = await conn.fetchval("select count(*) from contacts where provider_id = any($1::text[])", ids)
        per_delivery = await conn.fetchval(
            "select count(*) from (select provider_id from contacts group by provider, provider_id having count(*) > 1) d"
        )
        cases = await conn.fetchval("select count(*) from cases")
        without_case = await conn.fetchval(
            "select count(*) from contacts where case_id is null and provider_id = any($1::text[])", ids
        )
        shared = await conn.fetchval(
            "select count(*) from (select case_id from contacts where case_id is not null group by case_id having count(*) > 1) s"
        )
        caseless = await conn.fetchval(
            "select count(*) from cases c where not exists (select 1 from contacts k where k.case_id = c.id)"
        )
        counts = await conn.fetch(
            """
            select c.id,
                   count(*) filter (where a.action = 'case.opened') as opened,
                   count(*) filter (where a.action = 'case.triaged') as triaged,
                   count(*) filter (where a.action = 'case.assigned') as assigned
            from cases c left join audit_log a on a.subject = c.id::text
            group by c.id
            """
        )
        unowned = await conn.fetchval(
            "select count(*) from cases where assignee_id is null and escalation is null"
        )
        return {
            "reports sent (distinct)": len(sent),
            "contacts": int(contacts),
            "cases": int(cases),
            "lost (sent, no contact)": len(sent) - int(found),
            "duplicated (same delivery twice)": int(per_delivery),
            "duplicated (cases beyond one per report)": int(shared) + int(caseless),
            "reports without a case": int(without_case),
            "cases opened != 1": sum(1 for r in counts if r["opened"] != 1),
            "cases triaged != 1": sum(1 for r in counts if r["triaged"] != 1),
            "cases assigned != 1": sum(1 for r in counts if r["assigned"] != 1),
            "cases without owner or escalation": int(unowned),
        }
    finally:
        await conn.close()


def check(counts: dict[str, int]) -> list[str]:
    failures = []
    n = counts["reports sent (distinct)"]
    if counts["contacts"] != n:
        failures.append(f"contacts {counts['contacts']} != reports {n}")
    if counts["cases"] != n:
        failures.append(f"cases {counts['cases']} != reports {n}")
    for key, value in counts.items():
        if key not in ("reports sent (distinct)", "contacts", "cases") and value != 0:
            failures.append(f"{key}: {value}")
    return failures


# ----------------------------------------------------------------------------- main


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError):
            pass
    return total


async def run(args: argparse.Namespace) -> int:
    database = f"hotline_scaleout_{secrets.token_hex(4)}"
    stream = f"hotline:scaleout:{secrets.token_hex(4)}"
    work = Path(tempfile.mkdtemp(prefix="hotline-scaleout-"))
    spool = work / "spool"
    dsn = f"{PG_BASE}/{database}"
    await create_database(database)
    env = make_env(database, stream, spool)
    cluster = Cluster(env=env, log_dir=work)
    print(f"database {database}, stream {stream}, logs {work}; load average {load_average()}", flush=True)
    try:
        await asyncio.to_thread(prepare, env)
        ports = [cluster.start_api(), cluster.start_api()]
        for i in range(3):
            cluster.start_worker(i)
        halfway = asyncio.Event()
        started = time.monotonic()
        driver = asyncio.create_task(
            drive(ports, args.reports, args.concurrency, args.calls, args.seed, halfway)
        )
        await halfway.wait()
        victim = cluster.workers[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed_at = time.monotonic() - started
        print(f"worker 0 (pid {victim.pid}) SIGKILLed at {killed_at:.1f} s; restarted 1 s later", flush=True)
        await asyncio.sleep(1.0)
        cluster.start_worker(0)
        tally = await driver
        sent_for = time.monotonic() - started
        drained_after = await wait_drained(dsn, spool, args.drain_timeout)
        total = time.monotonic() - started
        cpu_api = cpu_seconds([p.pid for _, p in cluster.apis])
        cpu_workers = cpu_seconds([w.pid for w in cluster.workers])
        stored = await stored_ids(dsn, tally.unanswered)
        # Unanswered but stored (the answer was lost on the way back) counts as accepted.
        counts = await invariants(dsn, tally.sent - (tally.unanswered - stored))
    finally:
        cluster.stop()
        redis.Redis.from_url(REDIS_URL).delete(stream)
        if not args.keep:
            await drop_database(database)
            shutil.rmtree(work, ignore_errors=True)

    print(
        f"{args.reports} reports ({tally.duplicates_sent} duplicate deliveries, {tally.requests} webhook requests) "
        f"sent in {sent_for:.1f} s ({tally.requests / sent_for:.0f} req/s); outbox drained {drained_after:.1f} s later; "
        f"total {total:.1f} s; load average {load_average()}"
    )
    print(
        f"CPU seconds: 2 API processes {cpu_api:.1f} ({cpu_api / tally.requests * 1000:.1f} ms per webhook), "
        f"3 workers {cpu_workers:.1f} ({cpu_workers / args.reports * 1000:.1f} ms per report; "
        "the restarted worker counted from its restart)"
    )
    if tally.errors:
        print(f"client errors: {len(tally.errors)}, first: {tally.errors[:3]}")
    width = max(len(k) for k in counts)
    for key, value in counts.items():
        print(f"  {key:<{width}}  {value}")
    unanswered = tally.unanswered - stored
    if unanswered:
        print(
            f"deliveries never answered (connection reset; Twilio would use the fallback), not stored: {len(unanswered)}"
        )
    answered_errors = len(tally.errors) - len(tally.unanswered)
    failures = check(counts) + ([f"client errors: {answered_errors}"] if answered_errors else [])
    if failures:
        print("INVARIANTS FAILED: " + "; ".join(failures))
        return 1
    print("all invariants hold")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--calls", type=float, default=0.4, help="share of reports that are calls")
    parser.add_argument("--seed", type=int, default=1503)
    parser.add_argument("--drain-timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
