"""The ``hotline`` command line. Exit status 0 on success; otherwise one line on stderr."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from hotline.core.config import ConfigError, Settings, load_settings
from hotline.core.logging import configure_logging

#: Sub-commands defined in their own package, imported only when named: ``hotline triage`` must not
#: pay for FastAPI, SQLAlchemy and the statistics code it never runs (about 1.3 s of start-up).
LAZY_SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "triage": ("hotline.triage.cli", "triage_app"),
    "audit": ("hotline.audit.cli", "audit_app"),
    "keys": ("hotline.privacy.cli", "keys_app"),
    "retention": ("hotline.privacy.cli", "retention_app"),
    "privacy": ("hotline.privacy.cli", "privacy_app"),
    "roster": ("hotline.routing.cli", "roster_app"),
    "partners": ("hotline.referrals.cli", "partners_app"),
    "stats": ("hotline.stats.cli", "stats_app"),
    "bench": ("hotline.stats.cli", "bench_app"),
    "training": ("hotline.training.cli", "training_app"),
}


class LazyGroup(TyperGroup):
    """The top-level group: the commands defined here, plus :data:`LAZY_SUBCOMMANDS` loaded on demand."""

    # Any: typer ships click itself from 0.22 on (typer._click) and relied on the click package before;
    # the same code runs on both.
    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_SUBCOMMANDS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in LAZY_SUBCOMMANDS:
            import importlib

            module, attribute = LAZY_SUBCOMMANDS[cmd_name]
            # a group even for a one-command app, as add_typer made it: `hotline bench seed` stays
            group = typer.main.get_group(getattr(importlib.import_module(module), attribute))
            group.name = cmd_name
            return group
        return super().get_command(ctx, cmd_name)


app = typer.Typer(help="The 1503 hotline backend.", no_args_is_help=True, add_completion=False, cls=LazyGroup)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
agents_app = typer.Typer(help="Accounts of agents, supervisors, analysts and admins.", no_args_is_help=True)
simulate_app = typer.Typer(help="Send requests exactly as Twilio would.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(agents_app, name="agents")
app.add_typer(simulate_app, name="simulate")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**overrides)
        settings.check_production()
    except (ConfigError, ValueError) as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    configure_logging(json=settings.log_json if settings.log_json is not None else None)
    return settings


def _serve(settings: Settings, host: str, port: int, with_worker: bool | None) -> None:
    import uvicorn

    from hotline.main import create_app

    uvicorn.run(
        create_app(settings, with_worker=with_worker),
        host=host,
        port=port,
        log_config=None,
        proxy_headers=False,  # the app believes forwarded headers from HOTLINE_TRUSTED_PROXIES only
    )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    with_worker: Annotated[
        bool, typer.Option("--with-worker", help="Run the pipeline in this process too.")
    ] = False,
) -> None:
    """API, console and webhooks (and the worker, when there is no Redis or with --with-worker)."""
    settings = _settings()
    _serve(settings, host, port, True if with_worker else None)


@app.command()
def worker() -> None:
    """The pipeline, sweepers and spool replay; stops cleanly on SIGTERM."""
    settings = _settings()
    if settings.redis_url is None:
        raise _fail(
            "a separate worker needs HOTLINE_REDIS_URL; without Redis, `hotline serve` runs the worker"
        )

    from hotline.core.runtime import build_runtime
    from hotline.intake.worker import Worker

    async def main() -> None:
        runtime = build_runtime(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        try:
            await Worker(runtime).run(stop)
        finally:
            await runtime.close()

    asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the newest schema."""
    from hotline.core.migrations import upgrade

    settings = _settings()
    try:
        upgrade(settings.database_url, revision)
    except Exception as exc:
        raise _fail(f"migration failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
    typer.echo(f"database at revision {revision}")


@agents_app.command("create")
def agents_create(
    username: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="agent | supervisor | analyst | admin")],
    region: Annotated[
        list[str] | None, typer.Option(help="A region the account covers; repeat for more.")
    ] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    phone: Annotated[
        str | None, typer.Option(help="For SMS and call notifications; stored sealed, never shown.")
    ] = None,
) -> None:
    """Create an account."""
    from hotline.agents.service import AccountError, create_agent
    from hotline.core.db import create_engine, create_session_factory, unit_of_work
    from hotline.models import Role

    settings = _settings()
    try:
        role_value = Role(role)
    except ValueError:
        raise _fail(f"unknown role {role!r}; roles are agent, supervisor, analyst, admin") from None

    async def main() -> str:
        engine = create_engine(settings, pooled=False)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                agent = await create_agent(
                    session,
                    username=username,
                    password=password,
                    role=role_value,
                    regions=region or (),
                    display_name=name,
                )
                if phone is not None:
                    from hotline.core.crypto import build_keyring
                    from hotline.routing.reach import set_reach

                    await set_reach(
                        session,
                        keyring=build_keyring(settings),
                        pepper=settings.caller_pepper.get_secret_value(),
                        agent=agent,
                        phone=phone,
                        default_region=settings.default_region,
                    )
                return str(agent.id)
        finally:
            await engine.dispose()

    try:
        agent_id = asyncio.run(main())
    except (AccountError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"created {role_value.value} {username} ({agent_id})")


@app.command()
def demo(
    port: int = 8000,
    host: str = "127.0.0.1",
    training: Annotated[bool, typer.Option("--training", help="Flag everything as training data.")] = False,
) -> None:
    """Embedded SQLite + in-process queue, migrated, with demo data; serves API, console and worker."""
    from hotline.core.migrations import upgrade
    from hotline.core.runtime import build_runtime
    from hotline.demo import seed

    settings = _settings(training=training, public_base_url=f"http://{host}:{port}")
    if settings.is_production:
        raise _fail("demo refuses HOTLINE_ENV=production")
    upgrade(settings.database_url)

    async def seed_once() -> list[str]:
        runtime = build_runtime(settings)
        try:
            return [f"{d.username} / {d.password} ({d.role.value})" for d in await seed(runtime)]
        finally:
            await runtime.close()

    created = asyncio.run(seed_once())
    typer.echo(f"1503 hotline demo on http://{host}:{port}  (API docs: http://{host}:{port}/api/docs)")
    from hotline.demo import DEMO_LOGINS

    typer.echo("demo logins:" + ("" if created else " (already created)"))
    for login in DEMO_LOGINS:
        typer.echo(f"  {login.username} / {login.password}  ({login.role.value})")
    typer.echo(
        f"send a text: hotline simulate sms --from +237690000009 --body 'help' --url http://{host}:{port}"
    )
    typer.echo(f"call the voice menu: hotline simulate call --url http://{host}:{port}")
    _serve(settings, host, port, True)


@simulate_app.command("sms")
def simulate_sms(
    sender: Annotated[str, typer.Option("--from", help="The sender, e.g. +237690000000 or whatsapp:+237…")],
    body: Annotated[str, typer.Option(help="The message text.")],
    url: Annotated[
        str | None, typer.Option(help="The running server (default HOTLINE_PUBLIC_BASE_URL).")
    ] = None,
) -> None:
    """POST a text to /twilio/sms/incoming, signed as Twilio signs it, and print the reply."""
    from hotline.simulate import post_signed, sms_form

    settings = _settings()
    target = url or settings.public_base_url
    form = sms_form(sender=sender, body=body, account_sid=settings.twilio_account_sid)
    try:
        response = post_signed(
            public_base_url=settings.public_base_url if url is None else url,
            target_base_url=target,
            path="/twilio/sms/incoming",
            form=form,
            auth_token=settings.twilio_auth_token.get_secret_value(),
        )
    except Exception as exc:
        raise _fail(f"could not reach {target}: {type(exc).__name__}") from None
    typer.echo(response.text)
    if response.status_code >= 400:
        raise _fail(f"server answered {response.status_code}")


@simulate_app.command("call")
def simulate_call(
    url: Annotated[
        str | None, typer.Option(help="The running server (default HOTLINE_PUBLIC_BASE_URL).")
    ] = None,
    caller: Annotated[str, typer.Option("--from", help="The number the call comes from.")] = "+237690000000",
) -> None:
    """A terminal phone that follows the voice menu: prompts on screen, keys from the keyboard."""
    from hotline.ivr.training import run_training_call

    settings = _settings()
    target = url or settings.public_base_url
    try:
        run_training_call(
            base_url=target,
            public_base_url=target,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            account_sid=settings.twilio_account_sid,
            number=caller,
            ask=input,
            say=typer.echo,
        )
    except AssertionError as exc:
        raise _fail(f"the line answered something a phone cannot follow: {exc}") from None
    except Exception as exc:
        raise _fail(f"could not reach {target}: {type(exc).__name__}") from None


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
