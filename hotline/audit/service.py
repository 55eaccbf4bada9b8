"""Appending to the hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
removing, inserting or reordering any entry breaks every hash after it. Writers are
serialised (a transaction-scoped advisory lock on PostgreSQL, the database write lock on
SQLite) so two transactions can never both extend the same head and fork the chain.
Append last in a transaction: the lock is held until commit.

The canonical serialisation is specified in docs/audit.md; keep the two in step.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.clock import system_clock
from hotline.core.logging import scrub
from hotline.models import AuditEntry

GENESIS_HASH = "0" * 64
AUDIT_LOCK_KEY = 1503_0001
SYSTEM = "system"

DetailValue = str | int | bool | None


def format_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None,
    details: dict[str, Any],
    prev_hash: str,
) -> bytes:
    document = {
        "action": action,
        "actor": actor,
        "at": format_time(at),
        "details": details,
        "prev_hash": prev_hash,
        "seq": seq,
        "subject": subject,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(**fields: Any) -> str:
    return hashlib.sha256(canonical(**fields)).hexdigest()


def _clean(details: dict[str, DetailValue]) -> dict[str, DetailValue]:
    """Details are flat scalars, and strings are scrubbed: the chain must never hold a number."""
    out: dict[str, DetailValue] = {}
    for key, value in details.items():
        if not isinstance(value, str | int | bool | type(None)):
            raise TypeError(f"audit detail {key!r} must be a str, int, bool or None")
        out[str(key)] = scrub(value) if isinstance(value, str) else value
    return out


async def _lock(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


async def head(session: AsyncSession) -> AuditEntry | None:
    result = await session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    return result.scalar_one_or_none()


async def append(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    details: dict[str, DetailValue] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    await _lock(session)
    previous = await head(session)
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS_HASH if previous is None else previous.hash
    # Microsecond precision is what both PostgreSQL and SQLite keep.
    at = (at or system_clock()).astimezone(UTC)
    clean = _clean(details or {})
    digest = entry_hash(
        seq=seq, at=at, actor=actor, action=action, subject=subject, details=clean, prev_hash=prev_hash
    )
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        details=clean,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    await session.flush()
    return entry
