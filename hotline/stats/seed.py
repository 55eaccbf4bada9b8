"""Synthetic cases and contacts for the statistics benchmark, written with PostgreSQL COPY.

Every seeded row carries the caller_ref :data:`SEED_CALLER`, so a new seed replaces the
previous one and nothing seeded can be mistaken for a report. No text is generated.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]

SEED_CALLER: Final = "bench-seed"
BATCH: Final = 50_000
REGIONS: Final = (
    ("Centre", 20), ("Littoral", 20), ("Extreme-Nord", 12), ("Ouest", 9), ("Nord-Ouest", 8), ("Sud-Ouest", 8),
    ("Nord", 7), ("Adamaoua", 5), ("Est", 5), ("Sud", 4), (None, 2),
)  # fmt: skip
CATEGORIES: Final = (
    ("trafficking", 35), ("migrant_distress", 20), ("risky_recruitment", 15), ("returnee_support", 8),
    ("information", 17), ("non_actionable", 5),
)  # fmt: skip
FORMS: Final = (
    ("labour", 30),
    ("sexual", 25),
    ("domestic", 20),
    ("begging", 8),
    ("marriage", 7),
    ("organ", 1),
    ("unspecified", 9),
)
SEVERITIES: Final = (("critical", 8), ("high", 22), ("medium", 40), ("low", 30))
CHANNELS: Final = (("voice", 45), ("sms", 30), ("whatsapp", 15), ("ussd", 10))
LANGUAGES: Final = (("fr", 60), ("en", 20), ("pcm", 15), ("mixed", 5))
SLA_MINUTES: Final = {"critical": 5, "high": 15, "medium": 60, "low": 480}
CASE_COLUMNS: Final = (
    "id", "reference", "status", "channel", "caller_ref", "created_at", "updated_at", "training", "category",
    "form", "severity", "minor", "imminent_danger", "region", "abroad", "language", "reasons", "escalation",
)  # fmt: skip
CONTACT_COLUMNS: Final = (
    "id", "provider", "provider_id", "channel", "caller_ref", "reference", "provider_status", "received_at",
    "case_id", "training",
)  # fmt: skip


def _pick(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def synthetic(
    count: int, *, now: datetime, days: int, seed: int = 1503
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """(case row, contact rows) for ``count`` cases spread over the last ``days`` days."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    span = days * 86400
    for i in range(count):
        created = now - timedelta(seconds=rng.uniform(0, span))
        category = _pick(rng, CATEGORIES)
        severity = _pick(rng, SEVERITIES)
        channel = _pick(rng, CHANNELS)
        region = _pick(rng, REGIONS)
        escalation = None
        if rng.random() < 0.9:
            deadline = created + timedelta(minutes=SLA_MINUTES[severity])
            ack = created + timedelta(minutes=rng.lognormvariate(1.6, 1.0) * SLA_MINUTES[severity] / 6)
            on_time = ack <= deadline
            escalation = {
                "sla": {
                    "deadline": _iso(deadline),
                    "acknowledged_at": _iso(ack),
                    "met_at": _iso(ack) if on_time else None,
                    "breached_at": None if on_time else _iso(deadline),
                }
            }
        case_id = uuid.uuid4()
        case = (
            case_id, f"B{i:07d}", "closed", channel, SEED_CALLER, created, created, False, category,
            _pick(rng, FORMS) if category == "trafficking" else None, severity, rng.random() < 0.1,
            severity == "critical", None if region is None and rng.random() < 0.5 else region,
            rng.random() < 0.08, _pick(rng, LANGUAGES), "[]", None if escalation is None else json.dumps(escalation),
        )  # fmt: skip
        contacts: list[tuple[Any, ...]] = [
            (uuid.uuid4(), "bench", f"seed-{i}", channel, SEED_CALLER, f"C{i:07d}",
             "completed" if channel == "voice" else None, created, case_id, False)
        ]  # fmt: skip
        if rng.random() < 0.2:  # a call that ended with nothing said, or was never answered
            status = rng.choice(("completed", "completed", "canceled", "no-answer"))
            contacts.append(
                (uuid.uuid4(), "bench", f"seed-call-{i}", "voice", SEED_CALLER, f"D{i:07d}", status,
                 created - timedelta(minutes=3), None, False)
            )  # fmt: skip
        yield case, contacts


async def seed_cases(dsn: str, count: int, *, now: datetime, days: int = 900) -> None:
    """Replace the previous seed with ``count`` synthetic cases (PostgreSQL only)."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.execute("DELETE FROM contacts WHERE caller_ref = $1", SEED_CALLER)
            await connection.execute("DELETE FROM cases WHERE caller_ref = $1", SEED_CALLER)
        cases: list[tuple[Any, ...]] = []
        contacts: list[tuple[Any, ...]] = []
        for case, its_contacts in synthetic(count, now=now, days=days):
            cases.append(case)
            contacts.extend(its_contacts)
            if len(cases) >= BATCH:
                await _copy(connection, cases, contacts)
                cases, contacts = [], []
        if cases:
            await _copy(connection, cases, contacts)
        await connection.execute("ANALYZE cases")
        await connection.execute("ANALYZE contacts")
    finally:
        await connection.close()


async def _copy(
    connection: asyncpg.Connection, cases: list[tuple[Any, ...]], contacts: list[tuple[Any, ...]]
) -> None:
    async with connection.transaction():
        await connection.copy_records_to_table("cases", records=cases, columns=CASE_COLUMNS)
        await connection.copy_records_to_table("contacts", records=contacts, columns=CONTACT_COLUMNS)
