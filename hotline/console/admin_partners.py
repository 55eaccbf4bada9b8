"""``/console/admin/partners``: the partner directory, for admins only.

Every partner with its kind, coverage, services, languages and contacts (vetted or not,
active or not, and their channels: admins see numbers and addresses, as in the API). A
partner is created or edited through a form; what the form gives is checked by the
directory's own model (:class:`hotline.referrals.directory.PartnerIn`: known kinds, services,
regions and languages; phone numbers normalised to E.164, refused when they do not parse) and
stored by :func:`~hotline.referrals.directory.import_directory`, the path of ``hotline partners
import``. A contact is added or updated the same way (by its name, as in the YAML file).
Deactivating a partner stops suggestions and sending; marking a contact vetted lets referrals
go to it.

Every change is a ``partner.saved`` audit event naming the admin, the partner's slug and what
changed; a contact is named by its id, never by a number or an address.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.auth.dependencies import SessionDep
from hotline.console.admin import Admin
from hotline.console.web import SECURITY_HEADERS, Console, render
from hotline.core.http import NowDep, clock_of
from hotline.core.logging import get_logger
from hotline.models import Partner, PartnerContact
from hotline.referrals import service
from hotline.referrals.directory import (
    COVERAGE,
    KINDS,
    LANGUAGES,
    SERVICES,
    ContactIn,
    DirectoryFile,
    PartnerIn,
    import_directory,
)

router = APIRouter(prefix="/admin/partners")
log = get_logger(__name__)

MESSAGES = (
    "partner_saved",
    "partner_deactivated",
    "partner_reactivated",
    "partner_contact_saved",
    "partner_contact_vetted_done",
)
Listed = Annotated[list[str] | None, Form()]


def _problem(exc: ValidationError) -> str:
    """The first thing wrong with a form, named by its field (``contacts.0.phone: …``)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _back(path: str, msg: str) -> Response:
    return RedirectResponse(f"{path}?msg={msg}", status_code=303, headers=SECURITY_HEADERS)


async def _saved(session: AsyncSession, me: Console, partner: str, change: str, **details: Any) -> None:
    await audit.append(
        session,
        actor=f"agent:{me.agent.id}",
        action="partner.saved",
        details={"partner": partner, "change": change, "via": "console", **details},
    )


def _choices() -> dict[str, Any]:
    return {"kinds": KINDS, "services": SERVICES, "coverage": COVERAGE, "languages": LANGUAGES}


def _form_of(partner: Partner | None) -> dict[str, Any]:
    if partner is None:
        return {"slug": "", "name": "", "kind": "ngo", "services": [], "regions": [], "languages": ["fr"]}
    return {
        "slug": partner.slug,
        "name": partner.name,
        "kind": partner.kind,
        "services": list(partner.services),
        "regions": list(partner.regions),
        "languages": list(partner.languages),
    }


async def _list_page(
    request: Request,
    me: Console,
    session: AsyncSession,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    partners, contacts = await service.directory(session)
    by_partner: dict[uuid.UUID, list[PartnerContact]] = {}
    for contact in contacts:
        by_partner.setdefault(contact.partner_id, []).append(contact)
    msg = request.query_params.get("msg")
    return render(
        request,
        "admin_partners.html",
        me,
        status_code=status_code,
        partners=partners,
        contacts=by_partner,
        message=msg if msg in MESSAGES else None,
        error=error,
        form=form or _form_of(None),
        **_choices(),
    )


async def _edit_page(
    request: Request,
    me: Console,
    session: AsyncSession,
    partner: Partner,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    contact_form: dict[str, Any] | None = None,
) -> Response:
    contacts = list(
        (
            await session.execute(
                select(PartnerContact)
                .where(PartnerContact.partner_id == partner.id)
                .order_by(PartnerContact.name)
            )
        ).scalars()
    )
    msg = request.query_params.get("msg")
    return render(
        request,
        "admin_partner.html",
        me,
        status_code=status_code,
        partner=partner,
        partner_contacts=contacts,
        message=msg if msg in MESSAGES else None,
        error=error,
        form=form or _form_of(partner),
        contact_form=contact_form or {"name": "", "title": "", "phone": "", "email": "", "active": True},
        **_choices(),
    )


def _not_found(request: Request, me: Console) -> Response:
    return render(request, "error.html", me, status_code=404, message_key="partner_unknown")


@router.get("")
async def partners_page(request: Request, me: Admin, session: SessionDep) -> Response:
    return await _list_page(request, me, session)


def _partner_in(
    slug: str,
    name: str,
    kind: str,
    services: list[str] | None,
    regions: list[str] | None,
    languages: list[str] | None,
    *,
    active: bool,
    contacts: list[ContactIn] | None = None,
) -> PartnerIn:
    return PartnerIn(
        slug=slug.strip(),
        name=name.strip(),
        kind=kind,
        services=services or [],
        regions=regions or [],
        languages=languages or [],
        active=active,
        contacts=contacts or [],
    )


@router.post("")
async def create_partner(
    now: NowDep,
    request: Request,
    me: Admin,
    session: SessionDep,
    slug: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=32)],
    services: Listed = None,
    regions: Listed = None,
    languages: Listed = None,
) -> Response:
    again = {
        "slug": slug,
        "name": name,
        "kind": kind,
        "services": services or [],
        "regions": regions or [],
        "languages": languages or [],
    }
    try:
        item = _partner_in(slug, name, kind, services, regions, languages, active=True)
    except ValidationError as exc:
        return await _list_page(request, me, session, status_code=422, error=_problem(exc), form=again)
    if await session.scalar(select(Partner.id).where(Partner.slug == item.slug)) is not None:
        return await _list_page(request, me, session, status_code=409, error="slug_taken", form=again)
    await import_directory(session, DirectoryFile(partners=[item]), now=now)
    partner_id = await session.scalar(select(Partner.id).where(Partner.slug == item.slug))
    await _saved(session, me, item.slug, "created", kind=item.kind)
    log.info("console.partner_created")
    return _back(f"/console/admin/partners/{partner_id}", "partner_saved")


@router.get("/{partner_id}")
async def partner_page(request: Request, partner_id: uuid.UUID, me: Admin, session: SessionDep) -> Response:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        return _not_found(request, me)
    return await _edit_page(request, me, session, partner)


@router.post("/{partner_id}")
async def save_partner(
    now: NowDep,
    request: Request,
    partner_id: uuid.UUID,
    me: Admin,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=32)],
    services: Listed = None,
    regions: Listed = None,
    languages: Listed = None,
) -> Response:
    """Name, kind, services, coverage, languages; the slug stays (it is the directory's key)."""
    partner = await session.get(Partner, partner_id)
    if partner is None:
        return _not_found(request, me)
    try:
        item = _partner_in(partner.slug, name, kind, services, regions, languages, active=partner.active)
    except ValidationError as exc:
        again = {**_form_of(partner), "name": name, "kind": kind}
        again |= {"services": services or [], "regions": regions or [], "languages": languages or []}
        return await _edit_page(
            request, me, session, partner, status_code=422, error=_problem(exc), form=again
        )
    await import_directory(session, DirectoryFile(partners=[item]), now=now)
    await _saved(session, me, partner.slug, "edited", kind=item.kind)
    return _back(f"/console/admin/partners/{partner.id}", "partner_saved")


async def _set_active(
    request: Request, me: Console, session: AsyncSession, partner_id: uuid.UUID, active: bool
) -> Response:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        return _not_found(request, me)
    partner.active = active
    partner.updated_at = clock_of(request)
    await session.flush()
    await _saved(session, me, partner.slug, "reactivated" if active else "deactivated")
    return _back("/console/admin/partners", "partner_reactivated" if active else "partner_deactivated")


@router.post("/{partner_id}/deactivate")
async def deactivate(request: Request, partner_id: uuid.UUID, me: Admin, session: SessionDep) -> Response:
    """No longer suggested, and nothing can be sent to it (drafts to it stay, unsendable)."""
    return await _set_active(request, me, session, partner_id, False)


@router.post("/{partner_id}/reactivate")
async def reactivate(request: Request, partner_id: uuid.UUID, me: Admin, session: SessionDep) -> Response:
    return await _set_active(request, me, session, partner_id, True)


@router.post("/{partner_id}/contacts")
async def save_contact(
    now: NowDep,
    request: Request,
    partner_id: uuid.UUID,
    me: Admin,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    title: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    vetted: Annotated[str, Form(max_length=8)] = "",
    active: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Add a contact, or update the one with this name (as a re-import of the YAML file does)."""
    partner = await session.get(Partner, partner_id)
    if partner is None:
        return _not_found(request, me)
    again = {"name": name, "title": title, "phone": phone, "email": email, "active": bool(active)}
    try:
        contact = ContactIn(
            name=name.strip(),
            title=title.strip(),
            phone=phone or None,
            email=email or None,
            vetted=bool(vetted),
            active=bool(active),
        )
        item = _partner_in(
            partner.slug,
            partner.name,
            partner.kind,
            list(partner.services),
            list(partner.regions),
            list(partner.languages),
            active=partner.active,
            contacts=[contact],
        )
    except ValidationError as exc:
        return await _edit_page(
            request, me, session, partner, status_code=422, error=_problem(exc), contact_form=again
        )
    await import_directory(session, DirectoryFile(partners=[item]), now=now)
    saved = await session.scalar(
        select(PartnerContact.id).where(
            PartnerContact.partner_id == partner.id, PartnerContact.name == contact.name
        )
    )
    await _saved(
        session,
        me,
        partner.slug,
        "contact_saved",
        contact=str(saved),
        vetted=contact.vetted,
        active=contact.active,
        sms=contact.phone is not None,
        email=contact.email is not None,
    )
    return _back(f"/console/admin/partners/{partner.id}", "partner_contact_saved")


@router.post("/{partner_id}/contacts/{contact_id}/vet")
async def vet_contact(
    now: NowDep,
    request: Request,
    partner_id: uuid.UUID,
    contact_id: uuid.UUID,
    me: Admin,
    session: SessionDep,
) -> Response:
    """The admin has checked who the person is and that the channel is theirs."""
    partner = await session.get(Partner, partner_id)
    contact = await service.contact_of(session, partner_id, contact_id) if partner else None
    if partner is None or contact is None:
        return _not_found(request, me)
    if contact.vetted_at is None:
        contact.vetted_at = now
        await session.flush()
        await _saved(session, me, partner.slug, "contact_vetted", contact=str(contact.id))
    return _back(f"/console/admin/partners/{partner.id}", "partner_contact_vetted_done")
