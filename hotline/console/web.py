"""What every console page needs: the templates, who is signed in, roles, CSRF.

Roles are checked here, on the server, for every page: :func:`signed_in` (any verified
session), :func:`case_worker` (agent, supervisor, admin: never an analyst), :func:`supervising`
(supervisor, admin). A request without a live session is sent to the sign-in page (htmx
requests get ``HX-Redirect``); a role refused gets a 403 page. Every form and every htmx
POST carries the session's CSRF token, checked before the handler runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hotline.auth.dependencies import SessionDep
from hotline.console import sessions as auth
from hotline.console.i18n import refusal, translate
from hotline.core.http import RuntimeDep, clock_of
from hotline.models import Agent, ConsoleSession, Role
from hotline.triage.reasons import explain

HERE = Path(__file__).parent
STATIC_URL = "/console/static"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


class SignInRequired(Exception):
    pass


class SecondFactorRequired(Exception):
    pass


class RoleRefused(Exception):
    def __init__(self, agent: Agent) -> None:
        super().__init__("role refused")
        self.agent = agent


class CsrfRefused(Exception):
    pass


class Console:
    """The signed-in person of a console request."""

    def __init__(self, agent: Agent, row: ConsoleSession) -> None:
        self.agent = agent
        self.row = row

    @property
    def csrf(self) -> str:
        return self.row.csrf_token

    @property
    def language(self) -> str:
        return self.agent.language if self.agent.language in ("fr", "en") else "fr"

    @property
    def supervising(self) -> bool:
        return self.agent.role in (Role.supervisor.value, Role.admin.value)

    @property
    def works_cases(self) -> bool:
        return self.agent.role != Role.analyst.value


def render(
    request: Request, name: str, console: Console | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    language = console.language if console else request.cookies.get("hotline_lang", "fr")
    language = language if language in ("fr", "en") else "fr"
    html = templates.get_template(name).render(
        request=request,
        me=console,
        lang=language,
        t=lambda key: translate(language, key),
        refusal=lambda reason: refusal(language, reason),
        triage_reason=lambda reason: explain(reason, language),
        static=STATIC_URL,
        now=clock_of(request),
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


async def console_of(request: Request, runtime: RuntimeDep, session: SessionDep) -> Console:
    token = request.cookies.get(auth.COOKIE)
    if not token:
        raise SignInRequired
    found = await auth.find_session(session, runtime.settings, token, now=runtime.clock())
    if found is None:
        raise SignInRequired
    console = Console(found.agent, found.row)
    if request.method not in ("GET", "HEAD"):
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            given = str((await request.form()).get(CSRF_FIELD) or "")
        if not auth.csrf_matches(console.csrf, given):
            raise CsrfRefused
    return console


async def half_signed_in(console: Annotated[Console, Depends(console_of)]) -> Console:
    """Password given, second factor maybe not yet: only the TOTP pages accept this."""
    return console


async def signed_in(console: Annotated[Console, Depends(console_of)]) -> Console:
    if not console.row.verified:
        raise SecondFactorRequired
    return console


async def case_worker(console: Annotated[Console, Depends(signed_in)]) -> Console:
    if not console.works_cases:
        raise RoleRefused(console.agent)
    return console


async def supervising(console: Annotated[Console, Depends(signed_in)]) -> Console:
    if not console.supervising:
        raise RoleRefused(console.agent)
    return console


HalfSignedIn = Annotated[Console, Depends(half_signed_in)]
SignedIn = Annotated[Console, Depends(signed_in)]
CaseWorker = Annotated[Console, Depends(case_worker)]
Supervising = Annotated[Console, Depends(supervising)]


def _redirect(request: Request, to: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": to, **SECURITY_HEADERS})
    if request.method not in ("GET", "HEAD"):
        return Response(status_code=401, headers={"Location": to, **SECURITY_HEADERS})
    return RedirectResponse(to, status_code=303, headers=SECURITY_HEADERS)


def install_handlers(app: FastAPI) -> None:
    async def sign_in_required(request: Request, exc: Exception) -> Response:
        return _redirect(request, "/console/login")

    async def second_factor(request: Request, exc: Exception) -> Response:
        return _redirect(request, "/console/totp")

    async def role_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RoleRefused)
        return render(request, "error.html", None, status_code=403, message_key="forbidden", language=None)

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return HTMLResponse("CSRF token missing or wrong", status_code=403, headers=SECURITY_HEADERS)

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(SecondFactorRequired, second_factor)
    app.add_exception_handler(RoleRefused, role_refused)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.mount(STATIC_URL, StaticFiles(directory=HERE / "static"), name="console-static")
