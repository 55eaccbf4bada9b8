"""Ways of rewriting history, as someone with write access to the database would try them.

On PostgreSQL the append-only triggers are bypassed with ``session_replication_role =
replica`` (superuser only): the point is that the chain catches what the triggers cannot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.audit.service import entry_hash
from hotline.models import AuditEntry

LOG: Table = AuditEntry.__table__  # type: ignore[assignment]


@asynccontextmanager
async def triggers_off(connection: AsyncConnection) -> AsyncIterator[AsyncConnection]:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
    try:
        yield connection
    finally:
        if postgres:
            await connection.execute(text("SET LOCAL session_replication_role = origin"))


async def row(connection: AsyncConnection, seq: int) -> dict[str, Any]:
    found = (await connection.execute(select(LOG).where(LOG.c.seq == seq))).one()
    return dict(found._mapping)


def rehash(fields: dict[str, Any]) -> str:
    return entry_hash(
        **{k: fields[k] for k in ("seq", "at", "actor", "action", "subject", "details", "prev_hash")}
    )


async def edit(connection: AsyncConnection, seq: int, **values: Any) -> None:
    async with triggers_off(connection):
        await connection.execute(LOG.update().where(LOG.c.seq == seq).values(**values))


async def edit_and_rehash(connection: AsyncConnection, seq: int, **values: Any) -> None:
    fields = {**await row(connection, seq), **values}
    await edit(connection, seq, **values, hash=rehash(fields))


async def delete(connection: AsyncConnection, seq: int) -> None:
    async with triggers_off(connection):
        await connection.execute(LOG.delete().where(LOG.c.seq == seq))


async def renumber(connection: AsyncConnection, moves: dict[int, int]) -> None:
    """Give entries new sequence numbers, through a free range so the primary key never clashes."""
    async with triggers_off(connection):
        for old in moves:
            await connection.execute(LOG.update().where(LOG.c.seq == old).values(seq=old + 1_000_000))
        for old, new in moves.items():
            await connection.execute(LOG.update().where(LOG.c.seq == old + 1_000_000).values(seq=new))


async def insert_forged(connection: AsyncConnection, seq: int, prev_hash: str) -> None:
    """A well-formed entry at ``seq`` that chains onto ``prev_hash`` (its own hash is valid)."""
    fields: dict[str, Any] = {
        "seq": seq,
        "at": datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
        "actor": "system",
        "action": "case.closed",
        "subject": None,
        "details": {"reason": "forged"},
        "prev_hash": prev_hash,
    }
    async with triggers_off(connection):
        await connection.execute(LOG.insert().values(**fields, hash=rehash(fields)))


async def rewrite_everything_from(connection: AsyncConnection, seq: int, **values: Any) -> None:
    """Edit entry ``seq`` and recompute every later hash: only an anchor can catch this."""
    last = int((await connection.execute(text("SELECT max(seq) FROM audit_log"))).scalar_one())
    previous = (await row(connection, seq - 1))["hash"] if seq > 1 else "0" * 64
    for current in range(seq, last + 1):
        fields = {**await row(connection, current), "prev_hash": previous}
        if current == seq:
            fields.update(values)
        fields["hash"] = rehash(fields)
        await edit(connection, current, **{k: v for k, v in fields.items() if k != "seq"})
        previous = fields["hash"]
