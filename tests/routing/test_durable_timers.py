"""Escalation steps are rows: they survive a restart, and two workers never run the same one."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.core.runtime import Runtime, build_runtime
from hotline.models import EscalationStep, Notification, StepState
from hotline.routing.tasks import EscalationTimer
from tests.fixtures.fake_twilio import FakeTwilio
from tests.fixtures.routing import PHONES, T0, FakeClock, littoral_team, open_case, twilio_for

WHO = {number: name for name, number in PHONES.items()}


@pytest.fixture
async def committed(committed_runtime: Runtime, fake_twilio: FakeTwilio) -> AsyncIterator[Runtime]:
    committed_runtime.telephony = twilio_for(fake_twilio)
    yield committed_runtime
    await committed_runtime.telephony.close()


async def test_a_restarted_worker_continues_the_escalation_where_it_stopped(
    committed: Runtime, fake_twilio: FakeTwilio
) -> None:
    """Worker A runs the first two steps and goes away; a new process, with nothing in memory,
    runs the third step at its due time, and no step is sent twice."""
    clock = FakeClock()
    await littoral_team(committed)
    await open_case(committed, now=T0)
    first = EscalationTimer(committed, name="worker-a", clock=clock)
    await first.run_due()
    clock.set(T0 + timedelta(minutes=5))
    await first.run_due()
    assert [WHO[m["To"]] for m in fake_twilio.messages] == ["alice", "bob"]
    await committed.engine.dispose()

    # A new process: its own engine and connections, the same database.
    fresh = build_runtime(committed.settings, queue=committed.queue)
    fresh.telephony = twilio_for(fake_twilio)
    try:
        second = EscalationTimer(fresh, name="worker-b", clock=clock)
        assert await second.run_due() == 0, "nothing is due between steps"
        clock.set(T0 + timedelta(minutes=10))
        await second.run_due()
    finally:
        await fresh.telephony.close()
        await fresh.engine.dispose()
    assert [WHO[m["To"]] for m in fake_twilio.messages] == ["alice", "bob", "sue", "nina"]


async def test_a_step_claimed_by_a_worker_that_died_is_run_once_its_lease_ends(
    committed: Runtime, fake_twilio: FakeTwilio
) -> None:
    """A worker that claimed a step and died before sending delays it by the lease, never drops it."""
    clock = FakeClock()
    await littoral_team(committed)
    await open_case(committed, now=T0)
    dead = EscalationTimer(committed, name="dead", clock=clock, lease_seconds=30)
    assert len(await dead.claim()) == 1  # ... and the process is killed here
    alive = EscalationTimer(committed, name="alive", clock=clock, lease_seconds=30)
    assert await alive.run_due() == 0, "a live lease is respected"
    clock.advance(seconds=31)
    assert await alive.run_due() == 1
    assert [WHO[m["To"]] for m in fake_twilio.messages] == ["alice"]
    # The dead worker, come back to life, cannot complete a step it no longer holds.
    async with committed.sessions() as session:
        step = (
            await session.execute(
                select(EscalationStep).where(EscalationStep.position == 0, EscalationStep.kind == "notify")
            )
        ).scalar_one()
    await dead.execute(step.id)
    assert len(fake_twilio.messages) == 1


async def test_two_workers_never_send_the_same_notification_twice(
    committed: Runtime, fake_twilio: FakeTwilio
) -> None:
    """Many cases due at once, two workers claiming concurrently (SKIP LOCKED on PostgreSQL, the
    write lock on SQLite): every primary is texted exactly once per case."""
    clock = FakeClock()
    await littoral_team(committed)
    cases = [await open_case(committed, now=T0, severity="high") for _ in range(12)]
    workers = [EscalationTimer(committed, name=f"w{i}", clock=clock, batch=3) for i in range(2)]

    async def drain(timer: EscalationTimer) -> int:
        total = 0
        while n := await timer.run_due():
            total += n
            await asyncio.sleep(0)
        return total

    done = await asyncio.gather(*(drain(w) for w in workers))
    assert sum(done) == 12
    per_body = Counter(m["Body"] for m in fake_twilio.messages)
    assert len(per_body) == 12 and set(per_body.values()) == {1}
    assert {c.reference for c in cases} == {b.split("Case ")[1][:8] for b in per_body}
    async with committed.sessions() as session:
        sms_rows = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.channel == "sms")
        )
        states = Counter(
            (
                await session.execute(
                    select(EscalationStep.state).where(
                        EscalationStep.kind == "notify", EscalationStep.position == 0
                    )
                )
            ).scalars()
        )
    assert sms_rows == 12
    assert states == Counter({StepState.done: 12})


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_claim_on_postgres_skips_rows_another_worker_holds_instead_of_waiting(
    committed: Runtime,
) -> None:
    """FOR UPDATE SKIP LOCKED: while another transaction holds some due steps, a claim takes the
    others at once, without waiting and without taking the held ones."""
    clock = FakeClock()
    await littoral_team(committed)
    for _ in range(10):
        await open_case(committed, now=T0, severity="high")
    clock.advance(seconds=1)
    async with committed.sessions() as holder, holder.begin():
        held = (
            (
                await holder.execute(
                    select(EscalationStep.id)
                    .where(EscalationStep.kind == "notify")
                    .order_by(EscalationStep.id)
                    .limit(4)
                    .with_for_update()
                )
            )
            .scalars()
            .all()
        )
        claimed = await asyncio.wait_for(
            EscalationTimer(committed, name="b", clock=clock, batch=100).claim(), timeout=5
        )
        assert not set(claimed) & set(held)
        assert len(claimed) == 6  # the six other notify steps; deadlines are not due yet
