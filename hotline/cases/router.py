"""``/api/v1/cases``: the queue and the case, for agents, supervisors and admins.

Every read of a case by a person is an audit event (DESIGN.md invariant 3).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep, require_role
from hotline.cases import repository
from hotline.cases.schemas import CaseList, CaseOut
from hotline.core.http import RuntimeDep
from hotline.models import Agent, Role
from hotline.routing.acknowledge import AckOutcome, Via, acknowledge

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

CaseWorker = Annotated[Agent, Depends(require_role(Role.agent, Role.supervisor, Role.admin))]
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
    offset: Annotated[int, Query(ge=0)] = 0,
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
    case_id: uuid.UUID, agent: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> CaseOut | JSONResponse:
    """Stop the case's escalation: only someone it is waiting for may (refusals are audited too)."""
    result = await acknowledge(
        session, case_id, agent, via=Via.console, now=datetime.now(UTC), metrics=runtime.metrics
    )
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
