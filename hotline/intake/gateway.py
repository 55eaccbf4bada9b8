"""The webhook's side of intake: store (or spool) first, answer, publish after.

A handler calls :func:`accept` before it answers the provider; the contact is committed to
the database, or, when the database cannot be reached, fsync'd to the spool. Publishing to
the queue happens after the answer (:func:`publish`); if it fails the sweeper publishes the
outbox row later, so a Redis outage delays a report but never loses it.

A spooled line is sealed as a whole with the data keys (``{"sealed": "<key id>:..."}``):
the spool directory on its own reveals no more than the database does.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from hotline.cases.reference import new_reference
from hotline.core.db import single_statements, unit_of_work
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.intake.identity import to_e164
from hotline.intake.service import (
    RECEIVED,
    IncomingContact,
    Lookups,
    Recorded,
    ReferenceTaken,
    enqueue_update,
    find_contact,
    record,
)
from hotline.privacy.sealed import (
    SPOOL,
    contact_answers,
    contact_body,
    contact_callback_number,
    set_contact_answers,
    set_contact_body,
    set_contact_callback_number,
)

log = get_logger(__name__)

AMENDED = "contact.amended"
MAX_REFERENCE_ATTEMPTS = 5


async def accept(
    runtime: Runtime,
    incoming: IncomingContact,
    *,
    lookups: Lookups | None = None,
    lookup_params: Mapping[str, Any] | None = None,
) -> Recorded:
    """Store a delivery durably and return what to tell the caller. Never raises for a DB outage.

    ``lookups`` are answered with the insert (:func:`hotline.intake.service.record`); a
    spooled report comes back with none.
    """
    spooled_reference = runtime.spool.reference_for(incoming.provider, incoming.provider_id)
    if spooled_reference is not None:
        # A retry of a delivery this process already spooled: answer with the same reference.
        incoming = dataclasses.replace(incoming, reference=spooled_reference)
    try:
        return await _commit(runtime, incoming, lookups, lookup_params)
    except Exception as exc:  # the database is away or broken: the spool takes the report
        log.error("intake.spooled", reason=type(exc).__name__, provider=incoming.provider)
        await _spool(runtime, incoming.to_spool())
        runtime.spool.remember(incoming.provider, incoming.provider_id, incoming.reference)
        return Recorded(
            contact_id=None, reference=incoming.reference, outbox_id=None, created=True, spooled=True
        )


async def _commit(
    runtime: Runtime,
    incoming: IncomingContact,
    lookups: Lookups | None = None,
    lookup_params: Mapping[str, Any] | None = None,
) -> Recorded:
    for _ in range(MAX_REFERENCE_ATTEMPTS):
        try:
            async with single_statements(runtime.sessions, runtime.autocommit) as executor:
                return await record(executor, incoming, runtime.keyring, lookups, lookup_params)
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
class Amended:
    reference: str | None
    outbox_id: int | None


async def amend_contact(
    runtime: Runtime,
    *,
    provider: str,
    provider_id: str,
    answers: dict[str, Any] | None = None,
    text: str | None = None,
    callback_number: str | None = None,
    spool_on_failure: bool = True,
    look_again: bool = True,
    provider_status: str | None = None,
) -> Amended:
    """Add what a caller said after the first delivery (a recording, a menu answer, a reply
    in a dialogue) to their contact, and let the pipeline look at it again.

    ``answers`` are merged into the contact's answers; ``text`` is appended to its body;
    ``callback_number`` is given only when the caller agreed to be called back, and is kept
    sealed until the case closes (retention deletes it then).
    ``provider_status`` (a call's final status) is saved in the same transaction.
    ``look_again=False`` stores without a pipeline job: a dialogue's intermediate answers, whose
    contact the pipeline holds anyway until the dialogue ends (:mod:`hotline.intake.dialogue`).
    Idempotent: a provider retry that brings nothing new enqueues nothing. Returns the
    reference to tell the caller and the outbox id to publish (None when nothing changed).
    """
    answers = answers or {}
    e164 = to_e164(callback_number, runtime.settings.default_region) if callback_number else None
    keyring = runtime.keyring
    try:
        async with unit_of_work(runtime.sessions) as session:
            contact = await find_contact(session, provider, provider_id)
            if contact is None:
                log.warning("intake.amend_unknown_contact", provider=provider)
                return Amended(reference=None, outbox_id=None)
            if provider_status is not None and contact.provider_status != provider_status:
                contact.provider_status = provider_status
            if e164 is not None and contact_callback_number(keyring, contact) != e164:
                set_contact_callback_number(keyring, contact, e164)
            old_answers = contact_answers(keyring, contact)
            merged = {**old_answers, **answers}
            body = contact_body(keyring, contact) or ""
            new_body = f"{body}\n{text}".strip() if text and not body.endswith(text) else body
            if merged == old_answers and new_body == body:
                return Amended(reference=contact.reference, outbox_id=None)
            # Sealed again only what changed: an unchanged column is not rewritten.
            if merged != old_answers:
                set_contact_answers(keyring, contact, merged)
            if new_body != body:
                set_contact_body(keyring, contact, new_body or None)
            if not look_again:
                # Kept for the record; the contact's next entry (the end of a call) triages it all.
                return Amended(reference=contact.reference, outbox_id=None)
            return Amended(reference=contact.reference, outbox_id=await enqueue_update(session, contact.id))
    except Exception as exc:
        if not spool_on_failure:
            raise
        log.error("intake.spooled", reason=type(exc).__name__, provider=provider)
        await _spool(
            runtime,
            {
                "kind": AMENDED,
                "provider": provider,
                "provider_id": provider_id,
                "answers": answers,
                "text": text,
                "callback_number": e164,
                "provider_status": provider_status,
            },
        )
        return Amended(reference=runtime.spool.reference_for(provider, provider_id), outbox_id=None)


async def _spool(runtime: Runtime, record: dict[str, Any]) -> None:
    plain = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    await runtime.spool.append({"sealed": runtime.keyring.seal(plain, SPOOL)})


def _unsealed(runtime: Runtime, data: dict[str, Any]) -> dict[str, Any]:
    if "sealed" not in data:
        return data  # a line spooled before spool lines were sealed
    record = json.loads(runtime.keyring.open(str(data["sealed"]), SPOOL))
    if not isinstance(record, dict):
        raise ValueError("a sealed spool line is not a record")
    return record


async def feed_spooled(runtime: Runtime, data: dict[str, Any]) -> None:
    """Write one spooled record into the database, then publish its work."""
    data = _unsealed(runtime, data)
    kind = data.get("kind", RECEIVED)
    if kind == RECEIVED:
        incoming = IncomingContact.from_spool(data)
        recorded = await _commit(runtime, incoming)
        runtime.metrics.spool_replayed.inc()
        await publish(runtime, recorded.outbox_id)
    elif kind == AMENDED:
        amended = await amend_contact(
            runtime,
            provider=data["provider"],
            provider_id=data["provider_id"],
            answers=data.get("answers") or {},
            text=data.get("text"),
            callback_number=data.get("callback_number"),
            spool_on_failure=False,
            provider_status=data.get("provider_status"),
        )
        runtime.metrics.spool_replayed.inc()
        await publish(runtime, amended.outbox_id)
    else:
        log.error("spool.unknown_kind", kind=str(kind)[:32])


async def replay_spool(runtime: Runtime) -> int:
    async def feed(data: dict[str, Any]) -> None:
        await feed_spooled(runtime, data)

    return await runtime.spool.replay(feed)
