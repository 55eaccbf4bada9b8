"""Amending a contact: later answers and words join the first delivery, once, and are re-triaged."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import func, select

from hotline.core.db import create_engine, create_session_factory
from hotline.core.runtime import Runtime
from hotline.intake.gateway import accept, amend_contact, replay_spool
from hotline.intake.service import IncomingContact
from hotline.intake.spool import Spool
from hotline.intake.worker import Worker
from hotline.models import Case, Contact, OutboxEntry
from hotline.privacy.sealed import contact_answers, contact_body


def incoming(sid: str = "CA" + "1" * 32) -> IncomingContact:
    return IncomingContact(provider="twilio", provider_id=sid, channel="voice", caller_ref="r" * 64)


async def drain(runtime: Runtime) -> None:
    worker = Worker(runtime, block_seconds=0.1)
    while await worker.run_once():
        pass


async def test_answers_are_merged_text_appended_and_a_retry_is_a_no_op(runtime: Runtime) -> None:
    recorded = await accept(runtime, incoming())
    first = await amend_contact(
        runtime,
        provider="twilio",
        provider_id="CA" + "1" * 32,
        answers={"menu": "trafficking"},
        text="ma fille",
    )
    retry = await amend_contact(
        runtime,
        provider="twilio",
        provider_id="CA" + "1" * 32,
        answers={"menu": "trafficking"},
        text="ma fille",
    )
    more = await amend_contact(
        runtime, provider="twilio", provider_id="CA" + "1" * 32, answers={"child": "yes"}
    )
    assert first.reference == recorded.reference
    assert first.outbox_id is not None
    assert retry.outbox_id is None
    assert more.outbox_id is not None
    async with runtime.sessions() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
        assert contact_answers(runtime.keyring, contact) == {"menu": "trafficking", "child": "yes"}
        assert contact_body(runtime.keyring, contact) == "ma fille"
        assert await session.scalar(select(func.count()).select_from(OutboxEntry)) == 3


async def test_a_danger_answer_given_later_raises_the_case_to_critical(runtime: Runtime) -> None:
    """An explicit "danger now" answer arriving after the case opened makes it critical."""
    recorded = await accept(runtime, incoming())
    assert recorded.outbox_id is not None
    await runtime.queue.publish(recorded.outbox_id)
    await drain(runtime)
    async with runtime.sessions() as session:
        assert (await session.execute(select(Case.severity))).scalar_one() != "critical"
    amended = await amend_contact(
        runtime, provider="twilio", provider_id="CA" + "1" * 32, answers={"danger_now": True}
    )
    assert amended.outbox_id is not None
    await runtime.queue.publish(amended.outbox_id)
    await drain(runtime)
    async with runtime.sessions() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"
    assert case.imminent_danger is True


async def test_amending_an_unknown_contact_changes_nothing(runtime: Runtime) -> None:
    amended = await amend_contact(runtime, provider="twilio", provider_id="CA-unknown", answers={"x": 1})
    assert amended == type(amended)(reference=None, outbox_id=None)


async def test_an_amendment_during_a_database_outage_is_spooled_and_replayed(
    runtime: Runtime, tmp_path: Path
) -> None:
    await accept(runtime, incoming())
    down_settings = runtime.settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/x"}
    )
    engine = create_engine(down_settings)
    spool = Spool(tmp_path / "amend-spool")
    down = dataclasses.replace(
        runtime, settings=down_settings, engine=engine, sessions=create_session_factory(engine), spool=spool
    )
    await amend_contact(down, provider="twilio", provider_id="CA" + "1" * 32, answers={"child": "yes"})
    await engine.dispose()
    assert spool.depth() == 1
    assert await replay_spool(dataclasses.replace(runtime, spool=spool)) == 1
    async with runtime.sessions() as session:
        contact = (await session.execute(select(Contact))).scalar_one()
        assert contact_answers(runtime.keyring, contact) == {"child": "yes"}
