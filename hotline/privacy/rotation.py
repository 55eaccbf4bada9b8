"""``hotline keys rotate``: re-seal every personal value under the newest data key.

Runs in batches, one transaction each, over every sealed column
(:func:`hotline.privacy.sealed.sealed_columns`: each ``*_enc`` column of every model); a value already under the newest key is
skipped. So a rotation that stops half-way (a crash, Ctrl-C, a deploy) is resumed simply by
running it again, and running it twice is harmless. Once it reports ``complete``, the older
keys can leave ``HOTLINE_DATA_KEYS`` (after any spool files sealed under them are replayed).

Procedure (docs/privacy.md): generate a key (``hotline keys new``), put it first in
HOTLINE_DATA_KEYS, restart everything, run ``hotline keys rotate``, then drop the old key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Table, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.core.crypto import SealError
from hotline.core.db import unit_of_work
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.models import Base
from hotline.privacy.sealed import SealedColumn, sealed_columns

log = get_logger(__name__)

BATCH = 500
BatchHook = Callable[[SealedColumn, int], Awaitable[None]]


@dataclass
class RotationReport:
    key_id: str
    resealed: dict[str, int] = field(default_factory=dict)
    unreadable: int = 0
    complete: bool = False

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


def _table(sealed: SealedColumn) -> Table:
    # The mapped table, not a bare one: the key's type decides how its value reads (a UUID on
    # SQLite is stored as 32 hex digits), and the associated data is made of that value.
    return Base.metadata.tables[sealed.table]


async def _batch(
    session: AsyncSession, runtime: Runtime, sealed: SealedColumn, after: object | None, size: int
) -> tuple[int, int, object | None, int]:
    """Re-seal one batch; returns (resealed, unreadable, last key seen, rows looked at)."""
    keyring = runtime.keyring
    t = _table(sealed)
    pk, value = t.c[sealed.primary_key], t.c[sealed.column]
    condition = and_(value.is_not(None), ~value.like(f"{keyring.current}:%"))
    if after is not None:
        condition = and_(condition, pk > after)
    statement = select(pk, value).where(condition).order_by(pk).limit(size)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = (await session.execute(statement)).all()
    resealed = unreadable = 0
    for row_id, token in rows:
        where = sealed.at(row_id)
        try:
            plain = keyring.open(token, where)
        except SealError:
            unreadable += 1
            continue
        await session.execute(
            update(t).where(pk == row_id).values({sealed.column: keyring.seal(plain, where)})
        )
        resealed += 1
    return resealed, unreadable, (rows[-1][0] if rows else after), len(rows)


async def rotate(
    runtime: Runtime,
    *,
    now: datetime,
    batch: int = BATCH,
    max_batches: int | None = None,
    before_commit: BatchHook | None = None,
) -> RotationReport:
    """Re-seal under the newest key. ``max_batches`` stops early (complete=False);
    ``before_commit`` runs inside each batch's transaction (tests use it to crash one)."""
    report = RotationReport(key_id=runtime.keyring.current)
    batches = 0
    for sealed in sealed_columns():
        name = f"{sealed.table}.{sealed.column}"
        report.resealed.setdefault(name, 0)
        after: object | None = None
        while True:
            if max_batches is not None and batches >= max_batches:
                await _record(runtime, report, now)
                return report
            async with unit_of_work(runtime.sessions) as session:
                resealed, unreadable, after, seen = await _batch(session, runtime, sealed, after, batch)
                if before_commit is not None and seen:
                    await before_commit(sealed, resealed)
            batches += 1
            report.resealed[name] += resealed
            report.unreadable += unreadable
            if seen < batch:
                break
    report.complete = report.unreadable == 0
    await _record(runtime, report, now)
    return report


async def _record(runtime: Runtime, report: RotationReport, now: datetime) -> None:
    async with unit_of_work(runtime.sessions) as session:
        await audit.append(
            session,
            actor="operator:cli",
            action="keys.rotated",
            details={
                "key_id": report.key_id,
                "resealed": report.total,
                "unreadable": report.unreadable,
                "complete": report.complete,
            },
            at=now,
        )
    log.info("keys.rotated", key_id=report.key_id, resealed=report.total, complete=report.complete)
