"""``/api/v1`` routes for partners and referrals (the console offers the same actions)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep, require_role
from hotline.cases import repository
from hotline.cases.actions import ActionRefused
from hotline.core.http import NowDep, RuntimeDep
from hotline.models import Agent, Case, Partner, Referral, Role
from hotline.referrals import lifecycle, service
from hotline.referrals.consent import consent_of, record_consent
from hotline.referrals.directory import DirectoryFile, PartnerIn, import_directory
from hotline.referrals.schemas import (
    ConsentIn,
    ConsentOut,
    MoveIn,
    PartnerList,
    PartnerOut,
    ReferralIn,
    ReferralList,
    ReferralOut,
    SendIn,
    SuggestionOut,
)

router = APIRouter(prefix="/api/v1", tags=["referrals"])

CaseWorker = Annotated[Agent, Depends(require_role(Role.agent, Role.supervisor, Role.admin, scope="cases"))]
Admin = Annotated[Agent, Depends(require_role(Role.admin, scope="admin"))]
Supervising = Annotated[Agent, Depends(require_role(Role.supervisor, Role.admin, scope="supervise"))]
REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not allowed for this role"},
    409: {"description": "refused in this state"},
}


async def _refuse(session: AsyncSession, refused: ActionRefused) -> NoReturn:
    await session.commit()  # keep the audit of the refusal
    raise HTTPException(status_code=refused.status, detail=refused.reason) from None


async def _case(session: AsyncSession, agent: Agent, case_id: uuid.UUID) -> Case:
    found = await repository.get_case(session, agent, case_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such case")
    return found[0]


async def _referral(
    session: AsyncSession, agent: Agent, referral_id: uuid.UUID
) -> tuple[Referral, Case, Partner]:
    referral = await session.get(Referral, referral_id)
    if referral is None:
        raise HTTPException(status_code=404, detail="no such referral")
    case = await _case(session, agent, referral.case_id)
    partner = await session.get(Partner, referral.partner_id)
    if partner is None:
        raise HTTPException(status_code=404, detail="no such referral")
    return referral, case, partner


@router.get("/partners")
async def list_partners(agent: CaseWorker, session: SessionDep) -> PartnerList:
    """The directory. Contacts' numbers and addresses are shown to admins only."""
    partners, contacts = await service.directory(session)
    full = agent.role == Role.admin.value
    items = [PartnerOut.of(p, contacts, full=full) for p in partners]
    return PartnerList(items=items, total=len(items))


@router.put("/partners/{slug}", responses={422: {"description": "invalid partner"}})
async def put_partner(
    now: NowDep, slug: str, body: PartnerIn, agent: Admin, session: SessionDep
) -> PartnerOut:
    """Create or replace one partner and its contacts (as `hotline partners import` does)."""
    if body.slug != slug:
        raise HTTPException(status_code=422, detail="slug_mismatch")
    await import_directory(session, DirectoryFile(partners=[body]), now=now)
    await audit.append(
        session, actor=f"agent:{agent.id}", action="partner.saved", details={"partner": slug}, at=now
    )
    partners, contacts = await service.directory(session)
    partner = next(p for p in partners if p.slug == slug)
    return PartnerOut.of(partner, contacts, full=True)


@router.get("/cases/{case_id}/partner-suggestions")
async def suggest(case_id: uuid.UUID, agent: CaseWorker, session: SessionDep) -> list[SuggestionOut]:
    case = await _case(session, agent, case_id)
    return [SuggestionOut.of(s) for s in await service.suggestions(session, case)]


@router.get("/cases/{case_id}/consent")
async def get_consent(
    case_id: uuid.UUID, agent: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> ConsentOut:
    case = await _case(session, agent, case_id)
    consent = await consent_of(session, runtime.keyring, case)
    return ConsentOut(given=consent.given, source=consent.source, at=consent.at)


@router.post("/cases/{case_id}/consent")
async def set_consent(
    now: NowDep, case_id: uuid.UUID, body: ConsentIn, agent: CaseWorker, session: SessionDep
) -> ConsentOut:
    """Record what the caller said about sharing their report (e.g. during a callback)."""
    case = await _case(session, agent, case_id)
    consent = await record_consent(session, case, agent, body.given, now=now)
    return ConsentOut(given=consent.given, source=consent.source, at=consent.at)


@router.get("/cases/{case_id}/referrals")
async def case_referrals(
    case_id: uuid.UUID, agent: CaseWorker, session: SessionDep, runtime: RuntimeDep
) -> ReferralList:
    case = await _case(session, agent, case_id)
    rows = await service.referrals_of(session, case.id)
    await audit.append(session, actor=f"agent:{agent.id}", action="referrals.viewed", subject=str(case.id))
    return ReferralList(items=[ReferralOut.of(runtime.keyring, r, p) for r, p in rows], total=len(rows))


@router.post("/cases/{case_id}/referrals", status_code=201, responses=REFUSALS)
async def draft_referral(
    now: NowDep,
    case_id: uuid.UUID,
    body: ReferralIn,
    agent: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ReferralOut:
    case = await _case(session, agent, case_id)
    partner = await session.get(Partner, body.partner_id)
    contact = await service.contact_of(session, body.partner_id, body.contact_id)
    if partner is None or contact is None:
        raise HTTPException(status_code=422, detail="unknown_partner_or_contact")
    try:
        referral = await lifecycle.create(
            session, runtime.keyring, case, agent, partner, contact, body.needs, now=now
        )
    except ActionRefused as refused:
        await _refuse(session, refused)
    return ReferralOut.of(runtime.keyring, referral, partner)


@router.post("/referrals/{referral_id}/send", responses=REFUSALS)
async def send_referral(
    now: NowDep,
    referral_id: uuid.UUID,
    body: SendIn,
    agent: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ReferralOut:
    """Send a draft: needs the caller's consent, or a supervisor's exception (minor at risk, imminent danger)."""
    referral, _, partner = await _referral(session, agent, referral_id)
    try:
        await lifecycle.send(
            session, runtime, referral, agent, exception_reason=body.exception_reason, now=now
        )
    except ActionRefused as refused:
        await _refuse(session, refused)
    return ReferralOut.of(runtime.keyring, referral, partner)


@router.post("/referrals/{referral_id}/status", responses=REFUSALS)
async def move_referral(
    now: NowDep,
    referral_id: uuid.UUID,
    body: MoveIn,
    agent: CaseWorker,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ReferralOut:
    """Record what the partner said by phone, or close the referral without action."""
    referral, _, partner = await _referral(session, agent, referral_id)
    try:
        await lifecycle.move_by_agent(
            session, runtime.keyring, referral, agent, body.status, note=body.note, now=now
        )
    except ActionRefused as refused:
        await _refuse(session, refused)
    return ReferralOut.of(runtime.keyring, referral, partner)


@router.get("/referrals/overdue")
async def overdue_referrals(
    now: NowDep, agent: Supervising, session: SessionDep, runtime: RuntimeDep
) -> ReferralList:
    """Referrals sent and unanswered past HOTLINE_REFERRAL_REMIND_AFTER_MINUTES, oldest first."""
    delay = timedelta(minutes=runtime.settings.referral_remind_after_minutes)
    rows = await lifecycle.overdue(session, now=now, delay=delay)
    partners = {p.id: p for p in (await service.directory(session))[0]}
    await audit.append(
        session, actor=f"agent:{agent.id}", action="referrals.overdue_listed", details={"count": len(rows)}
    )
    items = [ReferralOut.of(runtime.keyring, r, partners[r.partner_id]) for r in rows]
    return ReferralList(items=items, total=len(items))
