"""``/api/v1/cases``: the queue and the case, for agents, supervisors and admins.

Every read of a case by a person is an audit event (DESIGN.md invariant 3).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep, require_role
from hotline.cases import actions, repository
from hotline.cases.callback import start_callback
from hotline.cases.schemas import CaseList, CaseOut
from hotline.core.http import NowDep, RuntimeDep
from hotline.models import Agent, Case, CaseNote, Role
from hotline.routing.acknowledge import AckOutcome, Via, acknowledge

# Far beyond any real queue; an unbounded offset overflowed SQLite's integers (a 500, found by fuzzing).
MAX_OFFSET = 10_000_000

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

CaseWorker = Annotated[Agent, Depends(require_role(Role.agent, Role.supervisor, Role.admin, scope="cases"))]
Severity = Literal["critical", "high", "medium", "low"]
Status = Literal["new", "acknowledged", "in_progress", "referred", "closed"]
Region = Literal[
    "Adamaoua", "Centre", "Est", "Extreme-Nord", "Littoral", "Nord", "Nord-Ouest", "Ouest", "Sud", "Sud-Ouest"
]
Channel = Literal["sms", "whatsapp", "voice", "ussd"]


@router.get("")
async def list_cases(
    agent: CaseWorker,
    session: SessionDep,
    status: Status | None = None,
    severity: Severity | None = None,
    region: Region | None = None,
    channel: Channel | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> CaseList:
    filters = repository.CaseFilters(status=status, severity=severity, region=region, channel=channel)
    rows, total = await repository.list_cases(session, agent, filters, limit=limit, offset=offset)
    await audit.append(
        session,
        actor=f"agent:{agent.id}",
        action="cases.listed",
        details={"count": len(rows), "status": status, "severity": severity, "region": region},
    )
    return CaseList(items=[CaseOut.of(c, a) for c, a in rows], total=total, limit=limit, offset=offset)


@router.get("/{case_id}")
async def get_case(case_id: uuid.UUID, agent: CaseWorker, session: SessionDep) -> CaseOut:
    found = await repository.get_case(session, agent, case_id)
    if found is None:
        # Same answer for "absent" and "not yours": a case's existence is not disclosed.
        raise HTTPException(status_code=404, detail="no such case")
    case, assignee = found
    await audit.append(session, actor=f"agent:{agent.id}", action="case.viewed", subject=str(case.id))
    return CaseOut.of(case, assignee)


@router.post("/{case_id}/acknowledge", response_model=CaseOut)
async def acknowledge_case(
    now: NowDep, case_id: uuid.UUID, agent: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> CaseOut | JSONResponse:
    """Stop the case's escalation: only someone it is waiting for may (refusals are audited too)."""
    result = await acknowledge(session, case_id, agent, via=Via.console, now=now, metrics=runtime.metrics)
    visible = await repository.get_case(session, agent, case_id)
    if result.outcome is AckOutcome.missing or (result.outcome is AckOutcome.refused and visible is None):
        # Answered, not raised, so that the refusal's audit event is committed with the request.
        return JSONResponse({"detail": "no such case"}, status_code=404)
    if result.outcome is AckOutcome.refused:
        status = 409 if result.reason == "already_acknowledged" else 403
        detail = (
            "this case is already acknowledged"
            if status == 409
            else "this case is not waiting for you; ask a supervisor to reassign it"
        )
        return JSONResponse({"detail": detail, "reason": result.reason}, status_code=status)
    if visible is None:  # acknowledged, so assigned to this agent: visible from now on
        return JSONResponse({"detail": "no such case"}, status_code=404)
    return CaseOut.of(*visible)


# The console's actions, for scripts and other front ends (hotline.cases.actions does the work).

SupervisorOnly = Annotated[Agent, Depends(require_role(Role.supervisor, Role.admin, scope="supervise"))]


class ReassignIn(BaseModel):
    agent_id: uuid.UUID


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=actions.MAX_NOTE)


class NoteOut(BaseModel):
    id: uuid.UUID
    kind: str
    author_id: uuid.UUID | None
    created_at: datetime
    text: str | None


class StatusIn(BaseModel):
    status: Literal["in_progress", "referred", "closed"]
    outcome: Literal[actions.OUTCOMES] | None = None  # type: ignore[valid-type]


class OverrideIn(BaseModel):
    category: Literal[actions.CATEGORIES] | None = None  # type: ignore[valid-type]
    severity: Severity | None = None
    reason: str = Field(min_length=1, max_length=actions.MAX_NOTE)


class MergeIn(BaseModel):
    into: uuid.UUID


class CallbackOut(BaseModel):
    call_sid: str


async def _mine(session: SessionDep, agent: Agent, case_id: uuid.UUID) -> Case:
    found = await repository.get_case(session, agent, case_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such case")
    return found[0]


async def _answer(session: SessionDep, agent: Agent, case_id: uuid.UUID, work: Awaitable[object]) -> CaseOut:
    try:
        await work
    except actions.ActionRefused as refused:
        raise HTTPException(status_code=refused.status, detail=refused.reason) from None
    found = await repository.get_case(session, agent, case_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such case")
    return CaseOut.of(*found)


@router.post("/{case_id}/take")
async def take_case(
    now: NowDep, case_id: uuid.UUID, agent: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> CaseOut:
    """Make the case yours (acknowledging it when it is still new)."""
    case = await _mine(session, agent, case_id)
    return await _answer(
        session,
        agent,
        case_id,
        actions.take(session, case, agent, now=now, metrics=runtime.metrics),
    )


@router.post("/{case_id}/reassign")
async def reassign_case(
    now: NowDep, case_id: uuid.UUID, body: ReassignIn, agent: SupervisorOnly, session: SessionDep
) -> CaseOut:
    """Supervisors: give the case to someone else (they may then acknowledge it)."""
    case = await _mine(session, agent, case_id)
    to = await session.get(Agent, body.agent_id)
    if to is None:
        raise HTTPException(status_code=422, detail="not_a_case_worker")
    return await _answer(session, agent, case_id, actions.reassign(session, case, agent, to, now=now))


@router.get("/{case_id}/notes")
async def list_notes(
    case_id: uuid.UUID, agent: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> list[NoteOut]:
    case = await _mine(session, agent, case_id)
    notes = (
        await session.execute(
            select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.created_at)
        )
    ).scalars()
    await audit.append(
        session, actor=f"agent:{agent.id}", action="case.notes_read", subject=str(case.id), details={}
    )
    return [
        NoteOut(
            id=n.id,
            kind=n.kind,
            author_id=n.author_id,
            created_at=n.created_at,
            text=actions.note_text(runtime.keyring, n),
        )
        for n in notes
    ]


@router.post("/{case_id}/notes", status_code=201)
async def add_note(
    now: NowDep, case_id: uuid.UUID, body: NoteIn, agent: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> NoteOut:
    case = await _mine(session, agent, case_id)
    try:
        note = await actions.add_note(session, runtime.keyring, case, agent, body.text, now=now)
    except actions.ActionRefused as refused:
        raise HTTPException(status_code=refused.status, detail=refused.reason) from None
    return NoteOut(
        id=note.id, kind=note.kind, author_id=note.author_id, created_at=note.created_at, text=body.text
    )


@router.post("/{case_id}/status")
async def change_status(
    now: NowDep, case_id: uuid.UUID, body: StatusIn, agent: CaseWorker, session: SessionDep
) -> CaseOut:
    """acknowledged → in_progress → referred → closed (with an outcome); 409 for any other move."""
    case = await _mine(session, agent, case_id)
    return await _answer(
        session,
        agent,
        case_id,
        actions.change_status(session, case, agent, body.status, outcome=body.outcome, now=now),
    )


@router.post("/{case_id}/override")
async def override_triage(
    now: NowDep,
    case_id: uuid.UUID,
    body: OverrideIn,
    agent: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CaseOut:
    """Change category or severity with a reason; lowering the severity needs a supervisor (403)."""
    case = await _mine(session, agent, case_id)
    return await _answer(
        session,
        agent,
        case_id,
        actions.override(
            session,
            runtime.keyring,
            case,
            agent,
            category=body.category,
            severity=body.severity,
            reason=body.reason,
            now=now,
        ),
    )


@router.post("/{case_id}/merge")
async def merge_case(
    now: NowDep, case_id: uuid.UUID, body: MergeIn, agent: CaseWorker, session: SessionDep
) -> CaseOut:
    """Merge this duplicate into ``into`` (both must be yours to see); answers the merged case."""
    case = await _mine(session, agent, case_id)
    into = await _mine(session, agent, body.into)
    return await _answer(session, agent, body.into, actions.merge(session, case, into, agent, now=now))


@router.post("/{case_id}/callback", responses={409: {"description": "no consent, no agent phone, or closed"}})
async def callback_case(
    now: NowDep, case_id: uuid.UUID, agent: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> CallbackOut:
    """The masked callback: your phone rings, then the caller's; their number is never shown."""
    case = await _mine(session, agent, case_id)
    try:
        sid = await start_callback(session, runtime, case, agent, now=now)
    except actions.ActionRefused as refused:
        raise HTTPException(status_code=refused.status, detail=refused.reason) from None
    return CallbackOut(call_sid=sid)
