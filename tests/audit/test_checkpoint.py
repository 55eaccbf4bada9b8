"""Signed checkpoints: a database writer without the key can neither forge nor rewrite what one covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.audit import checkpoint as signed
from hotline.audit import merkle
from hotline.audit import service as audit
from hotline.audit.checkpoint import Checkpoint, CheckpointError
from hotline.audit.verify import verify
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from tests.audit import tamper

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
KEY = signed.new_signing_key()


def clock() -> datetime:
    return T0 + timedelta(hours=1)


async def append(runtime: Runtime, count: int, start: int = 0) -> None:
    async with unit_of_work(runtime.sessions) as session:
        for n in range(start, start + count):
            await audit.append(
                session,
                actor="system",
                action="case.viewed",
                details={"n": n},
                at=T0 + timedelta(minutes=n),
            )


async def take(runtime: Runtime, previous: Checkpoint | None = None) -> Checkpoint:
    async with runtime.sessions() as session:
        return await signed.take(session, KEY, clock, previous)


async def tree(runtime: Runtime) -> list[bytes]:
    async with runtime.sessions() as session:
        return await signed.leaves(session)


async def test_a_checkpoint_is_the_signed_root_of_the_log_at_the_clocks_time(runtime: Runtime) -> None:
    await append(runtime, 6)
    made = await take(runtime)
    assert made.size == 6 and made.time == "2026-11-22T09:00:00.000000Z"
    assert made.root == merkle.root(await tree(runtime))
    again = Checkpoint.parse(made.text())
    assert again == made
    again.check_signature(KEY.public_key())
    signed.matches(again, await tree(runtime))


async def test_a_forged_head_entry_passes_the_chain_but_not_an_earlier_checkpoint(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    """The newest entry rewritten with a correct hash breaks no link; the signed root it was under catches it."""
    await append(runtime, 6)
    held = await take(runtime)
    await tamper.edit_and_rehash(connection, 6, action="case.closed", details={"reason": "forged"})
    async with runtime.sessions() as session:
        assert (await verify(session)).ok, "the chain alone cannot see a rewritten head"
    with pytest.raises(CheckpointError, match="history up to 6 was rewritten"):
        signed.matches(held, await tree(runtime))


async def test_a_head_replaced_after_removal_is_caught_by_the_checkpoint(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    await append(runtime, 5)
    held = await take(runtime)
    await tamper.delete(connection, 5)
    fifth = await tamper.row(connection, 4)
    await tamper.insert_forged(connection, 5, prev_hash=fifth["hash"])
    async with runtime.sessions() as session:
        assert (await verify(session)).ok
    with pytest.raises(CheckpointError, match="rewritten"):
        signed.matches(held, await tree(runtime))


async def test_cutting_entries_a_checkpoint_covers_is_caught(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    await append(runtime, 4)
    held = await take(runtime)
    await tamper.delete(connection, 4)
    with pytest.raises(CheckpointError, match="entries were removed"):
        signed.matches(held, await tree(runtime))


async def test_entries_after_a_checkpoint_keep_it_valid_and_a_newer_one_extends_it(runtime: Runtime) -> None:
    await append(runtime, 4)
    old = await take(runtime)
    await append(runtime, 3, start=4)
    signed.matches(old, await tree(runtime))
    new = await take(runtime, previous=old)
    assert new.size == 7
    assert signed.consistent(old, new, await tree(runtime)) > 0


async def test_a_rewritten_history_gets_no_signature_and_no_consistency(
    runtime: Runtime, connection: AsyncConnection
) -> None:
    """Every hash recomputed from entry 2 on: the key refuses to sign it, and a newer head signed by
    another key (all a writer without ours can make) is refused."""
    await append(runtime, 5)
    old = await take(runtime)
    await tamper.rewrite_everything_from(connection, 2, action="case.closed")
    await append(runtime, 2, start=5)
    with pytest.raises(CheckpointError, match="history was rewritten"):
        await take(runtime, previous=old)
    forger = signed.new_signing_key()
    async with runtime.sessions() as session:
        forged = await signed.take(session, forger, clock)
    with pytest.raises(CheckpointError, match="names another key"):
        forged.check_signature(KEY.public_key())
    relabelled = Checkpoint(forged.size, forged.root, forged.time, old.key, forged.signature)
    with pytest.raises(CheckpointError, match="not signed by the key"):
        relabelled.check_signature(KEY.public_key())
    # Even a correctly signed newer head cannot bridge a rewrite below the old size.
    honest_new = signed.sign(forged.size, forged.root, clock(), KEY)
    with pytest.raises(CheckpointError, match="does not extend"):
        signed.consistent(old, honest_new, await tree(runtime))


async def test_an_edited_checkpoint_is_refused(runtime: Runtime) -> None:
    await append(runtime, 3)
    made = await take(runtime)
    edited = Checkpoint.parse(made.text().replace("size 3", "size 2"))
    with pytest.raises(CheckpointError, match="not signed by the key"):
        edited.check_signature(KEY.public_key())
    for broken in ("", made.text().replace("root ", "root  "), made.text() + "extra\n"):
        with pytest.raises(CheckpointError):
            Checkpoint.parse(broken)


async def test_an_inclusion_proof_leads_from_the_entry_to_the_checkpoints_root(runtime: Runtime) -> None:
    await append(runtime, 7)
    held = await take(runtime)
    leaves = await tree(runtime)
    for seq in range(1, 8):
        async with runtime.sessions() as session:
            entry = await session.get(audit.AuditEntry, seq)
        assert entry is not None
        lines = signed.inclusion_text(seq, leaves, entry.hash).splitlines()
        assert lines[:5] == [
            "hotline-1503 audit inclusion proof v1",
            f"seq {seq}",
            "size 7",
            f"entry {entry.hash}",
            f"root {held.root.hex()}",
        ]
        path = [bytes.fromhex(line.removeprefix("path ")) for line in lines[5:]]
        merkle.verify_inclusion(seq - 1, 7, merkle.leaf_hash(bytes.fromhex(entry.hash)), path, held.root)
