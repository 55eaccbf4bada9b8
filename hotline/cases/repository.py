"""Case queries, with who may see what built into them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Agent, Case, Role

_S = TypeVar("_S", bound="Select[*tuple[Any, ...]]")

SEVERITY_ORDER = case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=Case.severity, else_=4)


@dataclass(frozen=True, slots=True)
class CaseFilters:
    status: str | None = None
    severity: str | None = None
    region: str | None = None
    channel: str | None = None
    #: the console's queue: every status but closed, only one assignee's, most pressing deadline first
    open_only: bool = False
    assignee_id: uuid.UUID | None = None
    by_deadline: bool = False


def visible_to(agent: Agent) -> Any:
    """Agents see their regions' cases and their own; supervisors and admins see all."""
    if agent.role in (Role.supervisor.value, Role.admin.value):
        return None
    return or_(Case.region.in_(agent.regions or []), Case.assignee_id == agent.id)


def _filtered(statement: _S, agent: Agent, filters: CaseFilters) -> _S:
    scope = visible_to(agent)
    if scope is not None:
        statement = statement.where(scope)
    for column, value in (
        (Case.status, filters.status),
        (Case.severity, filters.severity),
        (Case.region, filters.region),
        (Case.channel, filters.channel),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if filters.open_only:
        statement = statement.where(Case.status != "closed")
    if filters.assignee_id is not None:
        statement = statement.where(Case.assignee_id == filters.assignee_id)
    return statement


async def list_cases(
    session: AsyncSession, agent: Agent, filters: CaseFilters, *, limit: int, offset: int
) -> tuple[list[tuple[Case, Agent | None]], int]:
    total = await session.scalar(_filtered(select(func.count()).select_from(Case), agent, filters))
    order = (
        (SEVERITY_ORDER, Case.ack_deadline.is_(None), Case.ack_deadline, Case.created_at.desc(), Case.id)
        if filters.by_deadline
        else (SEVERITY_ORDER, Case.created_at.desc(), Case.id)
    )
    rows = await session.execute(
        _filtered(select(Case, Agent).outerjoin(Agent, Case.assignee_id == Agent.id), agent, filters)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], row[1]) for row in rows], int(total or 0)


async def get_case(
    session: AsyncSession, agent: Agent, case_id: uuid.UUID
) -> tuple[Case, Agent | None] | None:
    statement = select(Case, Agent).outerjoin(Agent, Case.assignee_id == Agent.id).where(Case.id == case_id)
    scope = visible_to(agent)
    if scope is not None:
        statement = statement.where(scope)
    row = (await session.execute(statement)).first()
    return (row[0], row[1]) if row else None


QUEUE_COLUMNS = (
    Case.id,
    Case.reference,
    Case.status,
    Case.channel,
    Case.severity,
    Case.category,
    Case.region,
    Case.abroad,
    Case.minor,
    Case.imminent_danger,
    Case.training,
    Case.ack_deadline,
    Case.created_at,
    Agent.username.label("assignee_username"),
    Agent.display_name.label("assignee_name"),
)


async def list_queue(
    session: AsyncSession, agent: Agent, filters: CaseFilters, *, limit: int
) -> tuple[list[Any], int]:
    """The console's queue: only the columns a row shows (no reasons, no escalation JSON)."""
    total = await session.scalar(_filtered(select(func.count()).select_from(Case), agent, filters))
    rows = await session.execute(
        _filtered(select(*QUEUE_COLUMNS).outerjoin(Agent, Case.assignee_id == Agent.id), agent, filters)
        .order_by(
            SEVERITY_ORDER, Case.ack_deadline.is_(None), Case.ack_deadline, Case.created_at.desc(), Case.id
        )
        .limit(limit)
    )
    return list(rows), int(total or 0)
