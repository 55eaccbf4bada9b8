"""``hotline training …``: the training room's commands."""

from __future__ import annotations

import asyncio

import typer

training_app = typer.Typer(help="The training room.", no_args_is_help=True)


@training_app.command("reset")
def reset_command(
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete every training contact and case (and what hangs on them); real data stays. Audited."""
    from hotline.core.config import ConfigError, load_settings
    from hotline.core.db import unit_of_work
    from hotline.core.logging import configure_logging
    from hotline.core.runtime import build_runtime
    from hotline.training.reset import reset_training

    try:
        settings = load_settings()
    except (ConfigError, ValueError) as exc:
        typer.echo(f"error: {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(1) from None
    configure_logging(json=settings.log_json if settings.log_json is not None else None)
    if not yes and not typer.confirm("Delete all training contacts and cases?"):
        raise typer.Exit(1)

    async def main() -> dict[str, int]:
        runtime = build_runtime(settings)
        try:
            async with unit_of_work(runtime.sessions) as session:
                return await reset_training(session, actor="cli:training-reset")
        finally:
            await runtime.close()

    counts = asyncio.run(main())
    typer.echo("training data deleted: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
