"""Case queries, with who may see what built into them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import Agent, Case, CaseStatus, Role

_S = TypeVar("_S", bound="Select[*tuple[Any, ...]]")

# The table's columns, not the ORM attributes, in filters and sort keys: the same SQL, but a
# statement built only from them stays a Core statement (see ``list_queue``).
_cases = Case.__table__.c
_agents = Agent.__table__.c

SEVERITY_ORDER = case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=_cases.severity, else_=4)
#: "every status but closed", spelt so that ``ix_cases_status`` serves it (``!=`` scans the
#: whole table, closed history included).
OPEN_STATUSES = tuple(status.value for status in CaseStatus if status is not CaseStatus.closed)


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
    return or_(_cases.region.in_(agent.regions or []), _cases.assignee_id == agent.id)


def _filtered(statement: _S, agent: Agent, filters: CaseFilters) -> _S:
    scope = visible_to(agent)
    if scope is not None:
        statement = statement.where(scope)
    for column, value in (
        (_cases.status, filters.status),
        (_cases.severity, filters.severity),
        (_cases.region, filters.region),
        (_cases.channel, filters.channel),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if filters.open_only:
        statement = statement.where(_cases.status.in_(OPEN_STATUSES))
    if filters.assignee_id is not None:
        statement = statement.where(_cases.assignee_id == filters.assignee_id)
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


#: Table columns, not ORM attributes: the rows come back as plain tuples, without the ORM's
#: per-row loading machinery (the queue reads up to 500 of them on every refresh).
QUEUE_COLUMNS = (
    _cases.id,
    _cases.reference,
    _cases.status,
    _cases.channel,
    _cases.severity,
    _cases.category,
    _cases.region,
    _cases.abroad,
    _cases.minor,
    _cases.imminent_danger,
    _cases.training,
    _cases.ack_deadline,
    _agents.username.label("assignee_username"),
    _agents.display_name.label("assignee_name"),
)
_QUEUE_FROM = Case.__table__.outerjoin(Agent.__table__, _cases.assignee_id == _agents.id)


async def list_queue(
    session: AsyncSession, agent: Agent, filters: CaseFilters, *, limit: int
) -> tuple[list[Any], int]:
    """The console's queue: only the columns a row shows (no reasons, no escalation JSON).

    The assignee's names come in the same query (no query per row). The total is counted
    only when the limit cut the list short.
    """
    rows = list(
        await session.execute(
            _filtered(select(*QUEUE_COLUMNS).select_from(_QUEUE_FROM), agent, filters)
            .order_by(
                SEVERITY_ORDER,
                _cases.ack_deadline.is_(None),
                _cases.ack_deadline,
                _cases.created_at.desc(),
                _cases.id,
            )
            .limit(limit)
        )
    )
    if len(rows) < limit:
        return rows, len(rows)
    total = await session.scalar(_filtered(select(func.count()).select_from(Case.__table__), agent, filters))
    return rows, int(total or 0)
