"""What a person does to a case, shared by the console and the REST API.

Each function takes a session, changes the case, writes the audit event last (it serialises
writers), flushes and returns; the caller commits. A refusal is an :class:`ActionRefused`
carrying the HTTP status the two front ends answer with. Free text written by agents (notes,
override reasons) is sealed and never reaches the audit chain or a log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.core.crypto import Keyring
from hotline.core.metrics import Metrics
from hotline.models import Agent, Case, CaseNote, CaseStatus, Contact, EscalationStep, Role, StepState
from hotline.privacy.sealed import SealedColumn
from hotline.routing.acknowledge import AckOutcome, Via, acknowledge
from hotline.routing.escalation import ACKABLE, state_of

NOTE_BODY = SealedColumn("case_notes", "body_enc")
MAX_NOTE = 4000
CATEGORIES: Final = (
    "trafficking",
    "migrant_distress",
    "risky_recruitment",
    "returnee_support",
    "information",
    "non_actionable",
)
SEVERITIES: Final = ("critical", "high", "medium", "low")
OUTCOMES: Final = (
    "assisted",
    "referred_partner",
    "information_given",
    "no_contact",
    "not_actionable",
    "duplicate",
)
# Where a status may go by hand (acknowledgement has its own path; closing is from anywhere open).
TRANSITIONS: Final = {
    "acknowledged": {"in_progress", "referred", "closed"},
    "in_progress": {"referred", "closed"},
    "referred": {"in_progress", "closed"},
    "new": {"closed"},
}
SUPERVISING = (Role.supervisor.value, Role.admin.value)


class ActionRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def seal_note(keyring: Keyring, note: CaseNote, text: str) -> None:
    note.body_enc = keyring.seal_optional(text, NOTE_BODY.at(note.id))


def note_text(keyring: Keyring, note: CaseNote) -> str | None:
    return keyring.open_optional(note.body_enc, NOTE_BODY.at(note.id))


def _actor(agent: Agent) -> str:
    return f"agent:{agent.id}"


def _open(case: Case) -> None:
    if case.status == CaseStatus.closed.value:
        raise ActionRefused(409, "case_closed")


async def _cancel_pending_steps(session: AsyncSession, case: Case, now: datetime) -> None:
    await session.execute(
        update(EscalationStep)
        .where(EscalationStep.case_id == case.id, EscalationStep.state == StepState.pending)
        .values(state=StepState.cancelled, done_at=now)
    )


async def add_note(
    session: AsyncSession,
    keyring: Keyring,
    case: Case,
    agent: Agent,
    text: str,
    *,
    now: datetime,
    kind: str = "note",
) -> CaseNote:
    text = text.strip()
    if not text:
        raise ActionRefused(422, "note_empty")
    if len(text) > MAX_NOTE:
        raise ActionRefused(422, "note_too_long")
    note = CaseNote(id=uuid.uuid4(), case_id=case.id, author_id=agent.id, kind=kind, created_at=now)
    seal_note(keyring, note, text)
    session.add(note)
    await session.flush()
    if kind == "note":
        await audit.append(
            session, actor=_actor(agent), action="case.note_added", subject=str(case.id), details={}, at=now
        )
    return note


async def take(
    session: AsyncSession, case: Case, agent: Agent, *, now: datetime, metrics: Metrics | None = None
) -> Case:
    """The agent makes the case theirs; an unacknowledged case is acknowledged by the same act."""
    _open(case)
    if case.status == CaseStatus.new.value and state_of(case).get("state", "pending") in (
        *ACKABLE,
        "pending",
    ):
        state = state_of(case)
        if state:
            state["targets"] = sorted({*map(str, state.get("targets", [])), str(agent.id)})
            case.escalation = state
        else:
            case.assignee_id = agent.id
        await session.flush()
        result = await acknowledge(session, case.id, agent, via=Via.console, now=now, metrics=metrics)
        if result.outcome in (AckOutcome.acknowledged, AckOutcome.already):
            return case
    previous = case.assignee_id
    case.assignee_id = agent.id
    case.updated_at = now
    await session.flush()
    await audit.append(
        session,
        actor=_actor(agent),
        action="case.taken",
        subject=str(case.id),
        details={"from": str(previous) if previous else None},
        at=now,
    )
    return case


async def reassign(session: AsyncSession, case: Case, supervisor: Agent, to: Agent, *, now: datetime) -> Case:
    if supervisor.role not in SUPERVISING:
        raise ActionRefused(403, "supervisor_only")
    _open(case)
    if not to.active or to.role not in (Role.agent.value, Role.supervisor.value):
        raise ActionRefused(422, "not_a_case_worker")
    previous = case.assignee_id
    case.assignee_id = to.id
    state = state_of(case)
    if state:
        # The new owner may acknowledge: they are one of the people the case waits for.
        state["targets"] = sorted({*map(str, state.get("targets", [])), str(to.id)})
        case.escalation = state
    case.updated_at = now
    await session.flush()
    await audit.append(
        session,
        actor=_actor(supervisor),
        action="case.reassigned",
        subject=str(case.id),
        details={"from": str(previous) if previous else None, "to": str(to.id)},
        at=now,
    )
    return case


async def change_status(
    session: AsyncSession, case: Case, agent: Agent, status: str, *, outcome: str | None, now: datetime
) -> Case:
    _open(case)
    allowed = TRANSITIONS.get(case.status, set())
    if status not in allowed:
        raise ActionRefused(409, "transition_not_allowed")
    if status == CaseStatus.closed.value:
        if outcome not in OUTCOMES:
            raise ActionRefused(422, "outcome_required")
        case.outcome = outcome
        case.closed_at = now
        await _cancel_pending_steps(session, case, now)
    previous = case.status
    case.status = status
    case.updated_at = now
    if case.assignee_id is None:
        case.assignee_id = agent.id
    await session.flush()
    await audit.append(
        session,
        actor=_actor(agent),
        action="case.status_changed",
        subject=str(case.id),
        details={"from": previous, "to": status, "outcome": outcome if status == "closed" else None},
        at=now,
    )
    return case


async def override(
    session: AsyncSession,
    keyring: Keyring,
    case: Case,
    agent: Agent,
    *,
    category: str | None,
    severity: str | None,
    reason: str,
    now: datetime,
) -> Case:
    """Replace the machine's category or severity; the machine's verdict stays beside it.

    A reason is required. Lowering the severity needs a supervisor: a wrong downgrade is how a
    critical case waits until morning.
    """
    _open(case)
    if not reason.strip():
        raise ActionRefused(422, "reason_required")
    if category is not None and category not in CATEGORIES:
        raise ActionRefused(422, "unknown_category")
    if severity is not None and severity not in SEVERITIES:
        raise ActionRefused(422, "unknown_severity")
    category = None if category == case.category else category
    severity = None if severity == case.severity else severity
    if category is None and severity is None:
        raise ActionRefused(422, "nothing_changed")
    if (
        severity is not None
        and case.severity in SEVERITIES
        and SEVERITIES.index(severity) > SEVERITIES.index(case.severity)
        and agent.role not in SUPERVISING
    ):
        raise ActionRefused(403, "downgrade_needs_supervisor")
    note = await add_note(session, keyring, case, agent, reason, now=now, kind="override")
    previous = {"category": case.category, "severity": case.severity}
    machine = (case.override or {}).get("machine") or previous
    if category is not None:
        case.category = category
    if severity is not None:
        case.severity = severity
    case.override = {
        "category": case.category,
        "severity": case.severity,
        "by": str(agent.id),
        "at": now.isoformat(),
        "note": str(note.id),
        "machine": machine,
    }
    case.updated_at = now
    await session.flush()
    await audit.append(
        session,
        actor=_actor(agent),
        action="case.overridden",
        subject=str(case.id),
        details={
            "category_from": previous["category"],
            "category_to": case.category,
            "severity_from": previous["severity"],
            "severity_to": case.severity,
        },
        at=now,
    )
    return case


async def merge(session: AsyncSession, duplicate: Case, into: Case, agent: Agent, *, now: datetime) -> Case:
    """Move the duplicate's contacts and notes into ``into`` and close the duplicate."""
    _open(duplicate)
    _open(into)
    if duplicate.id == into.id:
        raise ActionRefused(422, "same_case")
    await session.execute(update(Contact).where(Contact.case_id == duplicate.id).values(case_id=into.id))
    await session.execute(update(CaseNote).where(CaseNote.case_id == duplicate.id).values(case_id=into.id))
    await _cancel_pending_steps(session, duplicate, now)
    duplicate.status = CaseStatus.closed.value
    duplicate.outcome = "duplicate"
    duplicate.closed_at = now
    duplicate.merged_into_id = into.id
    duplicate.updated_at = into.updated_at = now
    if into.severity is None or (
        duplicate.severity in SEVERITIES
        and into.severity in SEVERITIES
        and SEVERITIES.index(duplicate.severity) < SEVERITIES.index(into.severity)
    ):
        into.severity = duplicate.severity  # the merged case is at least as urgent as either
    await session.flush()
    await audit.append(
        session,
        actor=_actor(agent),
        action="case.merged",
        subject=str(duplicate.id),
        details={"into": str(into.id), "into_reference": into.reference},
        at=now,
    )
    await audit.append(
        session,
        actor=_actor(agent),
        action="case.merged_in",
        subject=str(into.id),
        details={"from": str(duplicate.id), "from_reference": duplicate.reference},
        at=now,
    )
    return into


async def callback_contact(session: AsyncSession, case: Case) -> Contact | None:
    """The newest contact of the case whose caller agreed to be called back."""
    return (
        await session.execute(
            select(Contact)
            .where(Contact.case_id == case.id, Contact.callback_number_enc.is_not(None))
            .order_by(Contact.received_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
