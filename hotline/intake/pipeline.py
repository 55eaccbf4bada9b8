"""One pipeline job: an outbox entry becomes a triaged case, exactly once.

The job locks its outbox row (``FOR UPDATE`` on PostgreSQL; SQLite's write lock is taken at
BEGIN), returns at once if the row is already processed, and marks it processed in the same
transaction as every change it makes. A job that dies before commit leaves nothing behind,
and a second delivery of a processed id is a no-op: every stage is idempotent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.cases import service as cases
from hotline.cases.service import AssessmentLike
from hotline.core.clock import Clock, system_clock
from hotline.core.crypto import Keyring
from hotline.intake.dialogue import hold_case
from hotline.intake.service import RECEIVED
from hotline.models import Case, Contact, OutboxEntry
from hotline.privacy.sealed import contact_answers, contact_body
from hotline.routing.escalation import route_case

Assess = Callable[[str, str, Mapping[str, object]], AssessmentLike]


class Outcome(StrEnum):
    processed = "processed"
    already_done = "already_done"
    missing = "missing"
    #: no case yet: a call still in its menu, or one where the caller said nothing (dialogue.py)
    held = "held"


async def process_entry(
    session: AsyncSession,
    outbox_id: int,
    *,
    assess: Assess,
    triage_version: str,
    keyring: Keyring,
    clock: Clock = system_clock,
    anonymous_caller_ref: str | None = None,
) -> Outcome:
    entry = (
        await session.execute(select(OutboxEntry).where(OutboxEntry.id == outbox_id).with_for_update())
    ).scalar_one_or_none()
    if entry is None:
        return Outcome.missing
    if entry.processed_at is not None:
        return Outcome.already_done
    now = clock()
    contact = (
        await session.execute(select(Contact).where(Contact.id == entry.contact_id).with_for_update())
    ).scalar_one()
    # Opened here, for triage only: the plaintext never leaves this function.
    body = contact_body(keyring, contact)
    answers = contact_answers(keyring, contact)
    assessment = assess(body or "", contact.channel, answers)
    if contact.case_id is None and hold_case(body, answers, imminent_danger=assessment.imminent_danger):
        # The contact's next entry (its next answer, the end of the call) looks again.
        entry.processed_at = now
        entry.attempts += 1
        await session.flush()
        return Outcome.held
    actor = f"caller:{contact.caller_ref}"

    events: list[tuple[str, str, dict[str, audit.DetailValue]]]
    joined = await _join_open_case(session, contact, now=now, anonymous_caller_ref=anonymous_caller_ref)
    if contact.case_id is None:
        case = await cases.open_for_contact(
            session, contact, assessment, version=triage_version, now=now, answers=answers, text=body
        )
        events = [
            (actor, "contact.recorded", {"channel": contact.channel, "kind": entry.kind}),
            (audit.SYSTEM, "case.opened", {"reference": case.reference, "channel": case.channel}),
            (audit.SYSTEM, "case.triaged", _triage_details(case)),
        ]
    else:
        case = (
            await session.execute(select(Case).where(Case.id == contact.case_id).with_for_update())
        ).scalar_one()
        events = [
            (
                actor,
                "contact.updated" if entry.kind != RECEIVED else "contact.recorded",
                {"channel": contact.channel},
            )
        ]
        if joined:
            # A follow-up: the case shows fresh activity to whoever holds it.
            case.updated_at = now
            events.append((audit.SYSTEM, "contact.attached", {"reference": case.reference}))
        # Everything the caller said on this case so far, looked at again as a whole.
        all_body, all_answers = await _everything_said(session, keyring, case.id)
        assessment = assess(all_body, contact.channel, all_answers)
        if cases.refine_assessment(case, assessment, all_answers, all_body, version=triage_version, now=now):
            case.updated_at = now
            events.append((audit.SYSTEM, "case.triaged", _triage_details(case)))

    entry.processed_at = now
    entry.attempts += 1
    await session.flush()
    for event_actor, action, details in events:
        await audit.append(
            session, actor=event_actor, action=action, subject=str(case.id), details=details, at=now
        )
    await route_case(session, case, now=now)
    return Outcome.processed


async def _join_open_case(
    session: AsyncSession, contact: Contact, *, now: datetime, anonymous_caller_ref: str | None
) -> bool:
    """Attach a new text to its caller's open case of the last 14 days, if there is one.

    Callers without a usable number share one caller_ref; they are never joined together.
    """
    if (
        contact.case_id is not None
        or contact.channel not in cases.FOLLOW_UP_CHANNELS
        or contact.caller_ref == anonymous_caller_ref
    ):
        return False
    case = await cases.open_case_of_caller(
        session, contact.caller_ref, now=now, training=contact.training, exclude_reference=contact.reference
    )
    if case is None:
        return False
    contact.case_id = case.id
    return True


async def _everything_said(
    session: AsyncSession, keyring: Keyring, case_id: uuid.UUID
) -> tuple[str, dict[str, object]]:
    """The texts of a case's contacts in the order they arrived, and their answers merged (the
    newer answer to a question wins)."""
    rows = (
        await session.execute(
            select(Contact).where(Contact.case_id == case_id).order_by(Contact.received_at, Contact.id)
        )
    ).scalars()
    texts: list[str] = []
    answers: dict[str, object] = {}
    for row in rows:
        if text := contact_body(keyring, row):
            texts.append(text)
        answers.update(contact_answers(keyring, row))
    return "\n".join(texts), answers


def _triage_details(case: Case) -> dict[str, audit.DetailValue]:
    return {
        "category": case.category,
        "form": case.form,
        "severity": case.severity,
        "minor": case.minor,
        "imminent_danger": case.imminent_danger,
        "region": case.region,
        "abroad": case.abroad,
        "language": case.language,
        "triage_version": case.triage_version,
    }
