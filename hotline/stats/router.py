"""``/api/v1/stats`` and ``/api/v1/stats.csv``: protected tables for analysts, supervisors, admins.

Each query is an audit event (``stats.queried``) naming the table asked for, never a figure.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep, require_role
from hotline.core.http import NowDep, RuntimeDep
from hotline.core.runtime import Runtime
from hotline.models import Agent, Role
from hotline.stats.export import to_csv
from hotline.stats.perturbation import CellKeys
from hotline.stats.query import Measure, Period, QueryError, StatsQuery, StatsTable, run_query

router = APIRouter(prefix="/api/v1", tags=["stats"])

StatsReader = Annotated[
    Agent, Depends(require_role(Role.analyst, Role.supervisor, Role.admin, scope="stats"))
]


def cell_keys(runtime: Runtime) -> CellKeys:
    """The cell-key secret, derived from HOTLINE_SECRET_KEY."""
    return CellKeys.from_secret_key(runtime.settings.secret_key.get_secret_value())


def parse_group_by(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


async def answer(
    session: SessionDep,
    agent: Agent,
    query: StatsQuery,
    *,
    runtime: Runtime,
    now: datetime,
    output: str,
    actor_prefix: str = "agent",
) -> StatsTable:
    try:
        table = await run_query(session, query, now=now, keys=cell_keys(runtime))
    except QueryError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    q = table.query
    await audit.append(
        session,
        actor=f"{actor_prefix}:{agent.id}",
        action="stats.queried",
        details={
            "measure": q.measure,
            "group_by": ",".join(q.group_by),
            "period": q.period,
            "from": q.start.isoformat() if q.start else None,
            "to": q.end.isoformat() if q.end else None,
            "format": output,
        },
    )
    return table


# The line opened long after the first date and will close long before the last; dates outside
# overflowed PostgreSQL's date arithmetic (a 500, found by fuzzing).
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def _query(
    measure: Measure,
    group_by: str | None,
    period: Period | None,
    start: date | None,
    end: date | None,
) -> StatsQuery:
    for name, value in (("from", start), ("to", end)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise HTTPException(status_code=422, detail=f"'{name}' must lie between {EARLIEST} and {LATEST}")
    return StatsQuery(measure=measure, group_by=parse_group_by(group_by), period=period, start=start, end=end)


@router.get("/stats")
async def get_stats(
    now: NowDep,
    runtime: RuntimeDep,
    agent: StatsReader,
    session: SessionDep,
    measure: Measure = "cases",
    group_by: Annotated[str | None, Query(description="up to two dimensions, comma-separated")] = None,
    period: Period | None = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    table = await answer(
        session, agent, _query(measure, group_by, period, start, end), runtime=runtime, now=now, output="json"
    )
    return table.as_dict()


@router.get(
    "/stats.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "the table as CSV"}
    },
)
async def get_stats_csv(
    now: NowDep,
    runtime: RuntimeDep,
    agent: StatsReader,
    session: SessionDep,
    measure: Measure = "cases",
    group_by: str | None = None,
    period: Period | None = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    table = await answer(
        session, agent, _query(measure, group_by, period, start, end), runtime=runtime, now=now, output="csv"
    )
    name = f"1503-{table.query.measure}-{table.query.start}-{table.query.end}.csv"
    return Response(
        to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
