"""``/console/stats``: the analysts' page (filters, a protected table, a chart, CSV download).

It extends the console's frame and uses the console's cookie session; analysts, supervisors
and admins only. The table is the same protected table as the API's (:func:`answer`, one
audit event per view); the chart reads it from a JSON block in the page, so a suppressed
cell is as absent from the chart as from the table.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from hotline.auth.dependencies import SessionDep
from hotline.console.i18n import translate
from hotline.console.web import HERE as CONSOLE_HERE
from hotline.console.web import SECURITY_HEADERS, STATIC_URL, Console, RoleRefused, SignedIn
from hotline.core.http import NowDep, RuntimeDep, clock_of
from hotline.models import Role
from hotline.stats.dimensions import CONTACT_DIMENSIONS, DIMENSIONS, REFERRAL_DIMENSIONS
from hotline.stats.export import to_csv
from hotline.stats.query import MEASURES, PERIODS, Measure, Period, StatsQuery
from hotline.stats.router import answer, parse_group_by

HERE = Path(__file__).parent
STATS_STATIC: Final = "/console/stats/static"
STATIC_FILES: Final = {
    "chart-4.5.1.umd.min.js": "application/javascript",
    "stats.js": "application/javascript",
    "stats.css": "text/css",
}
READERS: Final = {Role.analyst.value, Role.supervisor.value, Role.admin.value}
# Tables the page links to directly (label, query).
PRESETS: Final = (
    ("Referrals by partner type and outcome", "measure=referrals&group_by=partner_kind,outcome"),
    ("Time to acceptance by partner type", "measure=referral_accept_time&group_by=partner_kind"),
    ("Time to completion by partner type", "measure=referral_complete_time&group_by=partner_kind"),
)
# The form has a select per dimension, so group_by may come once per select (or comma-separated).
GroupBy = Annotated[list[str] | None, Query(description="up to two dimensions")]

router = APIRouter(prefix="/console", include_in_schema=False)
pages = Environment(
    loader=ChoiceLoader([FileSystemLoader(HERE / "templates"), FileSystemLoader(CONSOLE_HERE / "templates")]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def _reader(console: Console) -> Console:
    if console.agent.role not in READERS:
        raise RoleRefused(console.agent)
    return console


def _query(
    measure: Measure, group_by: list[str] | None, period: Period | None, start: date | None, end: date | None
) -> StatsQuery:
    chosen = "region" if group_by is None else ",".join(group_by)
    return StatsQuery(measure=measure, group_by=parse_group_by(chosen), period=period, start=start, end=end)


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(
    now: NowDep,
    request: Request,
    console: SignedIn,
    session: SessionDep,
    measure: Measure = "cases",
    group_by: GroupBy = None,
    period: Period | None = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> HTMLResponse:
    _reader(console)
    query = _query(measure, group_by, period, start, end)
    error = None
    table = None
    try:
        table = await answer(
            session,
            console.agent,
            query,
            runtime=request.app.state.runtime,
            now=clock_of(request),
            output="page",
        )
    except HTTPException as exc:
        error = str(exc.detail)
    language = console.language
    html = pages.get_template("stats.html").render(
        request=request,
        me=console,
        lang=language,
        t=lambda key: translate(language, key),
        static=STATIC_URL,
        stats_static=STATS_STATIC,
        now=now,
        table=table,
        data=json.dumps(table.as_dict() if table else None).replace("<", "\\u003c"),
        error=error,
        form={
            "measure": measure,
            "group_by": [*query.group_by, "", ""],
            "period": period or "",
            "from": (table.query.start if table else start) or "",
            "to": (table.query.end if table else end) or "",
        },
        measures=MEASURES,
        periods=PERIODS,
        group_options=list(dict.fromkeys(DIMENSIONS + CONTACT_DIMENSIONS + REFERRAL_DIMENSIONS)),
        presets=PRESETS,
        csv_query=request.url.query,
    )
    return HTMLResponse(html, headers=SECURITY_HEADERS)


@router.get("/stats.csv")
async def stats_csv(
    now: NowDep,
    runtime: RuntimeDep,
    console: SignedIn,
    session: SessionDep,
    measure: Measure = "cases",
    group_by: GroupBy = None,
    period: Period | None = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    _reader(console)
    table = await answer(
        session,
        console.agent,
        _query(measure, group_by, period, start, end),
        runtime=runtime,
        now=now,
        output="csv",
    )
    name = f"1503-{table.query.measure}-{table.query.start}-{table.query.end}.csv"
    headers: dict[str, Any] = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(to_csv(table), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/stats/static/{name}")
async def stats_static(name: str) -> FileResponse:
    if name not in STATIC_FILES:
        raise HTTPException(status_code=404, detail="not found")
    folder = HERE / "static" / ("vendor" if name.startswith("chart-") else "")
    return FileResponse(
        folder / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "max-age=86400"}
    )
