"""The webhook's side of intake: store (or spool) first, answer, publish after.

A handler calls :func:`accept` before it answers the provider; the contact is committed to
the database, or, when the database cannot be reached, fsync'd to the spool. Publishing to
the queue happens after the answer (:func:`publish`); if it fails the sweeper publishes the
outbox row later, so a Redis outage delays a report but never loses it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hotline.cases.reference import new_reference
from hotline.core.db import unit_of_work
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.intake.service import (
    RECEIVED,
    IncomingContact,
    Recorded,
    ReferenceTaken,
    enqueue_update,
    find_contact,
    record,
)

log = get_logger(__name__)

RECORDING = "contact.recording"
MAX_REFERENCE_ATTEMPTS = 5


async def accept(runtime: Runtime, incoming: IncomingContact) -> Recorded:
    """Store a delivery durably and return what to tell the caller. Never raises for a DB outage."""
    spooled_reference = runtime.spool.reference_for(incoming.provider, incoming.provider_id)
    if spooled_reference is not None:
        # A retry of a delivery this process already spooled: answer with the same reference.
        incoming = dataclasses.replace(incoming, reference=spooled_reference)
    try:
        return await _commit(runtime, incoming)
    except Exception as exc:  # the database is away or broken: the spool takes the report
        log.error("intake.spooled", reason=type(exc).__name__, provider=incoming.provider)
        await runtime.spool.append(incoming.to_spool())
        runtime.spool.remember(incoming.provider, incoming.provider_id, incoming.reference)
        return Recorded(
            contact_id=None, reference=incoming.reference, outbox_id=None, created=True, spooled=True
        )


async def _commit(runtime: Runtime, incoming: IncomingContact) -> Recorded:
    for _ in range(MAX_REFERENCE_ATTEMPTS):
        try:
            async with unit_of_work(runtime.sessions) as session:
                return await record(session, incoming)
        except ReferenceTaken:
            incoming = dataclasses.replace(incoming, reference=new_reference())
    raise RuntimeError("no free case reference after several attempts")


async def publish(runtime: Runtime, outbox_id: int | None) -> None:
    if outbox_id is None:
        return
    try:
        await runtime.queue.publish(outbox_id)
    except Exception as exc:
        log.warning("queue.publish_failed", reason=type(exc).__name__, outbox_id=outbox_id)


@dataclasses.dataclass(frozen=True, slots=True)
class Attached:
    reference: str | None
    outbox_id: int | None


async def attach_recording(
    runtime: Runtime,
    *,
    provider: str,
    provider_id: str,
    recording_sid: str,
    duration: int | None,
    spool_on_failure: bool = True,
) -> Attached:
    """Note that a call's message was recorded and let the pipeline look at the contact again.

    Idempotent: a repeated callback for the same RecordingSid enqueues nothing new. Only the
    RecordingSid is kept (the recording is fetched through the API by it); never its URL.
    """
    try:
        async with unit_of_work(runtime.sessions) as session:
            contact = await find_contact(session, provider, provider_id)
            if contact is None:
                log.warning("intake.recording_for_unknown_call", provider=provider)
                return Attached(reference=None, outbox_id=None)
            if contact.answers.get("recording_sid") == recording_sid:
                return Attached(reference=contact.reference, outbox_id=None)
            contact.answers = {
                **contact.answers,
                "recording_sid": recording_sid,
                "recording_seconds": duration,
            }
            return Attached(reference=contact.reference, outbox_id=await enqueue_update(session, contact.id))
    except Exception as exc:
        if not spool_on_failure:
            raise
        log.error("intake.spooled", reason=type(exc).__name__, provider=provider)
        await runtime.spool.append(
            {
                "kind": RECORDING,
                "provider": provider,
                "provider_id": provider_id,
                "recording_sid": recording_sid,
                "duration": duration,
            }
        )
        return Attached(reference=runtime.spool.reference_for(provider, provider_id), outbox_id=None)


async def feed_spooled(runtime: Runtime, data: dict[str, Any]) -> None:
    """Write one spooled record into the database, then publish its work."""
    kind = data.get("kind", RECEIVED)
    if kind == RECEIVED:
        incoming = IncomingContact.from_spool(data)
        recorded = await _commit(runtime, incoming)
        runtime.metrics.spool_replayed.inc()
        await publish(runtime, recorded.outbox_id)
    elif kind == RECORDING:
        attached = await attach_recording(
            runtime,
            provider=data["provider"],
            provider_id=data["provider_id"],
            recording_sid=data["recording_sid"],
            duration=data.get("duration"),
            spool_on_failure=False,
        )
        runtime.metrics.spool_replayed.inc()
        await publish(runtime, attached.outbox_id)
    else:
        log.error("spool.unknown_kind", kind=str(kind)[:32])


async def replay_spool(runtime: Runtime) -> int:
    async def feed(data: dict[str, Any]) -> None:
        await feed_spooled(runtime, data)

    return await runtime.spool.replay(feed)
