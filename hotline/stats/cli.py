"""``hotline stats`` (the same protected tables as the API, in the terminal) and
``hotline bench seed-stats`` (synthetic cases in PostgreSQL for bench/stats.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import typer

from hotline.audit import service as audit
from hotline.core.clock import system_clock
from hotline.core.config import Settings
from hotline.core.db import create_engine, create_session_factory, unit_of_work
from hotline.stats.export import to_csv, to_text
from hotline.stats.perturbation import CellKeys
from hotline.stats.query import MEASURES, PERIODS, QueryError, StatsQuery, run_query
from hotline.stats.rollup import rebuild_all, refresh
from hotline.stats.router import parse_group_by
from hotline.stats.seed import seed_cases

stats_app = typer.Typer(
    help="Statistics: protected tables (small counts suppressed).", invoke_without_command=True
)
bench_app = typer.Typer(help="Benchmark fixtures.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _settings() -> Settings:
    from hotline.cli import _settings as cli_settings

    return cli_settings()


def _date(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"--{name} must be a date, YYYY-MM-DD") from None


@stats_app.callback()
def stats(
    ctx: typer.Context,
    measure: Annotated[str, typer.Option(help=f"One of {', '.join(MEASURES)}.")] = "cases",
    group_by: Annotated[str, typer.Option("--group-by", help="Up to two dimensions, comma-separated.")] = "",
    period: Annotated[str | None, typer.Option(help=f"One of {', '.join(PERIODS)}.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="CSV instead of aligned columns.")] = False,
) -> None:
    """Print a statistics table (each run is an audit event, actor "cli")."""
    if ctx.invoked_subcommand is not None:
        return
    first, last = _date(start, "from"), _date(end, "to")
    query = StatsQuery(
        measure=measure,  # type: ignore[arg-type]  # validated by run_query
        group_by=parse_group_by(group_by),
        period=period,  # type: ignore[arg-type]
        start=first.date() if first else None,
        end=last.date() if last else None,
    )
    settings = _settings()

    async def main() -> str:
        engine = create_engine(settings, pooled=False)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                keys = CellKeys.from_secret_key(settings.secret_key.get_secret_value())
                table = await run_query(session, query, now=system_clock(), keys=keys)
                q = table.query
                await audit.append(
                    session,
                    actor="cli",
                    action="stats.queried",
                    details={
                        "measure": q.measure,
                        "group_by": ",".join(q.group_by),
                        "period": q.period,
                        "from": q.start.isoformat() if q.start else None,
                        "to": q.end.isoformat() if q.end else None,
                        "format": "csv" if csv else "text",
                    },
                )
                return to_csv(table) if csv else to_text(table)
        finally:
            await engine.dispose()

    try:
        typer.echo(asyncio.run(main()), nl=False)
    except QueryError as exc:
        raise _fail(str(exc)) from None


@stats_app.command("refresh")
def stats_refresh(
    full: Annotated[bool, typer.Option("--full", help="Rebuild every day, not only what changed.")] = False,
) -> None:
    """Bring the statistics rollups up to date (the worker does this every few seconds)."""
    settings = _settings()

    async def main() -> int:
        engine = create_engine(settings, pooled=False)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                now = system_clock()
                return await (rebuild_all(session, now) if full else refresh(session, now))
        finally:
            await engine.dispose()

    typer.echo(f"rollup rows written: {asyncio.run(main())}")


@bench_app.command("seed-stats")
def seed_stats(
    cases: Annotated[int, typer.Option("--cases", min=1, help="How many synthetic cases.")] = 1_000_000,
    days: Annotated[int, typer.Option("--days", min=1, help="Spread over this many past days.")] = 900,
) -> None:
    """Fill PostgreSQL with synthetic cases and contacts (replacing a previous seed), then the rollups."""
    settings = _settings()
    if settings.is_sqlite:
        raise _fail("seed-stats needs PostgreSQL (HOTLINE_DATABASE_URL=postgresql+asyncpg://...)")
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def main() -> int:
        now = system_clock()
        await seed_cases(dsn, cases, now=now, days=days)
        engine = create_engine(settings, pooled=False)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                return await rebuild_all(session, now)
        finally:
            await engine.dispose()

    written = asyncio.run(main())
    typer.echo(f"seeded {cases} cases; rollup rows written: {written}")
