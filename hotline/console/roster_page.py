"""``/console/roster``: who is on call now and in the next 24 h, and swapping a shift window.

Supervisors and admins. Everything is read through the routing room: the roster in force
(:func:`hotline.routing.repository.current_roster`), who holds a role at a moment
(:meth:`RosterDocument.on_call`, overrides applied) and the shifts of a window
(:meth:`RosterDocument.shifts`). A swap is an ``overrides`` entry added to the roster in force
and stored through :func:`hotline.routing.service.import_roster`, the same path as
``hotline roster import``: the same checks (known, active accounts; a window that ends after it
starts), a new roster version (the previous stays for the record) and its ``roster.imported``
audit event, followed by ``roster.override_added``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hotline.agents.service import REGIONS
from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep
from hotline.console.web import SECURITY_HEADERS, Console, Supervising, render
from hotline.core.http import RuntimeDep, clock_of
from hotline.routing import repository
from hotline.routing.roster import NATIONAL, RosterDocument, RosterError, Shift, roster_from
from hotline.routing.service import import_roster

router = APIRouter(prefix="/roster")

WINDOW = timedelta(hours=24)
WALL_CLOCK = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True, slots=True)
class OnCallRow:
    key: str
    team: str | None
    primary: list[str]
    backup: list[str]


def on_call_rows(roster: RosterDocument, now: datetime) -> list[OnCallRow]:
    rows: list[OnCallRow] = []
    for key in (*REGIONS, NATIONAL):
        team = roster.team(key)
        if team is None:
            rows.append(OnCallRow(key, None, [], []))
            continue
        rows.append(
            OnCallRow(
                key, team.name, roster.on_call(team, "primary", now), roster.on_call(team, "backup", now)
            )
        )
    return rows


async def _page(
    request: Request,
    me: Console,
    session: SessionDep,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    now = clock_of(request)
    roster = await repository.current_roster(session)
    rows = on_call_rows(roster, now)
    shifts: list[Shift] = roster.shifts(now, now + WINDOW) if roster.teams else []
    names = {u for r in rows for u in (*r.primary, *r.backup)} | {s.username for s in shifts}
    known = await repository.agents_by_username(session, names)
    zone = roster.zone
    return render(
        request,
        "roster.html",
        me,
        status_code=status_code,
        has_roster=bool(roster.teams),
        rows=rows,
        shifts=shifts,
        display={u: (a.display_name or u) for u, a in known.items()},
        local=lambda moment: moment.astimezone(zone).strftime("%a %d/%m %H:%M"),
        timezone=roster.timezone,
        teams=[t.name for t in roster.teams],
        default_start=now.astimezone(zone).strftime(WALL_CLOCK),
        default_end=(now + timedelta(hours=12)).astimezone(zone).strftime(WALL_CLOCK),
        saved=request.query_params.get("msg") == "override_saved",
        error=error,
    )


@router.get("")
async def roster_page(request: Request, me: Supervising, session: SessionDep) -> Response:
    return await _page(request, me, session)


@router.post("/override")
async def add_override(
    request: Request,
    me: Supervising,
    session: SessionDep,
    runtime: RuntimeDep,
    team: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(pattern="^(primary|backup)$")],
    start: Annotated[str, Form(max_length=32)],
    end: Annotated[str, Form(max_length=32)],
    agent: Annotated[str, Form(max_length=64)],
    replaces: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    current = await repository.current_roster(session)
    if not current.teams:
        return await _page(request, me, session, status_code=409, error="no roster is in force")
    override: dict[str, object] = {
        "team": team,
        "role": role,
        "start": start,  # wall-clock in the roster's zone, as in the YAML file
        "end": end,
        "agent": agent.strip().lower(),
        "note": note.strip(),
    }
    if replaces.strip():
        override["replaces"] = replaces.strip().lower()
    raw = current.model_dump(mode="json")
    raw["overrides"] = [*raw.get("overrides", []), override]
    try:
        document = roster_from(raw, "override")
        async with session.begin_nested():
            summary = await import_roster(
                session,
                document,
                keyring=runtime.keyring,
                pepper=runtime.pepper,
                imported_by=f"agent:{me.agent.id}",
                default_region=runtime.settings.default_region,
            )
    except RosterError as exc:
        return await _page(request, me, session, status_code=422, error=str(exc))
    added = document.overrides[-1]
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="roster.override_added",
        subject=f"roster:{summary.roster_id}",
        details={
            "team": added.team,
            "role": added.role,
            "start": added.start.isoformat(),
            "end": added.end.isoformat(),
            "agent": added.agent,
            "replaces": added.replaces,
        },
    )
    return RedirectResponse("/console/roster?msg=override_saved", status_code=303, headers=SECURITY_HEADERS)
