"""The case page's *Referrals* section and the overdue list (docs/referrals.md, "Screens").

``/console/cases/{id}/referrals`` is loaded into the case page by htmx (``hx-trigger="load"``)
and also answers alone, as a whole page, for a browser without JavaScript. It shows the
caller's consent to share (with buttons for the agent to record the caller's answer during a
callback), the partners that fit the case best first with their reasons, a form to draft a
referral, and the case's referrals: status and times, exactly what was shared and to whom,
the partner's note, *send* on a draft and the moves an agent records by hand.

The role rules are the case page's (agents: their regions' cases and their own; supervisors
and admins: all; analysts never) and every action goes through :mod:`hotline.referrals`
(consent, :func:`~hotline.referrals.lifecycle.create`, :func:`~hotline.referrals.lifecycle.send`,
:func:`~hotline.referrals.lifecycle.move_by_agent`), which audits it; a refusal is audited by
the core and committed with the answer (a redirect with the reason, never an exception). Reading
the section is audited as ``referrals.viewed``, as the API's list is.

``/console/referrals/overdue``: referrals sent and still unanswered after
``HOTLINE_REFERRAL_REMIND_AFTER_MINUTES``, oldest first; supervisors and admins see all of them,
an agent those of the cases they may open. Audited as ``referrals.overdue_listed``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep
from hotline.cases import repository
from hotline.cases.actions import ActionRefused
from hotline.console.web import SECURITY_HEADERS, CaseWorker, Console, render
from hotline.core.crypto import Keyring
from hotline.core.http import NowDep, RuntimeDep
from hotline.models import Case, CaseStatus, Partner, PartnerContact, Referral
from hotline.referrals import lifecycle, service
from hotline.referrals.consent import Consent, consent_of, record_consent
from hotline.referrals.suggest import Suggestion

router = APIRouter()

# What the section says after an action (``?msg=``): the successes, then the refusals.
DONE = ("consent_recorded", "drafted", "sent", "moved")
REFUSALS = (
    "consent_required",
    "exception_needs_supervisor",
    "no_exception_applies",
    "case_closed",
    "partner_inactive",
    "contact_not_reachable",
    "needs_required",
    "needs_too_long",
    "not_a_draft",
    "transition_not_allowed",
    "note_too_long",
    "unknown_partner_or_contact",
)
SHOWN_SUGGESTIONS = 5
OVERDUE_LIMIT = 200
Message = Annotated[str | None, Query(max_length=40)]
Back = Annotated[str, Form(max_length=8)]


@dataclass(frozen=True, slots=True)
class ReferralView:
    """One referral as the section shows it (the sealed texts opened)."""

    referral: Referral
    partner: Partner
    contact: PartnerContact | None
    needs: str | None
    note: str | None
    stamps: tuple[tuple[str, datetime], ...]
    shared: tuple[tuple[str, str], ...]
    channels: tuple[str, ...]
    moves: tuple[str, ...]

    @property
    def is_draft(self) -> bool:
        return self.referral.status == lifecycle.DRAFT


@dataclass(frozen=True, slots=True)
class Section:
    case: Case
    consent: Consent
    suggestions: tuple[Suggestion, ...]
    referrals: tuple[ReferralView, ...]

    @property
    def open(self) -> bool:
        return self.case.status != CaseStatus.closed.value

    @property
    def exception_applies(self) -> bool:
        return bool(self.case.minor or self.case.imminent_danger)

    @property
    def targets(self) -> tuple[Suggestion, ...]:
        return tuple(s for s in self.suggestions if s.sendable)


def _stamps(referral: Referral) -> tuple[tuple[str, datetime], ...]:
    found: list[tuple[str, datetime]] = [("created", referral.created_at)]
    for status in lifecycle.STATUSES[1:]:
        at = getattr(referral, lifecycle.STAMP[status])
        if at is not None:
            found.append((status, at))
    return tuple(found)


def _shared(referral: Referral, needs: str | None) -> tuple[tuple[str, str], ...]:
    fields: dict[str, Any] = (referral.shared or {}).get("fields", {})
    shown = []
    for name, value in fields.items():
        # The record keeps a placeholder for the sealed need: show the text itself.
        text = (needs or "") if name == "needs" else ("—" if value is None else str(value))
        shown.append((name, text))
    return tuple(shown)


async def referral_views(
    session: AsyncSession, keyring: Keyring, case_id: uuid.UUID
) -> tuple[ReferralView, ...]:
    rows = await service.referrals_of(session, case_id)
    contact_ids = [r.contact_id for r, _ in rows if r.contact_id is not None]
    contacts = (
        {
            c.id: c
            for c in (
                await session.execute(select(PartnerContact).where(PartnerContact.id.in_(contact_ids)))
            ).scalars()
        }
        if contact_ids
        else {}
    )
    views = []
    for referral, partner in reversed(rows):  # newest first
        needs = lifecycle.needs_text(keyring, referral)
        allowed = lifecycle.AGENT_MOVES.get(referral.status, frozenset())
        views.append(
            ReferralView(
                referral=referral,
                partner=partner,
                contact=contacts.get(referral.contact_id) if referral.contact_id else None,
                needs=needs,
                note=lifecycle.partner_note(keyring, referral),
                stamps=_stamps(referral),
                shared=_shared(referral, needs),
                channels=tuple(((referral.shared or {}).get("to") or {}).get("channels", ())),
                moves=tuple(s for s in lifecycle.STATUSES if s in allowed),
            )
        )
    return tuple(views)


async def _visible(session: AsyncSession, me: Console, case_id: uuid.UUID) -> Case | None:
    found = await repository.get_case(session, me.agent, case_id)
    return found[0] if found else None


def _not_found(request: Request, me: Console) -> Response:
    return render(request, "error.html", me, status_code=404, message_key="not_found")


def _known(msg: str | None) -> str | None:
    return msg if msg in DONE or msg in REFUSALS else None


@router.get("/cases/{case_id}/referrals")
async def section(
    request: Request,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
    msg: Message = None,
) -> Response:
    """The section (htmx) or, without JavaScript, a page of its own."""
    case = await _visible(session, me, case_id)
    if case is None:
        return _not_found(request, me)
    data = Section(
        case=case,
        consent=await consent_of(session, runtime.keyring, case),
        suggestions=tuple(await service.suggestions(session, case)),
        referrals=await referral_views(session, runtime.keyring, case.id),
    )
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="referrals.viewed",
        subject=str(case.id),
        details={"via": "console"},
    )
    fragment = request.headers.get("hx-request") == "true"
    return render(
        request,
        "_referrals.html" if fragment else "referrals_page.html",
        me,
        case=case,
        section=data,
        shown=SHOWN_SUGGESTIONS,
        msg=_known(msg),
        done=DONE,
        standalone=not fragment,
    )


def _back(case_id: uuid.UUID, msg: str, back: str) -> Response:
    if back == "page":
        target = f"/console/cases/{case_id}/referrals?msg={msg}"
    else:
        target = f"/console/cases/{case_id}?ref={msg}#referrals"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


@router.post("/cases/{case_id}/referrals/consent")
async def consent(
    now: NowDep,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    given: Annotated[str, Form(pattern="^(yes|no)$")],
    back: Back = "",
) -> Response:
    """What the caller answered when the agent asked (during a callback)."""
    case = await _visible(session, me, case_id)
    if case is None:
        return Response(status_code=404, headers=SECURITY_HEADERS)
    await record_consent(session, case, me.agent, given == "yes", now=now)
    return _back(case_id, "consent_recorded", back)


def _ids(target: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    partner_id, _, contact_id = target.partition(":")
    try:
        return uuid.UUID(partner_id), uuid.UUID(contact_id)
    except ValueError:
        return None


@router.post("/cases/{case_id}/referrals")
async def draft(
    now: NowDep,
    case_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
    target: Annotated[str, Form(max_length=80)],
    needs: Annotated[str, Form(max_length=4 * lifecycle.MAX_NEEDS)],
    back: Back = "",
) -> Response:
    """A draft for one partner and one of its vetted contacts: nothing leaves yet."""
    case = await _visible(session, me, case_id)
    if case is None:
        return Response(status_code=404, headers=SECURITY_HEADERS)
    ids = _ids(target)
    partner = await session.get(Partner, ids[0]) if ids else None
    contact = await service.contact_of(session, ids[0], ids[1]) if ids else None
    if partner is None or contact is None:
        return _back(case_id, "unknown_partner_or_contact", back)
    try:
        await lifecycle.create(session, runtime.keyring, case, me.agent, partner, contact, needs, now=now)
    except ActionRefused as refused:
        return _back(case_id, refused.reason, back)
    return _back(case_id, "drafted", back)


async def _referral(
    session: AsyncSession, me: Console, case_id: uuid.UUID, referral_id: uuid.UUID
) -> Referral | None:
    case = await _visible(session, me, case_id)
    referral = await session.get(Referral, referral_id) if case is not None else None
    return referral if referral is not None and referral.case_id == case_id else None


@router.post("/cases/{case_id}/referrals/{referral_id}/send")
async def send(
    now: NowDep,
    case_id: uuid.UUID,
    referral_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
    exception_reason: Annotated[str, Form(max_length=lifecycle.MAX_NOTE)] = "",
    back: Back = "",
) -> Response:
    """Send a draft: with the caller's consent, or a supervisor's written exception."""
    referral = await _referral(session, me, case_id, referral_id)
    if referral is None:
        return Response(status_code=404, headers=SECURITY_HEADERS)
    try:
        await lifecycle.send(
            session, runtime, referral, me.agent, exception_reason=exception_reason or None, now=now
        )
    except ActionRefused as refused:  # the core audited the refusal; the redirect commits it
        return _back(case_id, refused.reason, back)
    return _back(case_id, "sent", back)


@router.post("/cases/{case_id}/referrals/{referral_id}/status")
async def move(
    now: NowDep,
    case_id: uuid.UUID,
    referral_id: uuid.UUID,
    me: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
    status: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=2 * lifecycle.MAX_NOTE)] = "",
    back: Back = "",
) -> Response:
    """What the partner said on the phone, or closing the referral without action."""
    referral = await _referral(session, me, case_id, referral_id)
    if referral is None:
        return Response(status_code=404, headers=SECURITY_HEADERS)
    try:
        await lifecycle.move_by_agent(
            session, runtime.keyring, referral, me.agent, status, note=note or None, now=now
        )
    except ActionRefused as refused:
        return _back(case_id, refused.reason, back)
    return _back(case_id, "moved", back)


@dataclass(frozen=True, slots=True)
class OverdueRow:
    referral: Referral
    case: Case
    partner: Partner
    contact: PartnerContact | None
    waiting: timedelta


def waited(delta: timedelta) -> str:
    """``3 d 4 h``, ``5 h 12 min``, ``40 min``: how long a partner has left a referral unanswered."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@router.get("/referrals/overdue")
async def overdue(
    now: NowDep, request: Request, me: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> Response:
    delay = timedelta(minutes=runtime.settings.referral_remind_after_minutes)
    statement = (
        select(Referral, Case, Partner, PartnerContact)
        .join(Case, Referral.case_id == Case.id)
        .join(Partner, Referral.partner_id == Partner.id)
        .outerjoin(PartnerContact, Referral.contact_id == PartnerContact.id)
        .where(lifecycle.overdue_filter(now, delay))
        .order_by(Referral.sent_at)
        .limit(OVERDUE_LIMIT)
    )
    scope = repository.visible_to(me.agent)
    if scope is not None:
        statement = statement.where(scope)
    rows = [
        OverdueRow(r, c, p, pc, now - (r.sent_at or now)) for r, c, p, pc in await session.execute(statement)
    ]
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="referrals.overdue_listed",
        details={"count": len(rows), "via": "console"},
    )
    return render(
        request,
        "referrals_overdue.html",
        me,
        rows=rows,
        delay_minutes=runtime.settings.referral_remind_after_minutes,
        waited=waited,
    )
