"""Acknowledging a case: the escalation stops, the SLA is settled, the acknowledger owns it.

Only someone the case is waiting for may acknowledge it: its assignee or anyone its
escalation has reached. Anyone else is refused, and the refusal is an audit event too.
The same code serves the console/API, an agent's SMS reply and a key pressed during a
notification call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.core.metrics import Metrics
from hotline.models import Agent, Case, CaseStatus, EscalationStep, StepState
from hotline.routing.escalation import ACKABLE, ACKNOWLEDGED, iso, parse_time, state_of
from hotline.routing.metrics import routing_metrics


class Via(StrEnum):
    console = "console"
    sms = "sms"
    voice = "voice"


class AckOutcome(StrEnum):
    acknowledged = "acknowledged"
    already = "already"  # by this same agent, earlier: nothing changes
    refused = "refused"
    missing = "missing"


@dataclass(frozen=True, slots=True)
class AckResult:
    outcome: AckOutcome
    case: Case | None = None
    reason: str | None = None  # not_target | already_acknowledged


def targets_of(case: Case) -> set[str]:
    state = case.escalation or {}
    found = {str(t) for t in state.get("targets", [])}
    if case.assignee_id is not None:
        found.add(str(case.assignee_id))
    return found


async def acknowledge(
    session: AsyncSession,
    case_id: uuid.UUID,
    agent: Agent,
    *,
    via: Via,
    now: datetime,
    metrics: Metrics | None = None,
) -> AckResult:
    case = (
        await session.execute(select(Case).where(Case.id == case_id).with_for_update())
    ).scalar_one_or_none()
    if case is None:
        return AckResult(AckOutcome.missing)
    result = await _decide(session, case, agent, via=via, now=now)
    if metrics is not None:
        routing_metrics(metrics).acknowledgements.labels(via=via.value, outcome=result.outcome.value).inc()
    return result


async def _decide(session: AsyncSession, case: Case, agent: Agent, *, via: Via, now: datetime) -> AckResult:
    state = state_of(case)
    sla = dict(state.get("sla") or {})
    by = sla.get("acknowledged_by")
    if by == str(agent.id):
        return AckResult(AckOutcome.already, case)
    if by is not None or (state and state.get("state") not in ACKABLE) or case.status != CaseStatus.new.value:
        return await _refuse(session, case, agent, via, "already_acknowledged", now)
    if str(agent.id) not in targets_of(case):
        return await _refuse(session, case, agent, via, "not_target", now)

    deadline = parse_time(sla.get("deadline")) or case.ack_deadline
    on_time = deadline is None or now <= deadline
    sla.update({"acknowledged_by": str(agent.id), "acknowledged_at": iso(now), "via": via.value})
    if on_time:
        sla["met_at"] = iso(now)
    elif not sla.get("breached_at"):
        sla["breached_at"] = iso(deadline)
    state.update({"state": ACKNOWLEDGED, "next_step_at": None, "sla": sla})
    case.escalation = state
    case.assignee_id = agent.id
    case.status = CaseStatus.acknowledged.value
    case.updated_at = now
    await session.execute(
        update(EscalationStep)
        .where(EscalationStep.case_id == case.id, EscalationStep.state == StepState.pending)
        .values(state=StepState.cancelled, done_at=now)
    )
    await session.flush()
    await audit.append(
        session,
        actor=f"agent:{agent.id}",
        action="case.acknowledged",
        subject=str(case.id),
        details={
            "via": via.value,
            "sla": "met" if on_time else "breached",
            "seconds": int((now - (parse_time(state.get("started_at")) or now)).total_seconds()),
        },
        at=now,
    )
    return AckResult(AckOutcome.acknowledged, case)


async def _refuse(
    session: AsyncSession, case: Case, agent: Agent, via: Via, reason: str, now: datetime
) -> AckResult:
    await audit.append(
        session,
        actor=f"agent:{agent.id}",
        action="case.ack_refused",
        subject=str(case.id),
        details={"via": via.value, "reason": reason},
        at=now,
    )
    return AckResult(AckOutcome.refused, case, reason)
