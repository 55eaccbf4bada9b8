"""``/console``: sign-in, the second factor, sign-out (here or everywhere), the agent's account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hotline.agents.service import find_by_username
from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep
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
from hotline.core.http import NowDep, RuntimeDep
from hotline.core.logging import get_logger
from hotline.core.security import DUMMY_PASSWORD_HASH, verify_password
from hotline.models import Role

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
    agent = await find_by_username(session, username)
    valid = verify_password(agent.password_hash if agent else DUMMY_PASSWORD_HASH, password)
    locked = auth.locked_for(agent, now) if agent else None
    if agent is None or not valid or not agent.active or locked is not None:
        reason = "locked" if locked is not None else "password"
        if agent is not None and locked is None:
            auth.record_failure(agent, runtime.settings, now)
        await audit.append(
            session,
            actor=f"agent:{agent.id}" if agent else "anonymous",
            action="auth.failed",
            details={"method": "console", "reason": reason},
        )
        await session.commit()
        log.info("console.sign_in_refused", reason=reason)
        return render(request, "login.html", None, status_code=401, csrf=pre, error=True)
    auth.record_success(agent)
    second = auth.needs_second_factor(agent)
    token = await auth.open_session(session, agent, verified=not second, now=now)
    await audit.append(
        session,
        actor=f"agent:{agent.id}",
        action="auth.signed_in" if not second else "auth.password_ok",
        details={"method": "console"},
    )
    target = "/console/totp" if second else _home(agent.role)
    response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
    _cookie(response, request, auth.COOKIE, token, secure=runtime.settings.is_production)
    response.delete_cookie(auth.PRE_CSRF_COOKIE, path="/")
    return response


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
    secret = auth.totp_secret(runtime.keyring, me.agent)
    if secret is None or not auth.totp_valid(secret, code, now):
        auth.record_failure(me.agent, runtime.settings, now)
        await audit.append(
            session, actor=f"agent:{me.agent.id}", action="auth.failed", details={"method": "totp"}
        )
        if auth.locked_for(me.agent, now) is not None:
            await auth.close_session(session, request.cookies.get(auth.COOKIE, ""))
        await session.commit()
        return render(request, "totp.html", me, status_code=401, setup_key=None, error=True)
    auth.record_success(me.agent)
    await auth.mark_verified(session, me.row, now=now)
    await audit.append(
        session, actor=f"agent:{me.agent.id}", action="auth.signed_in", details={"method": "totp"}
    )
    return RedirectResponse(_home(me.agent.role), status_code=303, headers=SECURITY_HEADERS)


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
async def enrol_totp(request: Request, runtime: RuntimeDep, session: SessionDep, me: SignedIn) -> Response:
    """An agent turns the second factor on: a new key now, checked at the next sign-in."""
    secret = auth.new_totp_secret()
    auth.set_totp_secret(runtime.keyring, me.agent, secret)
    await audit.append(session, actor=f"agent:{me.agent.id}", action="auth.totp_enrolled", details={})
    return render(
        request,
        "account.html",
        me,
        has_totp=True,
        setup_key=secret,
        setup_uri=auth.provisioning_uri(secret, me.agent.username),
    )
