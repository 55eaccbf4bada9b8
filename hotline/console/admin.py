"""``/console/admin``: accounts and the configuration, for admins only.

Every change is an audit event (``account.created``, ``account.deactivated``,
``account.reactivated``, ``account.totp_reset``) naming the admin as actor and the account as
subject; reading the configuration is one too (``config.viewed``). A phone given for a new
account goes through :func:`hotline.routing.reach.set_reach` (sealed on the account, its keyed
hash in ``agent_reach.phone_ref``), exactly as ``hotline agents create --phone`` does; it never
comes back to the page, the logs or the audit chain. The configuration page shows settings
that are not secret (key ids, never key material).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from hotline.agents.service import REGIONS, AccountError, create_agent
from hotline.audit import service as audit
from hotline.auth import throttle
from hotline.auth.dependencies import SessionDep
from hotline.console import sessions as auth
from hotline.console.web import SECURITY_HEADERS, Console, RoleRefused, render, signed_in
from hotline.core.http import RuntimeDep
from hotline.core.logging import get_logger
from hotline.core.queue import RedisStreamQueue
from hotline.core.runtime import Runtime
from hotline.models import Agent, Role
from hotline.routing.reach import ReachError, set_reach

router = APIRouter(prefix="/admin")
log = get_logger(__name__)

ROLES = tuple(r.value for r in Role)
ACCOUNT_LANGUAGES = ("fr", "en", "pcm")
MESSAGES = ("account_created", "deactivated_done", "reactivated_done", "totp_reset_done")


async def administering(console: Annotated[Console, Depends(signed_in)]) -> Console:
    if console.agent.role != Role.admin.value:
        raise RoleRefused(console.agent)
    return console


Admin = Annotated[Console, Depends(administering)]


def _back(msg: str) -> Response:
    return RedirectResponse(f"/console/admin/accounts?msg={msg}", status_code=303, headers=SECURITY_HEADERS)


async def _accounts_page(
    request: Request,
    me: Console,
    session: SessionDep,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, object] | None = None,
) -> Response:
    accounts = list((await session.execute(select(Agent).order_by(Agent.username))).scalars())
    msg = request.query_params.get("msg")
    return render(
        request,
        "admin_accounts.html",
        me,
        status_code=status_code,
        accounts=accounts,
        roles=ROLES,
        regions=REGIONS,
        account_languages=ACCOUNT_LANGUAGES,
        message=msg if msg in MESSAGES else None,
        error=error,
        form=form or {"role": Role.agent.value, "languages": ["fr", "en"], "regions": []},
    )


@router.get("/accounts")
async def accounts(request: Request, me: Admin, session: SessionDep) -> Response:
    return await _accounts_page(request, me, session)


@router.post("/accounts")
async def create_account(
    request: Request,
    me: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form(max_length=16)],
    display_name: Annotated[str, Form(max_length=128)] = "",
    regions: Annotated[list[str] | None, Form()] = None,
    languages: Annotated[list[str] | None, Form()] = None,
    phone: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    chosen_languages = [lang for lang in (languages or []) if lang in ACCOUNT_LANGUAGES] or ["fr", "en"]
    # What the form is shown again with on a refusal: never the password, never the phone.
    again: dict[str, object] = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "regions": regions or [],
        "languages": chosen_languages,
    }
    if role not in ROLES:
        return await _accounts_page(request, me, session, status_code=422, error="unknown role", form=again)
    try:
        async with session.begin_nested():
            agent = await create_agent(
                session,
                username=username,
                password=password,
                role=Role(role),
                regions=regions or (),
                display_name=display_name.strip(),
                languages=chosen_languages,
            )
            if phone.strip():
                await set_reach(
                    session,
                    keyring=runtime.keyring,
                    pepper=runtime.pepper,
                    agent=agent,
                    phone=phone,
                    default_region=runtime.settings.default_region,
                )
    except (AccountError, ReachError) as exc:
        log.info("console.account_refused")
        return await _accounts_page(request, me, session, status_code=422, error=str(exc), form=again)
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="account.created",
        subject=f"agent:{agent.id}",
        details={
            "role": agent.role,
            "regions": ",".join(agent.regions),
            "languages": ",".join(agent.languages),
            "phone": agent.phone_enc is not None,
            "via": "console",
        },
    )
    return _back("account_created")


async def _target(session: SessionDep, agent_id: uuid.UUID) -> Agent | None:
    return await session.get(Agent, agent_id)


def _not_found(request: Request, me: Console) -> Response:
    return render(request, "error.html", me, status_code=404, message_key="no_account", language=None)


@router.post("/accounts/{agent_id}/deactivate")
async def deactivate(request: Request, agent_id: uuid.UUID, me: Admin, session: SessionDep) -> Response:
    agent = await _target(session, agent_id)
    if agent is None:
        return _not_found(request, me)
    if agent.id == me.agent.id:  # the last way in must not close behind the admin by a slip
        return await _accounts_page(
            request, me, session, status_code=409, error="you cannot deactivate your own account"
        )
    agent.active = False
    ended = await auth.close_all_sessions(session, agent)
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="account.deactivated",
        subject=f"agent:{agent.id}",
        details={"sessions": ended, "via": "console"},
    )
    return _back("deactivated_done")


@router.post("/accounts/{agent_id}/reactivate")
async def reactivate(request: Request, agent_id: uuid.UUID, me: Admin, session: SessionDep) -> Response:
    agent = await _target(session, agent_id)
    if agent is None:
        return _not_found(request, me)
    agent.active = True
    throttle.account_cleared(agent)  # a fresh start: no back-off carried over
    await session.flush()
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="account.reactivated",
        subject=f"agent:{agent.id}",
        details={"via": "console"},
    )
    return _back("reactivated_done")


@router.post("/accounts/{agent_id}/totp-reset")
async def reset_totp(
    request: Request, agent_id: uuid.UUID, me: Admin, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """A lost authenticator: the key is cleared and every session ends; the next sign-in enrols again."""
    agent = await _target(session, agent_id)
    if agent is None:
        return _not_found(request, me)
    auth.set_totp_secret(runtime.keyring, agent, None)
    ended = await auth.close_all_sessions(session, agent)
    await session.flush()
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="account.totp_reset",
        subject=f"agent:{agent.id}",
        details={"sessions": ended, "via": "console"},
    )
    if agent.id == me.agent.id:
        response = RedirectResponse("/console/login", status_code=303, headers=SECURITY_HEADERS)
        response.delete_cookie(auth.COOKIE, path="/")
        return response
    return _back("totp_reset_done")


def visible_settings(runtime: Runtime) -> list[tuple[str, str]]:
    """The settings an admin may read: none of them a secret, keys by id only."""
    s = runtime.settings
    keyring = runtime.keyring
    return [
        ("HOTLINE_ENV", s.env.value),
        ("database", "sqlite" if s.is_sqlite else "postgresql"),
        ("queue", "redis streams" if isinstance(runtime.queue, RedisStreamQueue) else "in-process"),
        ("HOTLINE_PUBLIC_BASE_URL", s.public_base_url),
        ("HOTLINE_TRAINING", "true" if s.training else "false"),
        ("triage version", runtime.triage_version),
        ("data key ids", ", ".join(keyring.key_ids)),
        ("current data key id", keyring.current),
        ("HOTLINE_RETENTION_BODY_DAYS", str(s.retention_body_days)),
        ("HOTLINE_RETENTION_RECORDING_DAYS", str(s.retention_recording_days)),
        ("HOTLINE_RETENTION_CALLBACK_DAYS", str(s.retention_callback_days)),
        ("HOTLINE_DEFAULT_REGION", s.default_region),
        ("HOTLINE_CONSOLE_IDLE_MINUTES", str(s.console_idle_minutes)),
        ("HOTLINE_CONSOLE_SESSION_HOURS", str(s.console_session_hours)),
        ("HOTLINE_CONSOLE_LOCKOUT_AFTER", str(s.console_lockout_after)),
        ("HOTLINE_TOKEN_TTL_SECONDS", str(s.token_ttl_seconds)),
    ]


@router.get("/config")
async def configuration(request: Request, me: Admin, session: SessionDep, runtime: RuntimeDep) -> Response:
    await audit.append(
        session, actor=f"agent:{me.agent.id}", action="config.viewed", details={"via": "console"}
    )
    return render(request, "admin_config.html", me, settings_rows=visible_settings(runtime))
