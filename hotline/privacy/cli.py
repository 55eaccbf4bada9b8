"""`hotline keys rotate|new`, `hotline retention run [--dry-run]`, `hotline privacy export|erase --number N`.

Mounted by hotline/cli.py. Exit 0 on success, otherwise 1 with one line on stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from hotline.core.clock import system_clock
from hotline.core.config import Settings
from hotline.core.crypto import KEY_ID, new_key

if TYPE_CHECKING:
    from hotline.core.runtime import Runtime

keys_app = typer.Typer(help="The data keys that seal personal data (docs/privacy.md).", no_args_is_help=True)
retention_app = typer.Typer(help="Delete personal data on time (docs/privacy.md).", no_args_is_help=True)
privacy_app = typer.Typer(help="Requests of the people concerned.", no_args_is_help=True)

T = TypeVar("T")
NumberOption = Annotated[str, typer.Option("--number", help="The phone number, in any usual form.")]


def _settings() -> Settings:
    from hotline.cli import _settings as load

    return load()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    from hotline.core.crypto import KeyringError
    from hotline.core.runtime import build_runtime
    from hotline.privacy.requests import RequestError

    settings = _settings()

    async def main() -> T:
        runtime = build_runtime(settings)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    try:
        return asyncio.run(main())
    except (RequestError, KeyringError) as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        raise _fail(
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else 'failed'}"
        ) from None


@keys_app.command("new")
def keys_new(
    key_id: Annotated[str, typer.Option("--id", help="A short name for the key, e.g. 2026-11.")],
) -> None:
    """Print a fresh random key as `id:base64`, to put first in HOTLINE_DATA_KEYS."""
    if not KEY_ID.match(key_id):
        raise _fail("a key id is letters, digits or '-', at most 16")
    typer.echo(f"{key_id}:{new_key()}")


@keys_app.command("rotate")
def keys_rotate(
    batch: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 500,
) -> None:
    """Re-seal everything under the newest key; resumable (run again after an interruption)."""
    from hotline.privacy.rotation import rotate

    report = _with_runtime(lambda runtime: rotate(runtime, now=system_clock(), batch=batch))
    for name, count in report.resealed.items():
        typer.echo(f"{name}: {count} re-sealed")
    if not report.complete:
        raise _fail(
            f"{report.unreadable} values did not open with any listed key; keep their key in HOTLINE_DATA_KEYS"
        )
    typer.echo(f"all personal data is sealed under key {report.key_id!r}")


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be purged; change nothing.")
    ] = False,
) -> None:
    """Purge what is past its retention period (the worker does this daily)."""
    from hotline.privacy.retention import run_retention

    report = _with_runtime(lambda runtime: run_retention(runtime, now=system_clock(), dry_run=dry_run))
    typer.echo(report.summary())
    if report.recordings_failed:
        raise _fail(
            f"{report.recordings_failed} recordings could not be deleted at the provider; run again later"
        )


@privacy_app.command("export")
def privacy_export(
    number: NumberOption,
    out: Annotated[
        Path | None, typer.Option(help="Write the JSON here (mode 600) instead of stdout.")
    ] = None,
) -> None:
    """Everything held about a number, as JSON (audited)."""
    from hotline.privacy.requests import export

    document = _with_runtime(lambda runtime: export(runtime, number, now=system_clock()))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    typer.echo(f"wrote {len(document['cases'])} cases and {len(document['contacts'])} contacts to {out}")


@privacy_app.command("erase")
def privacy_erase(
    number: NumberOption,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete what a number's owner said and unlink them from their cases (audited; statistics stay)."""
    from hotline.privacy.requests import erase

    if not yes:
        if not sys.stdin.isatty():
            raise _fail("erasing cannot be undone: confirm with --yes")
        typer.confirm("Erase everything this person said, for good?", abort=True)
    erased = _with_runtime(lambda runtime: erase(runtime, number, now=system_clock()))
    typer.echo(
        f"erased: {erased.contacts} contacts in {erased.cases} cases, {erased.recordings} recordings deleted"
    )
