"""Reports made the way callers make them (a text, a call with a recording and a callback
consent), turned into cases by the real worker, and closed at a chosen time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.intake.gateway import accept, amend_contact
from hotline.intake.identity import caller_ref_for
from hotline.intake.service import IncomingContact
from hotline.intake.worker import Worker
from hotline.models import Case, CaseStatus, Contact

WORDS = "Ma cousine Mireille est enfermée chez un patron à Bépanda, il la frappe tous les soirs"
SPOKEN = "My sister Grace is locked in a house in Buea, the madam beats her every day"


@dataclass(frozen=True)
class Report:
    case_id: uuid.UUID
    contact_id: uuid.UUID
    recording_sid: str | None


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


async def drain(runtime: Runtime) -> None:
    worker = Worker(runtime, block_seconds=0.1)
    while await worker.run_once():
        pass


async def text_report(runtime: Runtime, number: str, body: str = WORDS) -> Report:
    recorded = await accept(
        runtime,
        IncomingContact(
            provider="twilio",
            provider_id=new_sid("SM"),
            channel="sms",
            caller_ref=caller_ref_for(number, runtime.pepper),
            body=body,
        ),
    )
    assert recorded.outbox_id is not None and recorded.contact_id is not None
    await runtime.queue.publish(recorded.outbox_id)
    await drain(runtime)
    return Report(await _case_of(runtime, recorded.contact_id), recorded.contact_id, None)


async def call_report(runtime: Runtime, number: str, *, consent: bool = True) -> Report:
    call_sid, recording_sid = new_sid("CA"), new_sid("RE")
    recorded = await accept(
        runtime,
        IncomingContact(
            provider="twilio",
            provider_id=call_sid,
            channel="voice",
            caller_ref=caller_ref_for(number, runtime.pepper),
        ),
    )
    assert recorded.outbox_id is not None and recorded.contact_id is not None
    amended = await amend_contact(
        runtime,
        provider="twilio",
        provider_id=call_sid,
        answers={"recording_sid": recording_sid, "recording_seconds": 31, "menu": "trafficking"},
        text=SPOKEN,
        callback_number=number if consent else None,
    )
    assert amended.outbox_id is not None
    await runtime.queue.publish(recorded.outbox_id)
    await runtime.queue.publish(amended.outbox_id)
    await drain(runtime)
    return Report(await _case_of(runtime, recorded.contact_id), recorded.contact_id, recording_sid)


async def _case_of(runtime: Runtime, contact_id: uuid.UUID) -> uuid.UUID:
    async with runtime.sessions() as session:
        case_id = await session.scalar(select(Contact.case_id).where(Contact.id == contact_id))
    assert case_id is not None, "the worker must have opened a case"
    return case_id


async def close(runtime: Runtime, case_id: uuid.UUID, at: datetime) -> None:
    async with unit_of_work(runtime.sessions) as session:
        case = await session.get_one(Case, case_id)
        case.status = CaseStatus.closed.value
        case.closed_at = at


async def contact(runtime: Runtime, contact_id: uuid.UUID) -> Contact:
    async with runtime.sessions() as session:
        return await session.get_one(Contact, contact_id)


async def aggregates(runtime: Runtime) -> list[tuple[object, ...]]:
    """What the statistics count: cases by channel, category, severity, region and month."""
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(Case.channel, Case.category, Case.severity, Case.region, Case.minor, func.count())
            .group_by(Case.channel, Case.category, Case.severity, Case.region, Case.minor)
            .order_by(Case.channel, Case.category, Case.severity, Case.region, Case.minor)
        )
        return [tuple(row) for row in rows]
