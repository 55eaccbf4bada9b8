"""The escalation timer: due steps are claimed, run, and followed by the next one.

A step is claimed in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
concurrent workers each take different rows; SQLite's write lock, taken at BEGIN, gives the
embedded mode the same guarantee) and leased to this worker. Then:

1. plan (one transaction): who the step reaches, added to the escalation's ``targets``
   first, so that an agent answering within a second is already allowed to acknowledge;
2. send, outside any transaction (no lock is held while Twilio answers);
3. record (one transaction): every attempt with its outcome, the audit events, the step
   done and the next one scheduled, unless the case was acknowledged meanwhile.

A worker that dies after claiming leaves a lease that expires; another worker then runs
the step again (at-least-once: a crash between sending and recording may repeat that one
step, never skip it). Two live workers never run the same step: the claim and a fenced
completion (``claimed_by`` still ours) see to that.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.core.clock import Clock
from hotline.core.db import unit_of_work
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.models import Case, CaseStatus, EscalationStep, Notification, StepState
from hotline.routing import repository
from hotline.routing.assignment import resolve_targets, supervisors_for
from hotline.routing.escalation import (
    ACKABLE,
    DEADLINE,
    EXHAUSTED,
    NOTIFY,
    RUNNING,
    iso,
    next_step,
    state_of,
)
from hotline.routing.metrics import routing_metrics
from hotline.routing.notify import Attempt, CaseSummary, Recipient, reach
from hotline.routing.policy import Channel, Policy, Target, load_policies
from hotline.routing.reach import ALL_CHANNELS, phone_of
from hotline.routing.roster import NATIONAL

log = get_logger(__name__)


class EscalationTimer:
    def __init__(
        self,
        runtime: Runtime,
        *,
        name: str,
        clock: Clock | None = None,
        lease_seconds: float = 120.0,
        batch: int = 20,
        poll_seconds: float = 1.0,
    ) -> None:
        load_policies()  # a malformed policy file stops the worker at start-up
        self.runtime = runtime
        self.name = name
        self.clock = clock or runtime.clock
        self.lease = timedelta(seconds=lease_seconds)
        self.batch = batch
        self.poll_seconds = poll_seconds

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                while await self.run_due() == self.batch and not stop.is_set():
                    pass
            except Exception as exc:
                log.warning("escalation.tick_failed", reason=type(exc).__name__)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)

    async def run_due(self) -> int:
        """Claim every due step (up to ``batch``) and run it; returns how many were claimed."""
        claimed = await self.claim()
        for step_id in claimed:
            try:
                await self.execute(step_id)
            except Exception as exc:
                # The lease runs out and the step is tried again by whoever claims it next.
                log.error("escalation.step_failed", step_id=step_id, reason=type(exc).__name__)
        return len(claimed)

    async def claim(self) -> list[int]:
        now = self.clock()
        async with unit_of_work(self.runtime.sessions) as session:
            rows = (
                (
                    await session.execute(
                        select(EscalationStep)
                        .where(
                            or_(
                                and_(EscalationStep.state == StepState.pending, EscalationStep.due_at <= now),
                                and_(
                                    EscalationStep.state == StepState.running,
                                    EscalationStep.lease_until < now,
                                ),
                            )
                        )
                        .order_by(EscalationStep.due_at, EscalationStep.id)
                        .limit(self.batch)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.state = StepState.running
                row.claimed_by = self.name
                row.lease_until = now + self.lease
                row.attempts += 1
            return [row.id for row in rows]

    async def execute(self, step_id: int) -> None:
        plan = await self._plan(step_id)
        if plan is None:
            return
        summary, policy, channels, recipients, step_info = plan
        attempts: list[Attempt] = []
        for recipient in recipients:
            if not await self._still_waiting(summary.case_id):
                break
            attempts.extend(
                await reach(
                    recipient,
                    summary,
                    channels=channels,
                    fallback=policy.fallback_channels,
                    sms=self.runtime.telephony,
                    caller=self.runtime.telephony,
                    public_base_url=self.runtime.settings.public_base_url,
                )
            )
        await self._record(step_id, step_info, attempts)

    async def _plan(
        self, step_id: int
    ) -> tuple[CaseSummary, Policy, list[Channel], list[Recipient], tuple[int, int]] | None:
        now = self.clock()
        async with unit_of_work(self.runtime.sessions) as session:
            step = await self._own_step(session, step_id)
            if step is None:
                return None
            case = await _lock_case(session, step.case_id)
            state = state_of(case)
            if state.get("state") not in ACKABLE or state.get("generation") != step.generation:
                step.state, step.done_at = StepState.cancelled, now
                return None
            if step.kind == DEADLINE:
                await self._breach(session, case, step, now)
                return None
            if state.get("state") != RUNNING:
                step.state, step.done_at = StepState.cancelled, now
                return None
            policy = Policy.model_validate(state["policy"])
            policy_step = policy.steps[step.position]
            roster = await repository.current_roster(session)
            wanted = (
                state.get("first_targets") if step.position == 0 else [t.value for t in policy_step.notify]
            )
            agents = await resolve_targets(session, roster, case, state.get("team"), wanted or [], now)
            if not agents:
                # Nobody where the policy looks: the national team and the supervisors, at once.
                agents = await resolve_targets(
                    session, roster, case, NATIONAL, [Target.national.value, Target.supervisors.value], now
                )
                agents = agents or await supervisors_for(session, roster, None)
                log.warning("routing.step_found_nobody", case_id=str(case.id), step=step.position)
                routing_metrics(self.runtime.metrics).gaps.inc()
                await audit.append(
                    session,
                    actor=audit.SYSTEM,
                    action="routing.coverage_gap",
                    subject=str(case.id),
                    details={"team": state.get("team"), "step": step.position, "round": step.round},
                    at=now,
                )
            if not agents:
                log.error("routing.nobody_to_notify", case_id=str(case.id), severity=case.severity)
            reaches = await repository.reach_of(session, [a.id for a in agents])
            recipients = [
                Recipient(
                    agent_id=a.id,
                    phone=phone_of(self.runtime.keyring, a),
                    channels=reaches[a.id].channels if a.id in reaches else list(ALL_CHANNELS),
                )
                for a in agents
            ]
            state["targets"] = list(dict.fromkeys([*state.get("targets", []), *(str(a.id) for a in agents)]))
            state["step"], state["round"] = step.position, step.round
            case.escalation = state
            summary = CaseSummary(
                case_id=case.id,
                reference=case.reference,
                severity=case.severity,
                category=case.category,
                region=case.region,
                abroad=case.abroad,
                training=case.training,
            )
            return summary, policy, list(policy_step.channels), recipients, (step.position, step.round)

    async def _record(self, step_id: int, step_info: tuple[int, int], attempts: list[Attempt]) -> None:
        now = self.clock()
        metrics = routing_metrics(self.runtime.metrics)
        async with unit_of_work(self.runtime.sessions) as session:
            step = await session.get(EscalationStep, step_id, with_for_update=True)
            if step is None:
                return
            case = await _lock_case(session, step.case_id)
            for attempt in attempts:
                session.add(
                    Notification(
                        case_id=case.id,
                        step_id=step.id,
                        agent_id=attempt.agent_id,
                        channel=attempt.channel,
                        outcome=attempt.outcome,
                        detail=attempt.detail,
                        provider_sid=attempt.provider_sid,
                        attempted_at=now,
                    )
                )
                metrics.notifications.labels(channel=attempt.channel, outcome=attempt.outcome).inc()
            ours = step.state == StepState.running and step.claimed_by == self.name
            state = state_of(case)
            next_due: datetime | None = None
            if ours:
                step.state, step.done_at = StepState.done, now
                if state.get("state") == RUNNING and state.get("generation") == step.generation:
                    policy = Policy.model_validate(state["policy"])
                    roster = await repository.current_roster(session)
                    following = next_step(policy, roster, state.get("team"), step)
                    if following is None:
                        state["state"], state["next_step_at"] = EXHAUSTED, None
                        log.warning("escalation.exhausted", case_id=str(case.id), severity=case.severity)
                    else:
                        round_, position, next_due = following
                        session.add(
                            EscalationStep(
                                case_id=case.id,
                                generation=step.generation,
                                kind=NOTIFY,
                                round=round_,
                                position=position,
                                due_at=next_due,
                            )
                        )
                        state["next_step_at"] = iso(next_due)
                    case.escalation = state
            else:
                log.warning("escalation.lease_lost", step_id=step_id)
            await session.flush()
            position, round_ = step_info
            for attempt in attempts:
                await audit.append(
                    session,
                    actor=audit.SYSTEM,
                    action=f"notification.{attempt.outcome}",
                    subject=str(case.id),
                    details={
                        "agent": str(attempt.agent_id),
                        "channel": attempt.channel,
                        "step": position,
                        "round": round_,
                        "detail": attempt.detail,
                    },
                    at=now,
                )
            if ours and state.get("state") == EXHAUSTED:
                await audit.append(
                    session,
                    actor=audit.SYSTEM,
                    action="escalation.exhausted",
                    subject=str(case.id),
                    details={"severity": case.severity, "generation": step.generation},
                    at=now,
                )

    async def _breach(self, session: AsyncSession, case: Case, step: EscalationStep, now: datetime) -> None:
        state = state_of(case)
        sla = dict(state.get("sla") or {})
        step.state, step.done_at = StepState.done, now
        if sla.get("acknowledged_at") or sla.get("breached_at"):
            return
        sla["breached_at"] = iso(step.due_at)
        state["sla"] = sla
        case.escalation = state
        routing_metrics(self.runtime.metrics).breaches.labels(severity=case.severity or "unknown").inc()
        log.warning("sla.breached", case_id=str(case.id), severity=case.severity)
        await session.flush()
        await audit.append(
            session,
            actor=audit.SYSTEM,
            action="case.sla_breached",
            subject=str(case.id),
            details={"severity": case.severity, "deadline": iso(step.due_at)},
            at=now,
        )

    async def _own_step(self, session: AsyncSession, step_id: int) -> EscalationStep | None:
        step = await session.get(EscalationStep, step_id, with_for_update=True)
        if step is None or step.state != StepState.running or step.claimed_by != self.name:
            return None
        return step

    async def _still_waiting(self, case_id: uuid.UUID) -> bool:
        async with self.runtime.sessions() as session:
            status = await session.scalar(select(Case.status).where(Case.id == case_id))
        return status == CaseStatus.new.value


async def _lock_case(session: AsyncSession, case_id: uuid.UUID) -> Case:
    return (await session.execute(select(Case).where(Case.id == case_id).with_for_update())).scalar_one()
