"""``/console``: sign-in, the second factor, sign-out (here or everywhere), the agent's account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hotline.audit import service as audit
from hotline.auth import throttle
from hotline.auth.dependencies import SessionDep
from hotline.auth.service import check_password
from hotline.console import sessions as auth
from hotline.console.admin import router as admin_router
from hotline.console.admin_partners import router as partners_router
from hotline.console.i18n import LANGUAGES
from hotline.console.referrals import router as referrals_router
from hotline.console.roster_page import router as roster_router
from hotline.console.web import (
    SECURITY_HEADERS,
    HalfSignedIn,
    SignedIn,
    render,
)
from hotline.core.http import NowDep, RuntimeDep, client_address
from hotline.core.logging import get_logger
from hotline.models import Agent, Role

router = APIRouter(prefix="/console", include_in_schema=False)
log = get_logger(__name__)
router.include_router(admin_router)  # /console/admin/…: admins
router.include_router(partners_router)  # /console/admin/partners…: admins
router.include_router(roster_router)  # /console/roster: supervisors and admins
router.include_router(referrals_router)  # /console/cases/{id}/referrals…, /console/referrals/overdue


def _cookie(response: Response, request: Request, name: str, value: str, *, secure: bool) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", secure=secure, path="/", max_age=None)


def _home(role: str) -> str:
    return "/console/stats" if role == Role.analyst.value else "/console/"


@router.get("/login")
async def login_page(request: Request, runtime: RuntimeDep) -> Response:
    token = request.cookies.get(auth.PRE_CSRF_COOKIE) or auth.new_token()
    response = render(request, "login.html", None, csrf=token, error=False)
    _cookie(response, request, auth.PRE_CSRF_COOKIE, token, secure=runtime.settings.is_production)
    return response


@router.post("/login")
async def login(
    now: NowDep,
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    pre = request.cookies.get(auth.PRE_CSRF_COOKIE, "")
    if not auth.csrf_matches(pre, csrf_token):
        return Response("CSRF token missing or wrong", status_code=403, headers=SECURITY_HEADERS)
    settings = runtime.settings
    device = request.cookies.get(throttle.KNOWN_DEVICE_COOKIE)
    step = await check_password(
        runtime,
        session,
        door="console",
        username=username,
        password=password,
        address=client_address(request),
        now=now,
        # the second factor still stands guard for its accounts, and the person's own
        # browser is not locked out by a stranger's guesses elsewhere
        exempt_from_account_lock=lambda a: (
            auth.needs_second_factor(a) or throttle.is_known_device(settings, a, device)
        ),
    )
    if step.refused is not None or step.agent is None:
        await session.commit()
        log.info("console.sign_in_refused", reason=step.refused)
        held = step.refused in ("throttled", "busy")
        page = render(request, "login.html", None, status_code=429 if held else 401, csrf=pre, error=True)
        if held:
            page.headers["Retry-After"] = str(step.retry_after_seconds)
        return page
    agent = step.agent
    second = auth.needs_second_factor(agent)
    if not second:
        await _fully_signed_in(request, runtime, session, agent)
    token = await auth.open_session(session, agent, verified=not second, now=now)
    await audit.append(
        session,
        actor=f"agent:{agent.id}",
        action="auth.signed_in" if not second else "auth.password_ok",
        details={"method": "console"},
    )
    target = "/console/totp" if second else _home(agent.role)
    response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
    _cookie(response, request, auth.COOKIE, token, secure=settings.is_production)
    if not second:
        _remember_device(response, runtime, agent)
    response.delete_cookie(auth.PRE_CSRF_COOKIE, path="/")
    return response


async def _fully_signed_in(request: Request, runtime: RuntimeDep, session: SessionDep, agent: Agent) -> None:
    throttle.account_cleared(agent)
    await throttle.pair_cleared(session, runtime.settings, agent.username, client_address(request))
    runtime.metrics.sign_ins.labels(door="console", outcome="ok").inc()


def _remember_device(response: Response, runtime: RuntimeDep, agent: Agent) -> None:
    response.set_cookie(
        throttle.KNOWN_DEVICE_COOKIE,
        throttle.known_device_value(runtime.settings, agent),
        httponly=True,
        samesite="strict",
        secure=runtime.settings.is_production,
        path="/console/login",
        max_age=throttle.KNOWN_DEVICE_DAYS * 86400,
    )


@router.get("/totp")
async def totp_page(request: Request, runtime: RuntimeDep, session: SessionDep, me: HalfSignedIn) -> Response:
    if me.row.verified:
        return RedirectResponse(_home(me.agent.role), status_code=303)
    secret = auth.totp_secret(runtime.keyring, me.agent)
    if secret is None:  # a supervisor or admin without a second factor yet: enrol now
        secret = auth.new_totp_secret()
        auth.set_totp_secret(runtime.keyring, me.agent, secret)
        await audit.append(session, actor=f"agent:{me.agent.id}", action="auth.totp_enrolled", details={})
        return render(
            request,
            "totp.html",
            me,
            setup_key=secret,
            setup_uri=auth.provisioning_uri(secret, me.agent.username),
            error=False,
        )
    return render(request, "totp.html", me, setup_key=None, error=False)


@router.post("/totp")
async def totp_check(
    now: NowDep,
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    me: HalfSignedIn,
    code: Annotated[str, Form(max_length=16)],
) -> Response:
    """The second factor. Wrong codes count on the account, across every session and the API."""
    settings = runtime.settings
    secret = auth.totp_secret(runtime.keyring, me.agent)
    if secret is None or not throttle.check_totp(me.agent, secret, code, settings, now):
        await throttle.pair_failed(session, settings, me.agent.username, client_address(request), now)
        await audit.append(
            session, actor=f"agent:{me.agent.id}", action="auth.failed", details={"method": "totp"}
        )
        runtime.metrics.sign_ins.labels(door="console", outcome="second_factor").inc()
        if throttle.totp_locked(me.agent, now):
            await auth.close_session(session, request.cookies.get(auth.COOKIE, ""))
        await session.commit()
        return render(request, "totp.html", me, status_code=401, setup_key=None, error=True)
    await _fully_signed_in(request, runtime, session, me.agent)
    await auth.mark_verified(session, me.row, now=now)
    await audit.append(
        session, actor=f"agent:{me.agent.id}", action="auth.signed_in", details={"method": "totp"}
    )
    response = RedirectResponse(_home(me.agent.role), status_code=303, headers=SECURITY_HEADERS)
    _remember_device(response, runtime, me.agent)
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, me: HalfSignedIn) -> Response:
    await auth.close_session(session, request.cookies.get(auth.COOKIE, ""))
    await audit.append(
        session, actor=f"agent:{me.agent.id}", action="auth.signed_out", details={"all": False}
    )
    response = RedirectResponse("/console/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


@router.post("/logout/everywhere")
async def logout_everywhere(session: SessionDep, me: SignedIn) -> Response:
    count = await auth.close_all_sessions(session, me.agent)
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="auth.signed_out",
        details={"all": True, "sessions": count},
    )
    response = RedirectResponse("/console/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


@router.get("/account")
async def account(request: Request, runtime: RuntimeDep, session: SessionDep, me: SignedIn) -> Response:
    return render(request, "account.html", me, has_totp=me.agent.totp_secret_enc is not None, setup_key=None)


@router.post("/account/language")
async def set_language(
    request: Request, session: SessionDep, me: SignedIn, language: Annotated[str, Form(max_length=2)]
) -> Response:
    if language in LANGUAGES:
        me.agent.language = language
        await session.flush()
    back = request.headers.get("referer", "")
    target = back if back.startswith(str(request.base_url) + "console/") else "/console/account"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


@router.post("/account/totp")
async def enrol_totp(
    now: NowDep,
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    me: SignedIn,
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Turn the second factor on, or replace it: a new key now, checked at the next sign-in.

    Replacing a key needs a fresh code of the current one (a stolen session cookie alone must
    not be able to move the second factor onto the thief's phone); a lost key is an admin's
    reset (docs/console.md). Wrong codes count on the account like any other.
    """
    current = auth.totp_secret(runtime.keyring, me.agent)
    if current is not None and not throttle.check_totp(me.agent, current, code, runtime.settings, now):
        await audit.append(
            session, actor=f"agent:{me.agent.id}", action="auth.failed", details={"method": "totp_replace"}
        )
        await session.commit()
        return render(
            request, "account.html", me, status_code=403, has_totp=True, setup_key=None, totp_error=True
        )
    secret = auth.new_totp_secret()
    auth.set_totp_secret(runtime.keyring, me.agent, secret)
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="auth.totp_enrolled",
        details={"replaced": current is not None},
    )
    return render(
        request,
        "account.html",
        me,
        has_totp=True,
        setup_key=secret,
        setup_uri=auth.provisioning_uri(secret, me.agent.username),
    )
