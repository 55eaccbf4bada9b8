"""The worker turns each stored contact into one triaged case, however often it is delivered."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit.service import GENESIS_HASH, entry_hash
from hotline.core.runtime import Runtime
from hotline.intake.pipeline import Outcome
from hotline.intake.worker import Worker
from hotline.models import AuditEntry, Case, Contact, OutboxEntry
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, post_signed, sms_form

URGENT = "Ma petite soeur de 14 ans est enfermée ce soir à Bonabéri, Douala, ils la battent. Aidez-nous"


async def send_sms(client: httpx.AsyncClient, body: str, sender: str = "+237690000001") -> httpx.Response:
    return await post_signed(
        client,
        "/twilio/sms/incoming",
        sms_form(sender=sender, body=body, account_sid=ACCOUNT_SID),
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
    )


async def drain(worker: Worker) -> int:
    handled = 0
    while n := await worker.run_once():
        handled += n
    return handled


async def test_a_text_becomes_a_triaged_case_under_the_reference_the_caller_was_told(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await send_sms(client, URGENT)
    worker = Worker(runtime, block_seconds=0.2)
    assert await drain(worker) == 1

    case = (await session.execute(select(Case))).scalar_one()
    contact = (await session.execute(select(Contact))).scalar_one()
    assert case.reference == contact.reference
    assert contact.case_id == case.id
    assert case.severity == "critical"
    assert case.minor is True
    assert case.region == "Littoral"
    assert case.reasons, "a severity always comes with its reasons"
    assert case.triage_version
    entry = (await session.execute(select(OutboxEntry))).scalar_one()
    assert entry.processed_at is not None


async def test_a_second_delivery_of_the_same_job_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await send_sms(client, URGENT)
    worker = Worker(runtime, block_seconds=0.2)
    await drain(worker)
    entry_id = (await session.execute(select(OutboxEntry.id))).scalar_one()
    audit_before = await session.scalar(select(func.count()).select_from(AuditEntry))

    from hotline.core.queue import Delivery

    assert await worker.handle(Delivery(token="again", outbox_id=entry_id)) is Outcome.already_done
    assert await session.scalar(select(func.count()).select_from(Case)) == 1
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


async def test_each_report_is_audited_in_a_chain_that_verifies(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    # Two callers: texts from one caller within 14 days join one case (tests/sms).
    for sender, body in (
        ("+237690000001", URGENT),
        ("+237690000002", "bonjour, comment avoir un passeport ?"),
    ):
        await send_sms(client, body, sender=sender)
    await drain(Worker(runtime, block_seconds=0.2))

    entries = (await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars().all()
    actions = [e.action for e in entries]
    assert actions.count("case.opened") == 2
    assert actions.count("case.triaged") == 2
    previous = GENESIS_HASH
    for e in entries:
        assert e.prev_hash == previous
        assert e.hash == entry_hash(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            subject=e.subject,
            details=e.details,
            prev_hash=e.prev_hash,
        )
        previous = e.hash
    assert all("690000001" not in str(e.details) and "soeur" not in str(e.details) for e in entries)


async def test_the_sweeper_publishes_again_what_nobody_processed(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await send_sms(client, URGENT)
    worker = Worker(runtime, block_seconds=0.2)
    # Lose the published id (as if the process died between commit and publish).
    lost = await runtime.queue.consume("someone-else", 10, 0.2)
    assert len(lost) == 1
    assert await worker.sweep() == 1
    await drain(worker)
    assert await session.scalar(select(func.count()).select_from(Case)) == 1


async def test_a_restarted_embedded_worker_picks_up_everything_left_unprocessed(
    committed_runtime: Runtime,
) -> None:
    """With an in-process queue, a restart finds every unprocessed outbox row at once, however recent."""
    import asyncio
    import dataclasses

    from hotline.core.queue import InProcessQueue
    from hotline.intake import worker as worker_module
    from tests.conftest import app_for

    transport = httpx.ASGITransport(app=app_for(committed_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for n in range(5):
            await send_sms(client, f"{URGENT} ({n})", sender=f"+23769000000{n}")
    # The old queue died with its process; the periodic sweeper would wait an hour.
    restarted = dataclasses.replace(
        committed_runtime,
        queue=InProcessQueue(),
        settings=committed_runtime.settings.model_copy(update={"sweep_after_seconds": 3600}),
    )

    async def cases() -> int:
        async with committed_runtime.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Case)) or 0)

    original_batch = worker_module.SWEEP_BATCH
    worker_module.SWEEP_BATCH = 2  # several start-up passes, each of which must move on
    stop = asyncio.Event()
    task = asyncio.create_task(Worker(restarted, block_seconds=0.1, maintenance_every=3600).run(stop))
    try:
        for _ in range(200):
            if await cases() == 5:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
        worker_module.SWEEP_BATCH = original_batch
    assert await cases() == 5


async def test_the_sweeper_does_not_copy_rows_still_waiting_in_the_queue(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """While the queue has undelivered entries the sweeper publishes nothing: a backlog must drain, not grow."""
    await send_sms(client, URGENT)
    worker = Worker(runtime, block_seconds=0.2)
    assert await runtime.queue.backlog() == 1
    assert await worker.sweep() == 0
    assert await runtime.queue.backlog() == 1, "no copy was added behind the waiting entry"
    await drain(worker)
    assert await session.scalar(select(func.count()).select_from(Case)) == 1
