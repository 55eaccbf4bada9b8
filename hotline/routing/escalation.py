"""Starting an escalation, and moving it from one step to the next.

``case.escalation`` (the ``escalation`` of the case JSON) holds the state of the one running
escalation: the policy copied when it started, the step it is at, everyone it has reached
(``targets``: who may acknowledge), and the SLA (deadline, met or breached, by whom).
The timers themselves are :class:`~hotline.models.EscalationStep` rows: the next ``notify``
step and one ``deadline`` step, written in the same transaction as the state.

Every function here takes a session and flushes; the pipeline job or the timer commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.cases.service import SEVERITY_RANK
from hotline.core.logging import get_logger
from hotline.models import Case, CaseStatus, EscalationStep, StepState
from hotline.routing import repository
from hotline.routing.assignment import choose_assignee
from hotline.routing.policy import Policy, PolicyFile, Target, load_policies
from hotline.routing.roster import RosterDocument

log = get_logger(__name__)

NOTIFY = "notify"
DEADLINE = "deadline"
# When a "next shift" cannot be worked out (no rotation), wait this long instead.
NO_SHIFT_FALLBACK = timedelta(hours=12)

RUNNING = "running"
ACKNOWLEDGED = "acknowledged"
EXHAUSTED = "exhausted"
ACKABLE = (RUNNING, EXHAUSTED)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else audit.format_time(moment)


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def state_of(case: Case) -> dict[str, Any]:
    """A copy of the escalation state: JSON columns only notice a new value, never an in-place edit."""
    return dict(case.escalation or {})


async def route_case(
    session: AsyncSession, case: Case, *, now: datetime, policies: PolicyFile | None = None
) -> None:
    """After triage: assign the case and start its escalation, or restart it when triage raised
    the severity of a case nobody has acknowledged yet. Idempotent for an unchanged case."""
    policies = policies or load_policies()
    current = case.escalation
    if current is not None:
        raised = SEVERITY_RANK.get(case.severity or "", -1) > SEVERITY_RANK.get(
            str(current.get("severity")), -1
        )
        if not (raised and current.get("state") in ACKABLE and case.status == CaseStatus.new.value):
            return
    roster = await repository.current_roster(session)
    policy = policies.for_severity(case.severity)
    generation = 1
    targets: list[str] = []
    events: list[tuple[str, dict[str, audit.DetailValue]]] = []
    if current is None:
        choice = await choose_assignee(session, roster, case, now)
        team, gap = choice.team, choice.coverage_gap
        if choice.agent is not None:
            case.assignee_id = choice.agent.id
            targets.append(str(choice.agent.id))
            events.append(
                (
                    "case.assigned",
                    {
                        "agent": str(choice.agent.id),
                        "team": team,
                        "language_match": choice.language_match,
                        "open_cases": choice.open_cases,
                        "coverage_gap": gap,
                    },
                )
            )
        if gap:
            log.warning("routing.coverage_gap", team=team, case_id=str(case.id), severity=case.severity)
            events.append(("routing.coverage_gap", {"team": team, "assigned": choice.agent is not None}))
    else:
        generation = int(current.get("generation", 1)) + 1
        team, gap = current.get("team"), bool(current.get("coverage_gap"))
        targets = list(current.get("targets", []))
        await session.execute(
            update(EscalationStep)
            .where(EscalationStep.case_id == case.id, EscalationStep.state == StepState.pending)
            .values(state=StepState.cancelled, done_at=now)
        )
    deadline = _deadline(policy, roster, team, now)
    first_targets = [t.value for t in policy.steps[0].notify]
    if gap:
        first_targets += [
            t for t in (Target.national.value, Target.supervisors.value) if t not in first_targets
        ]
    case.ack_deadline = deadline
    case.escalation = {
        "state": RUNNING,
        "severity": case.severity,
        "generation": generation,
        "team": team,
        "coverage_gap": gap,
        "started_at": iso(now),
        "policy": policy.snapshot(),
        "round": 0,
        "step": -1,
        "next_step_at": iso(now),
        "first_targets": first_targets,
        "targets": targets,
        "sla": {
            "deadline": iso(deadline),
            "met_at": None,
            "breached_at": None,
            "acknowledged_by": None,
            "acknowledged_at": None,
            "via": None,
        },
    }
    session.add_all(
        [
            EscalationStep(
                case_id=case.id, generation=generation, kind=NOTIFY, round=0, position=0, due_at=now
            ),
            EscalationStep(
                case_id=case.id, generation=generation, kind=DEADLINE, round=0, position=0, due_at=deadline
            ),
        ]
    )
    await session.flush()
    events.append(
        (
            "escalation.started" if generation == 1 else "escalation.restarted",
            {"severity": case.severity, "generation": generation, "team": team, "deadline": iso(deadline)},
        )
    )
    for action, details in events:
        await audit.append(
            session, actor=audit.SYSTEM, action=action, subject=str(case.id), details=details, at=now
        )


def _deadline(policy: Policy, roster: RosterDocument, team_key: str | None, now: datetime) -> datetime:
    within = policy.ack_within_delta
    if within is not None:
        return now + within
    return _next_shift(roster, team_key, now)


def _next_shift(roster: RosterDocument, team_key: str | None, after: datetime) -> datetime:
    team = roster.team_for(team_key if team_key != "national" else None)
    handoff = roster.next_handoff(team, after) if team is not None else None
    return handoff or after + NO_SHIFT_FALLBACK


def next_step(
    policy: Policy, roster: RosterDocument, team_key: str | None, done: EscalationStep
) -> tuple[int, int, datetime] | None:
    """(round, position, due) of the step after ``done``, or None when the policy is spent.

    Due times follow the schedule, not the clock: a worker that was down catches up at once.
    """
    position, round_ = done.position + 1, done.round
    wait_from = done.due_at
    if position >= len(policy.steps):
        if round_ >= policy.repeat:
            return None
        position, round_ = 0, round_ + 1
        return round_, position, wait_from + timedelta(minutes=policy.repeat_after_minutes)
    step = policy.steps[position]
    if step.after == "next_shift":
        return round_, position, _next_shift(roster, team_key, wait_from)
    return round_, position, wait_from + timedelta(minutes=step.after_minutes)
