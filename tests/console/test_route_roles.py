"""Every route of the app, with every role: who gets through and who is refused, on the server.

The table below must name every route the app serves; a route added without a line here
fails :func:`test_every_route_is_in_the_table`, so no page or API route escapes the check.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from hotline.console import sessions as auth
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.core.security import issue_token
from hotline.models import Agent, Role
from tests.conftest import app_for
from tests.console.conftest import reported_case
from tests.fixtures.accounts import make_agent

ROLES = ("anonymous", "agent", "supervisor", "analyst", "admin")

# Who may pass each kind of route (anonymous is always refused except for "public").
PUBLIC = "public"  # anyone: sign-in page, health, the API's documentation
SIGNED = "signed"  # the provider's signature or shared secret, never a person's role
ANYONE_IN = "anyone signed in"
WORKERS = "case workers"  # agent, supervisor, admin; never an analyst
SUPERVISORS = "supervisors"  # supervisor, admin
STATS = "statistics"  # analyst, supervisor, admin
ADMINS = "admins"  # admin only
ALLOWED = {
    PUBLIC: set(ROLES),
    SIGNED: set(),
    ANYONE_IN: {"agent", "supervisor", "analyst", "admin"},
    WORKERS: {"agent", "supervisor", "admin"},
    SUPERVISORS: {"supervisor", "admin"},
    STATS: {"analyst", "supervisor", "admin"},
    ADMINS: {"admin"},
}

TABLE: dict[tuple[str, str], str] = {
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("POST", "/twilio/sms/incoming"): SIGNED,
    ("POST", "/twilio/sms/status"): SIGNED,
    ("POST", "/twilio/voice/incoming"): SIGNED,
    ("POST", "/twilio/voice/menu/{step}"): SIGNED,
    ("POST", "/twilio/voice/dialed/{step}"): SIGNED,
    ("POST", "/twilio/voice/recorded/{step}"): SIGNED,
    ("POST", "/twilio/voice/recording"): SIGNED,
    ("POST", "/twilio/voice/status"): SIGNED,
    ("POST", "/twilio/notify/call"): SIGNED,
    ("POST", "/twilio/notify/call/ack"): SIGNED,
    ("POST", "/twilio/console/bridge"): SIGNED,
    ("POST", "/ussd/africastalking"): SIGNED,
    ("POST", "/ussd/africastalking/events"): SIGNED,  # the same shared secret as the session URL
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/cases"): WORKERS,
    ("GET", "/api/v1/cases/{case_id}"): WORKERS,
    ("POST", "/api/v1/cases/{case_id}/acknowledge"): WORKERS,
    ("POST", "/api/v1/cases/{case_id}/take"): WORKERS,
    ("POST", "/api/v1/cases/{case_id}/reassign"): SUPERVISORS,
    ("GET", "/api/v1/cases/{case_id}/notes"): WORKERS,
    ("POST", "/api/v1/cases/{case_id}/notes"): WORKERS,
    ("POST", "/api/v1/cases/{case_id}/status"): WORKERS,
    ("POST", "/api/v1/cases/{case_id}/override"): WORKERS,
    ("POST", "/api/v1/cases/{case_id}/merge"): WORKERS,
    ("POST", "/api/v1/cases/{case_id}/callback"): WORKERS,
    ("GET", "/api/v1/stats"): STATS,
    ("GET", "/api/v1/stats.csv"): STATS,
    ("GET", "/console/stats/static/{name}"): PUBLIC,  # the statistics page's scripts and styles
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): PUBLIC,
    ("GET", "/console/totp"): ANYONE_IN,
    ("POST", "/console/totp"): ANYONE_IN,
    ("POST", "/console/logout"): ANYONE_IN,
    ("POST", "/console/logout/everywhere"): ANYONE_IN,
    ("GET", "/console/account"): ANYONE_IN,
    ("POST", "/console/account/language"): ANYONE_IN,
    ("POST", "/console/account/totp"): ANYONE_IN,
    ("GET", "/console/"): WORKERS,
    ("GET", "/console/queue"): WORKERS,
    ("GET", "/console/events"): WORKERS,
    ("GET", "/console/cases/{case_id}"): WORKERS,
    ("POST", "/console/cases/{case_id}/acknowledge"): WORKERS,
    ("POST", "/console/cases/{case_id}/take"): WORKERS,
    ("POST", "/console/cases/{case_id}/reassign"): WORKERS,  # the action itself refuses non-supervisors
    ("POST", "/console/cases/{case_id}/notes"): WORKERS,
    ("POST", "/console/cases/{case_id}/status"): WORKERS,
    ("POST", "/console/cases/{case_id}/override"): WORKERS,
    ("POST", "/console/cases/{case_id}/merge"): WORKERS,
    ("POST", "/console/cases/{case_id}/callback"): WORKERS,
    ("GET", "/console/cases/{case_id}/recordings/{sid}"): WORKERS,
    ("GET", "/console/roster"): SUPERVISORS,
    ("POST", "/console/roster/override"): SUPERVISORS,
    ("GET", "/console/admin/accounts"): ADMINS,
    ("POST", "/console/admin/accounts"): ADMINS,
    ("POST", "/console/admin/accounts/{agent_id}/deactivate"): ADMINS,
    ("POST", "/console/admin/accounts/{agent_id}/reactivate"): ADMINS,
    ("POST", "/console/admin/accounts/{agent_id}/totp-reset"): ADMINS,
    ("GET", "/console/admin/config"): ADMINS,
}
# Referrals: the API (hotline/referrals/router.py), the partner's signed link (no account: the
# token is the key), the case page's section, the overdue list and the partner directory.
TABLE.update(
    {
        ("GET", "/api/v1/partners"): WORKERS,
        ("PUT", "/api/v1/partners/{slug}"): ADMINS,
        ("GET", "/api/v1/cases/{case_id}/partner-suggestions"): WORKERS,
        ("GET", "/api/v1/cases/{case_id}/consent"): WORKERS,
        ("POST", "/api/v1/cases/{case_id}/consent"): WORKERS,
        ("GET", "/api/v1/cases/{case_id}/referrals"): WORKERS,
        ("POST", "/api/v1/cases/{case_id}/referrals"): WORKERS,
        ("POST", "/api/v1/referrals/{referral_id}/send"): WORKERS,
        ("POST", "/api/v1/referrals/{referral_id}/status"): WORKERS,
        ("GET", "/api/v1/referrals/overdue"): SUPERVISORS,
        ("GET", "/r/{token}"): PUBLIC,
        ("POST", "/r/{token}"): PUBLIC,
        ("GET", "/console/cases/{case_id}/referrals"): WORKERS,
        ("POST", "/console/cases/{case_id}/referrals"): WORKERS,
        ("POST", "/console/cases/{case_id}/referrals/consent"): WORKERS,
        ("POST", "/console/cases/{case_id}/referrals/{referral_id}/send"): WORKERS,
        ("POST", "/console/cases/{case_id}/referrals/{referral_id}/status"): WORKERS,
        ("GET", "/console/referrals/overdue"): WORKERS,  # agents: their regions' referrals
        ("GET", "/console/admin/partners"): ADMINS,
        ("POST", "/console/admin/partners"): ADMINS,
        ("GET", "/console/admin/partners/{partner_id}"): ADMINS,
        ("POST", "/console/admin/partners/{partner_id}"): ADMINS,
        ("POST", "/console/admin/partners/{partner_id}/deactivate"): ADMINS,
        ("POST", "/console/admin/partners/{partner_id}/reactivate"): ADMINS,
        ("POST", "/console/admin/partners/{partner_id}/contacts"): ADMINS,
        ("POST", "/console/admin/partners/{partner_id}/contacts/{contact_id}/vet"): ADMINS,
    }
)
# The training room: 404 outside training mode, after the sign-in and role checks.
TABLE.update(
    {
        ("GET", "/training/phone"): ANYONE_IN,
        ("POST", "/training/phone/call"): ANYONE_IN,
        ("POST", "/training/phone/keys"): ANYONE_IN,
        ("POST", "/training/phone/message"): ANYONE_IN,
        ("POST", "/training/phone/dial"): ANYONE_IN,
        ("POST", "/training/phone/hangup"): ANYONE_IN,
        ("POST", "/training/phone/sms"): ANYONE_IN,
        ("GET", "/training/trainer"): SUPERVISORS,
        ("POST", "/training/trainer/start"): SUPERVISORS,
    }
)
# The statistics pages (another room) follow the statistics rule by prefix.
PREFIX_RULES = (("/console/stats", STATS),)
NOT_ROUTES = {"/console/static"}  # the static files mount: public by design, no personal data
STREAMING = {"/console/events"}  # endless by design: only the answer's head is read


def served_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        found = contexts() if callable(contexts) else contexts
        candidates = found if found is not None else [route]
        for item in candidates:
            path = getattr(item, "path", None)
            if path is None or path in NOT_ROUTES:
                continue
            for method in sorted(getattr(item, "methods", None) or ()):
                if method != "HEAD":
                    yield method, path


def rule_of(method: str, path: str) -> str | None:
    if (method, path) in TABLE:
        return TABLE[(method, path)]
    for prefix, rule in PREFIX_RULES:
        if path.startswith(prefix):
            return rule
    return None


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_route_is_in_the_table(runtime: Runtime) -> None:
    """A route the table does not know fails here: add it with who may use it."""
    unknown = [f"{m} {p}" for m, p in served_routes(app_for(runtime)) if rule_of(m, p) is None]
    assert unknown == []
    stale = [f"{m} {p}" for (m, p) in TABLE if (m, p) not in set(served_routes(app_for(runtime)))]
    assert stale == [], "the table names routes the app no longer serves"


def refused(response: httpx.Response, method: str, console: bool) -> bool:
    """401/403, or (a console page read) the way to the sign-in page; a sign-out also ends there."""
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("location", "")
    return (
        console
        and method == "GET"
        and response.status_code in (302, 303)
        and location.endswith("/console/login")
    )


async def _credentials(runtime: Runtime, agent: Agent) -> tuple[dict[str, str], dict[str, str], str]:
    async with unit_of_work(runtime.sessions) as session:
        fresh = await session.get(Agent, agent.id)
        assert fresh is not None
        cookie = await auth.open_session(session, fresh, verified=True, now=datetime.now(UTC))
        row = await auth.find_session(session, runtime.settings, cookie, now=datetime.now(UTC))
        assert row is not None
        csrf = row.row.csrf_token
    # as the token endpoint issues it to a person who proved the second factor
    token = issue_token(runtime.settings.secret_key.get_secret_value(), agent.id, agent.role, 600, mfa=True)
    return {auth.COOKIE: cookie}, {"Authorization": f"Bearer {token}"}, csrf


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_every_route_with_every_role(runtime: Runtime) -> None:
    """Each role passes exactly the routes its rule allows; everyone else is refused (401/403/sign-in)."""
    people = {
        "agent": await make_agent(runtime, "r-agent", Role.agent, ("Littoral",)),
        "supervisor": await make_agent(runtime, "r-sup", Role.supervisor, enrol=False),
        "analyst": await make_agent(runtime, "r-analyst", Role.analyst),
        "admin": await make_agent(runtime, "r-admin", Role.admin, enrol=False),
    }
    case = await reported_case(runtime, region="Littoral", assignee=people["agent"])
    target = await make_agent(runtime, "r-target", Role.agent)  # the account the admin routes act on
    app = app_for(runtime)
    routes = sorted(set(served_routes(app)), key=lambda r: ("logout" in r[1], r))  # sign-outs last
    values = {"case_id": str(case.id), "sid": "RE" + "0" * 32, "step": "start", "agent_id": str(target.id)}
    wrong: list[str] = []
    transport = httpx.ASGITransport(app=app)
    for role in ROLES:
        for method, path in routes:
            rule = rule_of(method, path)
            assert rule is not None
            url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)
            cookies: dict[str, str] = {}
            headers: dict[str, str] = {}
            data: dict[str, str] = {}
            if role != "anonymous":
                cookies, bearer, csrf = await _credentials(runtime, people[role])
                headers = bearer if not path.startswith("/console") else {}
                data = {"csrf_token": csrf}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", cookies=cookies
            ) as c:
                if path in STREAMING:
                    try:
                        response = await asyncio.wait_for(c.get(url, headers=headers), timeout=3)
                    except TimeoutError:  # the stream opened and is waiting for events: let through
                        response = httpx.Response(200)
                elif method == "GET":
                    response = await c.get(url, headers=headers)
                else:  # POST, and the API's PUT
                    response = await c.request(method, url, headers=headers, data=data)
            allowed = role in ALLOWED[rule]
            if (
                allowed == refused(response, method, path.startswith(("/console", "/training")))
                or response.status_code >= 500
            ):
                wrong.append(f"{role:10} {method} {path} -> {response.status_code} (rule: {rule})")
    assert wrong == [], "\n".join(wrong)
