"""`hotline audit verify [--anchor HASH@SEQ]` and `hotline audit anchor`.

Mounted by hotline/cli.py. Exit 0 when the chain holds; otherwise 1 and one line on stderr
naming the first entry that does not.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hotline.audit.verify import Anchor, BadAnchor, Report, anchor, verify
from hotline.core.config import Settings
from hotline.core.db import create_engine, create_session_factory

audit_app = typer.Typer(help="The tamper-evident audit log (docs/audit.md).", no_args_is_help=True)


def _settings() -> Settings:
    from hotline.cli import _settings as load

    return load()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


async def _verify(settings: Settings, held: Anchor | None) -> Report:
    engine = create_engine(settings, pooled=False)
    try:
        async with create_session_factory(engine)() as session:
            return await verify(session, anchor=held)
    finally:
        await engine.dispose()


async def _anchor(settings: Settings) -> Anchor:
    engine = create_engine(settings, pooled=False)
    try:
        async with create_session_factory(engine)() as session:
            return await anchor(session)
    finally:
        await engine.dispose()


@audit_app.command("verify")
def verify_command(
    held: Annotated[
        str | None,
        typer.Option(
            "--anchor", help="HASH@SEQ from `hotline audit anchor`: prove nothing up to SEQ changed."
        ),
    ] = None,
) -> None:
    """Re-compute the whole chain; name the first broken, missing or reordered entry."""
    try:
        parsed = Anchor.parse(held) if held is not None else None
    except BadAnchor as exc:
        raise _fail(str(exc)) from None
    settings = _settings()
    try:
        report = asyncio.run(_verify(settings, parsed))
    except Exception as exc:
        raise _fail(f"could not read the audit log: {type(exc).__name__}") from None
    if report.problem is not None:
        raise _fail(f"audit chain broken at {report.problem} (verified up to {report.head.seq})")
    suffix = f"; anchor {parsed.seq} holds" if parsed is not None else ""
    typer.echo(f"audit chain intact: {report.checked} entries, head {report.head}{suffix}")


@audit_app.command("anchor")
def anchor_command() -> None:
    """Print the head as HASH@SEQ, for an outside party to keep."""
    settings = _settings()
    try:
        typer.echo(str(asyncio.run(_anchor(settings))))
    except Exception as exc:
        raise _fail(f"could not read the audit log: {type(exc).__name__}") from None
