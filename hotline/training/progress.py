"""The trainer's view: a scenario started for a group, and how long each trainee took.

A start is an audit event (``training.scenario_started``: scenario, group, trainees' usernames),
so it needs no table of its own and survives a reset. A trainee's cases are the training cases
created since the start that they acknowledged, took or were assigned. Times come from the
routing and case records: the acknowledgement in ``cases.escalation.sla.acknowledged_at``
(else the ``case.taken`` event), the referral from the ``case.status_changed`` event to
``referred``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Agent, AuditEntry, Case

STARTED = "training.scenario_started"
RECENT = timedelta(days=7)


@dataclass
class CaseTimes:
    reference: str
    category: str | None
    severity: str | None
    status: str
    to_acknowledge: timedelta | None
    to_refer: timedelta | None


@dataclass
class TraineeProgress:
    username: str
    known: bool
    cases: list[CaseTimes] = field(default_factory=list)


@dataclass
class Session:
    seq: int
    at: datetime
    scenario: str
    group: str
    trainees: list[TraineeProgress]


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def usernames(text: str) -> list[str]:
    seen: list[str] = []
    for name in text.replace(",", " ").split():
        if name not in seen:
            seen.append(name[:64])
    return seen[:200]


async def sessions(session: AsyncSession, *, now: datetime, limit: int = 10) -> list[Session]:
    starts = (
        await session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == STARTED, AuditEntry.at >= now - RECENT)
            .order_by(AuditEntry.seq.desc())
            .limit(limit)
        )
    ).scalars()
    return [await _progress(session, entry) for entry in starts]


async def _progress(session: AsyncSession, entry: AuditEntry) -> Session:
    details = entry.details or {}
    started = _utc(entry.at)
    names = usernames(str(details.get("trainees") or ""))
    agents = {
        a.username: a
        for a in (await session.execute(select(Agent).where(Agent.username.in_(names)))).scalars()
    }
    cases = list(
        (
            await session.execute(
                select(Case)
                .where(Case.training.is_(True), Case.created_at >= started)
                .order_by(Case.created_at)
            )
        ).scalars()
    )
    events = await _case_events(session, [c.id for c in cases])
    trainees = []
    for name in names:
        agent = agents.get(name)
        progress = TraineeProgress(username=name, known=agent is not None)
        if agent is not None:
            for case in cases:
                times = _times(case, agent.id, events.get(str(case.id), []))
                if times is not None:
                    progress.cases.append(times)
        trainees.append(progress)
    return Session(
        seq=entry.seq,
        at=started,
        scenario=str(details.get("scenario") or ""),
        group=str(details.get("group") or ""),
        trainees=trainees,
    )


async def _case_events(session: AsyncSession, ids: list[uuid.UUID]) -> dict[str, list[AuditEntry]]:
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(AuditEntry)
            .where(
                AuditEntry.subject.in_([str(i) for i in ids]),
                AuditEntry.action.in_(("case.taken", "case.acknowledged", "case.status_changed")),
            )
            .order_by(AuditEntry.seq)
        )
    ).scalars()
    found: dict[str, list[AuditEntry]] = {}
    for row in rows:
        found.setdefault(row.subject or "", []).append(row)
    return found


def _times(case: Case, agent_id: uuid.UUID, events: list[AuditEntry]) -> CaseTimes | None:
    actor = f"agent:{agent_id}"
    sla = (case.escalation or {}).get("sla") or {}
    acked_at = _parse(sla.get("acknowledged_at")) if sla.get("acknowledged_by") == str(agent_id) else None
    acted = any(e.actor == actor for e in events)
    if acked_at is None and case.assignee_id != agent_id and not acted:
        return None
    if acked_at is None:
        acked_at = next(
            (
                _utc(e.at)
                for e in events
                if e.actor == actor and e.action in ("case.taken", "case.acknowledged")
            ),
            None,
        )
    referred_at = next(
        (
            _utc(e.at)
            for e in events
            if e.action == "case.status_changed" and (e.details or {}).get("to") == "referred"
        ),
        None,
    )
    created = _utc(case.created_at)
    return CaseTimes(
        reference=case.reference,
        category=case.category,
        severity=case.severity,
        status=case.status,
        to_acknowledge=acked_at - created if acked_at else None,
        to_refer=referred_at - created if referred_at else None,
    )


def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    return f"{seconds // 60}:{seconds % 60:02d}"
