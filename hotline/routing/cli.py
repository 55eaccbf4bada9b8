"""``hotline roster import FILE | export [--ics] | check --days 14``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.clock import system_clock
from hotline.core.config import Settings
from hotline.core.crypto import Keyring, build_keyring
from hotline.core.db import create_engine, create_session_factory, unit_of_work
from hotline.routing import repository
from hotline.routing.ics import calendar
from hotline.routing.policy import PolicyError, load_policies
from hotline.routing.roster import RosterError, parse_roster
from hotline.routing.service import active_usernames, import_roster

roster_app = typer.Typer(help="On-call rosters: teams, rotations, overrides.", no_args_is_help=True)
T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _settings() -> Settings:
    from hotline.cli import _settings as cli_settings

    return cli_settings()


def _run(settings: Settings, work: Callable[[AsyncSession, Keyring], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = create_engine(settings, pooled=False)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                return await work(session, build_keyring(settings))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="A roster in YAML (docs/routing.md).")],
    by: Annotated[str, typer.Option(help="Who is importing, for the audit log.")] = "cli",
) -> None:
    """Validate a roster and make it the one in force (phones are sealed into the accounts)."""
    settings = _settings()
    try:
        document = parse_roster(file.read_text(encoding="utf-8"), file.name)
        load_policies()
    except OSError as exc:
        raise _fail(f"cannot read {file}: {exc.strerror}") from None
    except (RosterError, PolicyError) as exc:
        raise _fail(str(exc)) from None

    async def work(session: AsyncSession, keyring: Keyring) -> str:
        summary = await import_roster(
            session,
            document,
            keyring=keyring,
            pepper=settings.caller_pepper.get_secret_value(),
            imported_by=f"cli:{by}",
            default_region=settings.default_region,
        )
        return f"roster #{summary.roster_id} in force: {summary.teams} teams, {summary.people} people, {summary.phones} phones sealed"

    try:
        typer.echo(_run(settings, work))
    except RosterError as exc:
        raise _fail(str(exc)) from None


@roster_app.command("export")
def roster_export(
    ics: Annotated[
        bool, typer.Option("--ics", help="Shifts as iCalendar instead of the roster YAML.")
    ] = False,
    days: Annotated[int, typer.Option(min=1, max=366, help="With --ics: how many days ahead.")] = 28,
    agent: Annotated[str | None, typer.Option(help="With --ics: only this person's shifts.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """The roster in force, as readable YAML (no phones) or as an .ics calendar of shifts."""
    settings = _settings()

    async def work(session: AsyncSession, _keyring: Keyring) -> str:
        roster = await repository.current_roster(session)
        if not ics:
            return roster.dump()
        now = system_clock()
        shifts = roster.shifts(_hour(now), _hour(now) + timedelta(days=days))
        if agent:
            shifts = [s for s in shifts if s.username == agent.strip().lower()]
        return calendar(shifts, generated_at=now, name=f"1503 on call{f' - {agent}' if agent else ''}")

    text = _run(settings, work)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        typer.echo(f"written to {output}")


@roster_app.command("check")
def roster_check(
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days ahead to check.")] = 14,
) -> None:
    """Every hour of every region (and the national team) without a primary on call."""
    settings = _settings()

    async def work(session: AsyncSession, _keyring: Keyring) -> list[str]:
        roster = await repository.current_roster(session)
        start = _hour(system_clock())
        gaps = roster.gaps(start, start + timedelta(days=days), active=await active_usernames(session))
        zone = roster.zone
        lines = []
        for gap in gaps:
            begin = _hour(gap.start).astimezone(zone)
            lines.append(
                f"{gap.team_key:<13} {begin:%Y-%m-%d %H:00} → {gap.end.astimezone(zone):%Y-%m-%d %H:%M}"
                f"  {gap.hours():>4} h without a primary ({zone.key})"
            )
        return lines

    lines = _run(settings, work)
    for line in lines:
        typer.echo(line)
    if lines:
        raise _fail(f"{len(lines)} stretch(es) without a primary on call in the next {days} days")
    typer.echo(f"every region has a primary on call for the next {days} days")
