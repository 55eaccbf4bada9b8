"""The audit chain: it never forks under concurrent writers, and every kind of tampering is named."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.audit import service as audit
from hotline.audit.verify import Anchor, anchor, verify
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry
from tests.audit import tamper

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


async def write_chain(runtime: Runtime, count: int = 6) -> None:
    async with unit_of_work(runtime.sessions) as session:
        for n in range(count):
            await audit.append(
                session,
                actor="system" if n % 2 else f"caller:{'a' * 64}",
                action="case.viewed" if n % 2 else "contact.recorded",
                subject=f"00000000-0000-4000-8000-00000000000{n}",
                details={"channel": "sms", "n": n, "minor": n == 3, "region": None, "note": "Bépanda"},
                at=T0 + timedelta(minutes=n),
            )


async def check(runtime: Runtime, held: Anchor | None = None) -> str | None:
    async with runtime.sessions() as session:
        report = await verify(session, anchor=held)
    return None if report.problem is None else f"{report.problem.seq} {report.problem.kind}"


async def test_an_untouched_chain_verifies_and_its_anchor_is_the_head(runtime: Runtime) -> None:
    await write_chain(runtime)
    async with runtime.sessions() as session:
        head = await anchor(session)
        report = await verify(session, anchor=head)
    assert report.ok and report.checked == 6
    assert head.seq == 6 and report.head == head
    assert Anchor.parse(str(head)) == head


async def test_an_empty_log_verifies_against_the_genesis_anchor(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        head = await anchor(session)
        assert head == Anchor("0" * 64, 0)
        assert (await verify(session, anchor=head)).ok


async def test_concurrent_writers_never_fork_the_chain(committed_runtime: Runtime) -> None:
    """Writers are serialised: twelve transactions appending at once leave one gapless chain."""
    writers, each = 12, 5

    async def writer(number: int) -> None:
        for step in range(each):
            async with unit_of_work(committed_runtime.sessions) as session:
                # Work before the append, so transactions overlap while one holds the lock.
                await session.execute(select(AuditEntry.seq).limit(1))
                await asyncio.sleep(0)
                await audit.append(
                    session, actor="system", action="test.write", details={"w": number, "s": step}
                )

    await asyncio.gather(*(writer(n) for n in range(writers)))
    async with committed_runtime.sessions() as session:
        report = await verify(session)
        seqs = (await session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq))).scalars().all()
    assert report.ok, str(report.problem)
    assert list(seqs) == list(range(1, writers * each + 1))


async def test_an_edited_entry_is_named(runtime: Runtime, connection: AsyncConnection) -> None:
    await write_chain(runtime)
    await tamper.edit(connection, 3, action="case.closed")
    assert await check(runtime) == "3 altered"


async def test_an_edited_and_rehashed_entry_breaks_the_next_link(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    await write_chain(runtime)
    await tamper.edit_and_rehash(connection, 3, details={"channel": "voice"})
    assert await check(runtime) == "4 unlinked"


async def test_a_deleted_entry_is_named_missing(runtime: Runtime, connection: AsyncConnection) -> None:
    await write_chain(runtime)
    await tamper.delete(connection, 3)
    assert await check(runtime) == "3 missing"


async def test_an_inserted_entry_is_named(runtime: Runtime, connection: AsyncConnection) -> None:
    await write_chain(runtime)
    third = await tamper.row(connection, 3)
    await tamper.renumber(connection, {6: 7, 5: 6, 4: 5})
    await tamper.insert_forged(connection, 4, prev_hash=third["hash"])
    assert await check(runtime) == "4 inserted"


async def test_a_badly_forged_insert_is_named_where_it_stands(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    await write_chain(runtime)
    await tamper.renumber(connection, {6: 7, 5: 6, 4: 5})
    await tamper.insert_forged(connection, 4, prev_hash="f" * 64)
    assert await check(runtime) == "4 unlinked"


async def test_reordered_entries_are_named(runtime: Runtime, connection: AsyncConnection) -> None:
    await write_chain(runtime)
    await tamper.renumber(connection, {3: 4, 4: 3})
    assert await check(runtime) == "3 reordered"


async def test_a_removed_and_renumbered_entry_is_named(runtime: Runtime, connection: AsyncConnection) -> None:
    await write_chain(runtime)
    await tamper.delete(connection, 2)
    await tamper.renumber(connection, {3: 2, 4: 3, 5: 4, 6: 5})
    assert await check(runtime) == "2 reordered"


async def test_cutting_the_newest_entries_is_caught_by_an_anchor(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    """Without an anchor a shortened log looks whole; with one taken earlier it does not."""
    await write_chain(runtime)
    async with runtime.sessions() as session:
        held = await anchor(session)
    await tamper.delete(connection, 6)
    await tamper.delete(connection, 5)
    assert await check(runtime) is None
    assert await check(runtime, held) == "6 missing"


async def test_a_fully_recomputed_history_is_caught_by_an_anchor(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    await write_chain(runtime)
    async with runtime.sessions() as session:
        held = await anchor(session)
    await tamper.rewrite_everything_from(connection, 2, actor="system", action="case.closed")
    assert await check(runtime) is None, "a recomputed chain is self-consistent"
    assert await check(runtime, held) == "6 anchor"
    assert await check(runtime, Anchor(held.hash, 1)) == "1 anchor"  # wrong hash for entry 1


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
    ],
)
async def test_postgres_refuses_update_delete_and_truncate(
    runtime: Runtime, connection: AsyncConnection, statement: str
) -> None:
    """On PostgreSQL the audit log is append-only: UPDATE, DELETE and TRUNCATE are refused."""
    await write_chain(runtime, 2)
    savepoint = await connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        await connection.execute(text(statement))
    await savepoint.rollback()
    assert await check(runtime) is None
    assert int((await connection.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()) == 2


async def test_a_configuration_change_is_audited_once_without_secrets(runtime: Runtime) -> None:
    """Changing a retention period, a data key or the pepper writes one config.changed event."""
    from hotline.audit.configuration import record_configuration

    async with unit_of_work(runtime.sessions) as session:
        assert await record_configuration(session, runtime.settings) is True
        assert await record_configuration(session, runtime.settings) is False
        longer = runtime.settings.model_copy(update={"retention_body_days": 730})
        assert await record_configuration(session, longer) is True
        events = (
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.action == "config.changed").order_by(AuditEntry.seq)
                )
            )
            .scalars()
            .all()
        )
    assert [e.details["changed"] for e in events][-1] == "retention_body_days"
    assert events[-1].details["retention_body_days"] == 730
    assert events[-1].details["data_keys"] == "t1"
    secrets = (
        runtime.settings.caller_pepper.get_secret_value(),
        runtime.settings.data_keys.get_secret_value(),
    )
    assert not any(secret in str(e.details) for e in events for secret in secrets)
