"""Requests of the people concerned: export what is held about a number, or erase it.

The system keeps no numbers, so a request is found through ``caller_ref``: the number is
peppered with the current pepper and every retired one (``HOTLINE_CALLER_PEPPER_PREVIOUS``),
and whatever was filed under those pseudonyms is what the request covers.

Erasure deletes what the person said (texts, transcripts, answers, callback numbers, the
provider's recordings) and replaces their caller_ref with a random pseudonym, on contacts and
cases alike, so nothing links the number to them any more. What remains is anonymous: the
case's assessment, which the statistics count, and the audit chain, which is append-only and
stays valid (it holds only the old pseudonym, which no one can recompute from the number once
the pepper is rotated; docs/privacy.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.core.security import caller_ref
from hotline.intake.identity import to_e164
from hotline.models import AuditEntry, Case, Contact, Partner, Referral
from hotline.privacy.recordings import delete_all, recording_sids
from hotline.privacy.retention import dependent_tables, strip_quotes
from hotline.privacy.sealed import contact_answers, contact_body, contact_callback_number
from hotline.referrals.lifecycle import needs_text

OPERATOR = "operator:cli"
ERASED_PREFIX = "erased:"


class RequestError(ValueError):
    """The request cannot be carried out; the message says why, without the number."""


def caller_refs(runtime: Runtime, number: str) -> list[str]:
    e164 = to_e164(number, runtime.settings.default_region)
    if e164 is None:
        raise RequestError("that is not a phone number this hotline could have received")
    previous = runtime.settings.caller_pepper_previous.get_secret_value()
    peppers = [runtime.pepper, *(p.strip() for p in previous.split(",") if p.strip())]
    return [caller_ref(pepper, e164) for pepper in peppers]


@dataclass(frozen=True, slots=True)
class Holdings:
    contacts: list[Contact]
    cases: list[Case]


async def _holdings(session: AsyncSession, refs: list[str], *, lock: bool = False) -> Holdings:
    contact_query = select(Contact).where(Contact.caller_ref.in_(refs)).order_by(Contact.received_at)
    contacts = list(
        (await session.execute(contact_query.with_for_update() if lock else contact_query)).scalars()
    )
    case_ids = {c.case_id for c in contacts if c.case_id is not None}
    case_query = (
        select(Case).where(or_(Case.caller_ref.in_(refs), Case.id.in_(case_ids))).order_by(Case.created_at)
    )
    cases = list((await session.execute(case_query.with_for_update() if lock else case_query)).scalars())
    return Holdings(contacts=contacts, cases=cases)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def export(runtime: Runtime, number: str, *, now: datetime) -> dict[str, Any]:
    """Everything held about the number, readable, as one JSON-ready document. Audited."""
    refs = caller_refs(runtime, number)
    keyring = runtime.keyring
    async with unit_of_work(runtime.sessions) as session:
        held = await _holdings(session, refs)
        references = {case.id: case.reference for case in held.cases}
        actors = [f"caller:{ref}" for ref in refs]
        subjects = [str(case.id) for case in held.cases]
        events = (
            await session.execute(
                select(AuditEntry)
                .where(or_(AuditEntry.actor.in_(actors), AuditEntry.subject.in_(subjects)))
                .order_by(AuditEntry.seq)
            )
        ).scalars()
        shared_with = (
            await session.execute(
                select(Referral, Partner)
                .join(Partner, Referral.partner_id == Partner.id)
                .where(Referral.case_id.in_(list(references)), Referral.sent_at.is_not(None))
                .order_by(Referral.sent_at)
            )
        ).all()
        document: dict[str, Any] = {
            "generated_at": now.isoformat(),
            "about": "what the 1503 hotline holds about one phone number (docs/privacy.md)",
            "cases": [
                {
                    "reference": case.reference,
                    "status": case.status,
                    "channel": case.channel,
                    "created_at": _time(case.created_at),
                    "closed_at": _time(case.closed_at),
                    "category": case.category,
                    "form": case.form,
                    "severity": case.severity,
                    "minor": case.minor,
                    "imminent_danger": case.imminent_danger,
                    "region": case.region,
                    "abroad": case.abroad,
                    "language": case.language,
                    "reasons": list(case.reasons or []),
                }
                for case in held.cases
            ],
            "contacts": [
                {
                    "reference": contact.reference,
                    "case_reference": references.get(contact.case_id) if contact.case_id else None,
                    "channel": contact.channel,
                    "received_at": _time(contact.received_at),
                    "text": contact_body(keyring, contact),
                    "answers": contact_answers(keyring, contact),
                    "callback_number": contact_callback_number(keyring, contact),
                }
                for contact in held.contacts
            ],
            # Who received what (the recipients of the person's data), from each referral's record.
            "referrals": [
                {
                    "case_reference": references.get(referral.case_id),
                    "partner": partner.name,
                    "partner_kind": referral.partner_kind,
                    "status": referral.status,
                    "basis": referral.basis,
                    "sent_at": _time(referral.sent_at),
                    "shared_fields": sorted((referral.shared or {}).get("fields", {})),
                    "needs": needs_text(keyring, referral),
                }
                for referral, partner in shared_with
            ],
            "audit_events": [
                {"seq": e.seq, "at": _time(e.at), "actor": e.actor, "action": e.action, "subject": e.subject}
                for e in events
            ],
        }
        await audit.append(
            session,
            actor=OPERATOR,
            action="privacy.exported",
            details={"cases": len(held.cases), "contacts": len(held.contacts)},
            at=now,
        )
    return document


@dataclass(frozen=True, slots=True)
class Erased:
    cases: int
    contacts: int
    recordings: int


async def erase(runtime: Runtime, number: str, *, now: datetime) -> Erased:
    """Delete what the person said and unlink them from their cases. Audited.

    Recordings are deleted at the provider first; if one cannot be, nothing is erased (the
    Sid would be lost with the answers) and :class:`RequestError` asks to retry later.
    """
    refs = caller_refs(runtime, number)
    keyring = runtime.keyring
    async with runtime.sessions() as session:
        held = await _holdings(session, refs)
        sids = [sid for contact in held.contacts for sid in recording_sids(contact_answers(keyring, contact))]
    deleted, failed = await delete_all(runtime.telephony, sids)
    if failed:
        raise RequestError(
            f"{len(failed)} recordings could not be deleted at the provider; nothing erased, retry later"
        )

    pseudonym = ERASED_PREFIX + secrets.token_hex(28)
    async with unit_of_work(runtime.sessions) as session:
        held = await _holdings(session, refs, lock=True)
        for contact in held.contacts:
            contact.body_enc = contact.answers_enc = contact.callback_number_enc = None
            contact.recordings_cleared_at = contact.recordings_cleared_at or now
            contact.caller_ref = pseudonym
        for case in held.cases:
            case.caller_ref = pseudonym
            case.reasons = strip_quotes(list(case.reasons or []))
            case.purged_at = now
        case_ids = [case.id for case in held.cases]
        for table, sealed in dependent_tables("caller_ref"):
            await session.execute(
                update(table)
                .where(table.c.caller_ref.in_(refs))
                .values({**dict.fromkeys(sealed), "caller_ref": pseudonym})
            )
        for table, sealed in dependent_tables("case_id"):
            await session.execute(
                update(table).where(table.c.case_id.in_(case_ids)).values(dict.fromkeys(sealed))
            )
        await session.flush()
        for case in held.cases:
            await audit.append(
                session,
                actor=OPERATOR,
                action="privacy.erased",
                subject=str(case.id),
                details={"contacts": sum(1 for c in held.contacts if c.case_id == case.id)},
                at=now,
            )
        await audit.append(
            session,
            actor=OPERATOR,
            action="privacy.erase_completed",
            details={"cases": len(held.cases), "contacts": len(held.contacts), "recordings": deleted},
            at=now,
        )
    return Erased(cases=len(held.cases), contacts=len(held.contacts), recordings=deleted)


def is_erased(ref: str) -> bool:
    return ref.startswith(ERASED_PREFIX)
