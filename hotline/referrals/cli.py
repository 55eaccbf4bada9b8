"""``hotline partners import FILE | export | list``: the partner directory from YAML."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
import yaml

from hotline.audit import service as audit
from hotline.core.clock import system_clock
from hotline.core.db import create_engine, create_session_factory, unit_of_work
from hotline.referrals.directory import DirectoryError, load_directory

partners_app = typer.Typer(help="The partner directory (docs/referrals.md).", no_args_is_help=True)


@partners_app.command("import")
def partners_import(
    file: Annotated[Path, typer.Argument(help="A partner directory in YAML (docs/referrals.md).")],
    by: Annotated[str, typer.Option(help="Who is importing, for the audit log.")] = "cli",
) -> None:
    """Validate the file, then create or update every partner in it (by slug)."""
    from hotline.cli import _settings
    from hotline.referrals.directory import import_directory

    try:
        directory = load_directory(file)
    except (OSError, DirectoryError) as exc:
        typer.echo(f"error: {file}: {exc}", err=True)
        raise typer.Exit(1) from None
    settings = _settings()

    async def main() -> dict[str, int]:
        engine = create_engine(settings, pooled=False)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                now = system_clock()
                counts = await import_directory(session, directory, now=now)
                await audit.append(
                    session,
                    actor=f"cli:{by}",
                    action="partners.imported",
                    details={"partners": len(directory.partners), **counts},
                    at=now,
                )
                return counts
        finally:
            await engine.dispose()

    counts = asyncio.run(main())
    typer.echo(
        f"imported {len(directory.partners)} partners "
        f"({counts['created']} new, {counts['updated']} updated, {counts['contacts']} contacts)"
    )


@partners_app.command("export")
def partners_export() -> None:
    """Print the directory as YAML, in the format `import` reads."""
    from hotline.cli import _settings
    from hotline.referrals.service import directory

    settings = _settings()

    async def main() -> str:
        engine = create_engine(settings, pooled=False)
        try:
            async with create_session_factory(engine)() as session:
                partners, contacts = await directory(session)
        finally:
            await engine.dispose()
        data = {
            "partners": [
                {
                    "slug": p.slug,
                    "name": p.name,
                    "kind": p.kind,
                    "services": list(p.services),
                    "regions": list(p.regions),
                    "languages": list(p.languages),
                    "active": p.active,
                    "contacts": [
                        {
                            k: v
                            for k, v in {
                                "name": c.name,
                                "title": c.title,
                                "phone": c.phone,
                                "email": c.email,
                                "vetted": c.vetted_at is not None,
                                "active": c.active,
                            }.items()
                            if v not in (None, "")
                        }
                        for c in contacts
                        if c.partner_id == p.id
                    ],
                }
                for p in partners
            ]
        }
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)

    typer.echo(asyncio.run(main()), nl=False)
