"""The partner's page: no account, only a signed link (:mod:`hotline.referrals.links`).

It shows exactly the fields recorded as shared when the referral was sent (reference,
category, region, what is needed, the agent and the number to call back) and lets the
partner accept, decline, start or complete with a note. Every view and every answer is
audited. The page is never cached, never indexed, and sends no Referer (the token is in the
URL). A bad token gets the same "not valid" page whatever was wrong with it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep
from hotline.cases.actions import ActionRefused
from hotline.core.http import NowDep, RuntimeDep
from hotline.models import Referral, ReferralLink
from hotline.referrals import lifecycle
from hotline.referrals.links import LinkState, open_link

router = APIRouter(include_in_schema=False)
templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
FORM_PURPOSE = b"hotline.referral-form.v1\x00"
STATUS_CODE = {LinkState.invalid: 404, LinkState.expired: 410, LinkState.spent: 410}
# Which buttons the page offers in each status (the lifecycle enforces it again on POST).
BUTTONS = {
    lifecycle.SENT: ("accept", "decline"),
    lifecycle.ACCEPTED: ("start", "complete"),
    lifecycle.IN_PROGRESS: ("complete",),
}
CATEGORY_LABELS = {
    "trafficking": "Traite / exploitation — trafficking",
    "migrant_distress": "Migrant en détresse — migrant in distress",
    "returnee_support": "Aide au retour — returnee support",
    "risky_recruitment": "Recrutement à risque — risky recruitment",
    "information": "Information",
    "non_actionable": "—",
}


def _form_token(secret: str, link: ReferralLink) -> str:
    return hmac.new(secret.encode(), FORM_PURPOSE + link.id.bytes, hashlib.sha256).hexdigest()


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(
        static="/console/static", category_labels=CATEGORY_LABELS, **context
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


async def _viewed(
    session: AsyncSession, link: ReferralLink, referral: Referral, state: LinkState, now: datetime
) -> None:
    link.views += 1
    await audit.append(
        session,
        actor=f"partner_contact:{link.contact_id}",
        action="referral.link_viewed",
        subject=str(referral.case_id),
        details={"referral": str(referral.id), "link": str(link.id), "state": state.value},
        at=now,
    )


@router.get("/r/{token}")
async def partner_page(
    now: NowDep, token: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    secret = runtime.settings.secret_key.get_secret_value()
    opened = await open_link(session, secret, token, now=now)
    if opened.link is None or opened.referral is None:
        return _page("partner_gone.html", 404, state="invalid", referral=None)
    link, referral = opened.link, opened.referral
    await _viewed(session, link, referral, opened.state, now)
    if opened.state is not LinkState.ok:
        return _page(
            "partner_gone.html", STATUS_CODE[opened.state], state=opened.state.value, referral=referral
        )
    shared = (referral.shared or {}).get("fields", {})
    return _page(
        "partner.html",
        referral=referral,
        shared=shared,
        needs=lifecycle.needs_text(runtime.keyring, referral),
        note=lifecycle.partner_note(runtime.keyring, referral),
        buttons=BUTTONS.get(referral.status, ()),
        form_token=_form_token(secret, link),
        action=f"/r/{token}",
        done=request.query_params.get("done"),
        expires_at=link.expires_at,
    )


@router.post("/r/{token}")
async def partner_answer(
    now: NowDep,
    token: str,
    session: SessionDep,
    runtime: RuntimeDep,
    action: Annotated[str, Form(max_length=16)],
    form_token: Annotated[str, Form(max_length=128)],
    note: Annotated[str, Form(max_length=lifecycle.MAX_NOTE)] = "",
) -> Response:
    secret = runtime.settings.secret_key.get_secret_value()
    opened = await open_link(session, secret, token, now=now)
    if opened.link is None or opened.referral is None:
        return _page("partner_gone.html", 404, state="invalid", referral=None)
    if opened.state is not LinkState.ok:
        await _viewed(session, opened.link, opened.referral, opened.state, now)
        return _page(
            "partner_gone.html", STATUS_CODE[opened.state], state=opened.state.value, referral=opened.referral
        )
    if not hmac.compare_digest(form_token, _form_token(secret, opened.link)):
        return _page("partner_gone.html", 403, state="invalid", referral=None)
    try:
        await lifecycle.move_by_partner(
            session, runtime.keyring, opened.link, opened.referral, action, note=note or None, now=now
        )
    except ActionRefused:
        return RedirectResponse(f"/r/{token}?done=refused", status_code=303, headers=HEADERS)
    return RedirectResponse(f"/r/{token}?done={opened.referral.status}", status_code=303, headers=HEADERS)
