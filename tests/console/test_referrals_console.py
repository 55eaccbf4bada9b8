"""The console side of referrals: the case page's section, the overdue list, the partner directory.

Every route with every role that matters (agent of the region, agent elsewhere, supervisor,
analyst, admin, nobody), through a signed-in browser-like client, on both backends.
"""

from __future__ import annotations

import html as markup
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.cases.reference import new_reference
from hotline.console.admin_words import ADMIN_WORDS
from hotline.console.i18n import _WORDS, SEVERITY_WORDS, STATUS_WORDS
from hotline.console.referral_words import REFERRAL_WORDS
from hotline.console.referrals import waited
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import (
    Agent,
    AuditEntry,
    Case,
    CaseNote,
    Contact,
    OutboundMessage,
    Partner,
    PartnerContact,
    Referral,
    Role,
)
from hotline.privacy.sealed import set_contact_answers, set_contact_body
from tests.console.conftest import Browser, BrowserFactory, signed_in_as
from tests.fixtures.referrals import Directory, directory

__all__ = ["directory"]

NEEDS = "Mise à l'abri d'une fille de 15 ans, ce soir, à Bonabéri."


async def a_case(
    runtime: Runtime,
    *,
    share: bool | None = None,
    region: str = "Littoral",
    minor: bool = False,
    imminent_danger: bool = False,
    status: str = "acknowledged",
) -> Case:
    """A case with one voice contact; ``share`` is the caller's answer to "may we pass it on?"."""
    now = datetime.now(UTC)
    async with unit_of_work(runtime.sessions) as session:
        case = Case(
            id=uuid.uuid4(),
            reference=new_reference(),
            status=status,
            channel="voice",
            caller_ref="c" * 64,
            region=region,
            category="trafficking",
            severity="critical" if imminent_danger else "high",
            minor=minor,
            imminent_danger=imminent_danger,
            language="fr",
            reasons=["confinement: 'enfermée'"],
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        await session.flush()
        contact = Contact(
            id=uuid.uuid4(),
            provider="twilio",
            provider_id=f"CA{uuid.uuid4().hex}",
            channel="voice",
            caller_ref=case.caller_ref,
            reference=case.reference,
            case_id=case.id,
            received_at=now - timedelta(minutes=5),
        )
        set_contact_body(runtime.keyring, contact, "Ma fille est enfermée, appelez le 677 12 34 56")
        set_contact_answers(runtime.keyring, contact, {} if share is None else {"share": share})
        session.add(contact)
        return case


async def actions_of(session: AsyncSession, case: Case) -> list[str]:
    rows = await session.execute(
        select(AuditEntry.action).where(AuditEntry.subject == str(case.id)).order_by(AuditEntry.seq)
    )
    return list(rows.scalars())


async def referrals(session: AsyncSession, case: Case) -> list[Referral]:
    rows = await session.execute(
        select(Referral)
        .where(Referral.case_id == case.id)
        .order_by(Referral.created_at)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


def message(response: httpx.Response) -> str:
    """The ?ref= (case page) or ?msg= (the section's own page) an action sends the browser back with."""
    assert response.status_code == 303, response.text
    found = re.search(r"[?&](?:ref|msg)=([a-z_]+)", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


async def section(b: Browser, case: Case) -> str:
    page = await b.client.get(f"/console/cases/{case.id}/referrals", headers={"HX-Request": "true"})
    assert page.status_code == 200, page.text
    return markup.unescape(page.text)


@pytest.fixture
async def littoral(runtime: Runtime, browser: BrowserFactory) -> AsyncIterator[Browser]:
    async with await signed_in_as(runtime, browser, "agent.lit", Role.agent, ("Littoral",)) as b:
        yield b


async def test_the_case_page_loads_the_section_which_shows_consent_suggestions_and_the_draft_form(
    runtime: Runtime, littoral: Browser, directory: Directory, session: AsyncSession
) -> None:
    """The case page holds a slot htmx fills; the section is audited like the API's list."""
    case = await a_case(runtime, minor=True)
    page = await littoral.client.get(f"/console/cases/{case.id}")
    assert f'hx-get="/console/cases/{case.id}/referrals"' in page.text
    assert f'href="/console/cases/{case.id}/referrals"' in page.text, "a link without JavaScript"

    html = await section(littoral, case)
    assert "<html" not in html, "htmx gets the section alone"
    assert 'data-consent="unknown"' in html
    assert "Aucune réponse enregistrée" in html
    # Suggestions best first with their reasons: a child in Littoral → child protection first.
    order = re.findall(r'data-partner="([a-z0-9-]+)"', html)
    assert order[0] == "child-protection-littoral", order
    assert "a child → child protection" in html and "covers Littoral" in html
    # The draft form: only vetted contacts, and the warning about the caller's identity.
    assert 'name="target"' in html and directory.target("police-littoral", "Cdt. Jean Modèle") in html
    assert "N'écrivez ni le nom ni le numéro de l'appelant" in html
    assert 'aria-describedby="ref-needs-warning"' in html
    assert await actions_of(session, case) == ["case.viewed", "referrals.viewed"]


async def test_an_agent_records_consent_drafts_sends_and_records_the_partners_answers(
    runtime: Runtime, littoral: Browser, directory: Directory, session: AsyncSession
) -> None:
    case = await a_case(runtime)
    base = f"/console/cases/{case.id}/referrals"
    drafted = await littoral.post(
        base, {"target": directory.target("police-littoral", "Cdt. Jean Modèle"), "needs": NEEDS}
    )
    assert message(drafted) == "drafted"
    assert drafted.headers["location"] == f"/console/cases/{case.id}?ref=drafted#referrals"
    (referral,) = await referrals(session, case)
    assert referral.status == "draft" and referral.needs_enc and NEEDS not in referral.needs_enc

    # No consent yet: sending is refused, the refusal is audited and kept.
    html = await section(littoral, case)
    assert "data-consent-required" in html and "Envoyer au partenaire" not in html
    refused = await littoral.post(f"{base}/{referral.id}/send")
    assert message(refused) == "consent_required"
    assert (await referrals(session, case))[0].status == "draft"
    assert "referral.refused" in await actions_of(session, case)

    # The caller agrees on a callback; the agent records it and sends.
    assert message(await littoral.post(f"{base}/consent", {"given": "yes"})) == "consent_recorded"
    html = await section(littoral, case)
    assert 'data-consent="given"' in html and "noté par un agent" in html
    assert "Envoyer au partenaire" in html
    assert message(await littoral.post(f"{base}/{referral.id}/send")) == "sent"
    (referral,) = await referrals(session, case)
    assert referral.status == "sent" and referral.basis == "consent"
    sms = (await session.execute(select(OutboundMessage).where(OutboundMessage.case_id == case.id))).scalars()
    assert [m.purpose for m in sms] == ["referral"]

    html = await section(littoral, case)
    assert 'data-status="sent"' in html
    assert f'data-shared="reference">{case.reference}<' in html
    assert f'data-shared="needs">{NEEDS}<' in html
    assert 'data-shared="callback_number">1503<' in html
    assert "par sms" in html, "the channels it went by"
    assert "consentement de l'appelant" in html

    # The partner phoned: accepted, then completed, with a note; a wrong move is refused.
    moved = await littoral.post(
        f"{base}/{referral.id}/status", {"status": "accepted", "note": "Équipe en route"}
    )
    assert message(moved) == "moved"
    wrong = await littoral.post(f"{base}/{referral.id}/status", {"status": "draft"})
    assert message(wrong) == "transition_not_allowed"
    html = await littoral.client.get(f"{base}?msg=transition_not_allowed", headers={"HX-Request": "true"})
    assert "ce changement n'est pas possible" in markup.unescape(html.text)
    assert message(await littoral.post(f"{base}/{referral.id}/status", {"status": "completed"})) == "moved"
    html = await section(littoral, case)
    assert 'data-status="completed"' in html and "Équipe en route" in html
    assert "Noter : acceptée" not in html, "no move is left after completion"
    done = await actions_of(session, case)
    for action in (
        "case.share_consent_recorded",
        "referral.drafted",
        "referral.sent",
        "referral.accepted",
        "referral.completed",
    ):
        assert action in done
    chain = str([e.details for e in (await session.execute(select(AuditEntry))).scalars()])
    assert "Bonabéri" not in chain and "Équipe en route" not in chain


async def test_a_draft_can_be_closed_without_action_and_the_caller_can_refuse(
    runtime: Runtime, littoral: Browser, directory: Directory, session: AsyncSession
) -> None:
    case = await a_case(runtime, share=True)
    base = f"/console/cases/{case.id}/referrals"
    await littoral.post(base, {"target": directory.target("iom-yaounde", "Paul Exemple"), "needs": NEEDS})
    (referral,) = await referrals(session, case)
    assert (
        message(await littoral.post(f"{base}/{referral.id}/status", {"status": "closed_without_action"}))
        == "moved"
    )
    assert (await referrals(session, case))[0].status == "closed_without_action"
    # The caller said yes on the phone line, then no to the agent: the newest answer wins.
    assert 'data-consent="given"' in await section(littoral, case)
    await littoral.post(f"{base}/consent", {"given": "no"})
    assert 'data-consent="refused"' in await section(littoral, case)


async def test_what_the_draft_form_refuses_is_said_on_the_page(
    runtime: Runtime, littoral: Browser, directory: Directory, session: AsyncSession
) -> None:
    case = await a_case(runtime, share=True)
    base = f"/console/cases/{case.id}/referrals"
    police = directory.partners["police-littoral"]
    unvetted = next(
        c for c in directory.contacts.values() if c.vetted_at is None and c.partner_id != police.id
    )
    cases = {
        "garbage": "unknown_partner_or_contact",
        f"{police.id}:{uuid.uuid4()}": "unknown_partner_or_contact",
        f"{police.id}:{unvetted.id}": "unknown_partner_or_contact",  # another partner's contact
        f"{unvetted.partner_id}:{unvetted.id}": "contact_not_reachable",
    }
    for target, reason in cases.items():
        assert message(await littoral.post(base, {"target": target, "needs": NEEDS})) == reason
    blank = await littoral.post(
        base, {"target": directory.target("police-littoral", "Cdt. Jean Modèle"), "needs": "  "}
    )
    assert message(blank) == "needs_required"
    long = await littoral.post(
        base, {"target": directory.target("police-littoral", "Cdt. Jean Modèle"), "needs": "x" * 1001}
    )
    assert message(long) == "needs_too_long"
    assert await referrals(session, case) == []
    html = await littoral.client.get(f"{base}?msg=needs_required", headers={"HX-Request": "true"})
    assert 'role="alert"' in html.text and "décrivez ce qui est demandé" in html.text
    # An unknown message is not echoed.
    html = await littoral.client.get(f"{base}?msg=%3Cb%3Ehello", headers={"HX-Request": "true"})
    assert "hello" not in html.text and "data-msg" not in html.text


async def test_without_consent_only_a_supervisor_may_send_and_only_for_a_minor_or_imminent_danger(
    runtime: Runtime, browser: BrowserFactory, littoral: Browser, directory: Directory, session: AsyncSession
) -> None:
    """The exception: a minor at risk or imminent danger, a supervisor, and a written reason."""
    minor = await a_case(runtime, minor=True)
    adult = await a_case(runtime)
    target = directory.target("police-littoral", "Cdt. Jean Modèle")
    for case in (minor, adult):
        await littoral.post(f"/console/cases/{case.id}/referrals", {"target": target, "needs": NEEDS})
    (on_minor,) = await referrals(session, minor)
    (on_adult,) = await referrals(session, adult)

    html = await section(littoral, minor)
    assert "un superviseur peut approuver" in html and 'name="exception_reason"' not in html
    tried = await littoral.post(
        f"/console/cases/{minor.id}/referrals/{on_minor.id}/send", {"exception_reason": "urgent"}
    )
    assert message(tried) == "exception_needs_supervisor"

    async with await signed_in_as(runtime, browser, "sup", Role.supervisor) as sup:
        html = await section(sup, minor)
        assert 'name="exception_reason"' in html and "Envoyer sans consentement (exception)" in html
        html = await section(sup, adult)
        assert 'name="exception_reason"' not in html and "data-consent-required" in html
        no_reason = await sup.post(f"/console/cases/{minor.id}/referrals/{on_minor.id}/send")
        assert message(no_reason) == "consent_required"
        not_minor = await sup.post(
            f"/console/cases/{adult.id}/referrals/{on_adult.id}/send", {"exception_reason": "urgent"}
        )
        assert message(not_minor) == "no_exception_applies"
        sent = await sup.post(
            f"/console/cases/{minor.id}/referrals/{on_minor.id}/send",
            {"exception_reason": "Enfant enfermée, danger cette nuit"},
        )
        assert message(sent) == "sent"
        assert 'data-basis="exception"' in await section(sup, minor)
    (on_minor,) = await referrals(session, minor)
    assert on_minor.status == "sent" and on_minor.basis == "exception"
    note = await session.get(CaseNote, on_minor.exception_note_id)
    assert note is not None and note.kind == "ref_exception"
    assert "referral.consent_exception" in await actions_of(session, minor)
    refusals = (
        await session.execute(select(AuditEntry.details).where(AuditEntry.action == "referral.refused"))
    ).scalars()
    assert sorted(d["reason"] for d in refusals) == [
        "consent_required",
        "exception_needs_supervisor",
        "no_exception_applies",
    ]


async def test_the_section_follows_the_case_pages_role_rules(
    runtime: Runtime, browser: BrowserFactory, directory: Directory, session: AsyncSession
) -> None:
    """Agents: their regions (or their own cases); supervisors and admins: all; analysts: never."""
    case = await a_case(runtime, share=True)
    other = await a_case(runtime, share=True)
    async with await signed_in_as(runtime, browser, "lit", Role.agent, ("Littoral",)) as lit:
        await lit.post(
            f"/console/cases/{case.id}/referrals",
            {"target": directory.target("police-littoral", "Cdt. Jean Modèle"), "needs": NEEDS},
        )
        (referral,) = await referrals(session, case)
        # A referral is reached through its own case only; a made-up one is not found.
        wrong_case = await lit.post(f"/console/cases/{other.id}/referrals/{referral.id}/send")
        assert wrong_case.status_code == 404
        made_up = await lit.post(f"/console/cases/{case.id}/referrals/{uuid.uuid4()}/send")
        assert made_up.status_code == 404
    base = f"/console/cases/{case.id}/referrals"
    posts = {
        f"{base}/consent": {"given": "yes"},
        base: {"target": directory.target("police-littoral", "Cdt. Jean Modèle"), "needs": NEEDS},
        f"{base}/{referral.id}/send": {},
        f"{base}/{referral.id}/status": {"status": "closed_without_action"},
    }
    async with await signed_in_as(runtime, browser, "centre", Role.agent, ("Centre",)) as centre:
        assert (await centre.client.get(base)).status_code == 404
        for path, data in posts.items():
            assert (await centre.post(path, data)).status_code == 404, path
    async with await signed_in_as(runtime, browser, "ana", Role.analyst) as analyst:
        assert (await analyst.client.get(base)).status_code == 403
        for path, data in posts.items():
            assert (await analyst.post(path, data)).status_code == 403, path
    async with browser() as nobody:
        assert (await nobody.client.get(base)).headers["location"] == "/console/login"
        for path, data in posts.items():
            assert (await nobody.client.post(path, data=data)).status_code == 401, path
    async with await signed_in_as(runtime, browser, "adm", Role.admin) as admin:
        assert (await admin.client.get(base)).status_code == 200
        assert message(await admin.post(f"{base}/{referral.id}/send")) == "sent"
    async with await signed_in_as(runtime, browser, "sup2", Role.supervisor) as sup:
        assert (await sup.client.get(base)).status_code == 200
        moved = await sup.post(f"{base}/{referral.id}/status", {"status": "accepted"})
        assert message(moved) == "moved"
    # An agent of another region sees a case once it is assigned to them.
    async with await signed_in_as(runtime, browser, "owner", Role.agent, ("Est",)) as owner:
        owner_id = (await session.execute(select(Agent.id).where(Agent.username == "owner"))).scalar_one()
        async with unit_of_work(runtime.sessions) as s:
            row = await s.get(Case, case.id)
            assert row is not None
            row.assignee_id = owner_id
        assert (await owner.client.get(base)).status_code == 200
    # A forged or missing CSRF token is refused before anything happens.
    async with await signed_in_as(runtime, browser, "lit2", Role.agent, ("Littoral",)) as lit2:
        forged = await lit2.client.post(f"{base}/consent", data={"given": "no", "csrf_token": "forged"})
        assert forged.status_code == 403


async def test_without_javascript_the_section_is_a_page_and_its_forms_come_back_to_it(
    runtime: Runtime, littoral: Browser, directory: Directory, session: AsyncSession
) -> None:
    case = await a_case(runtime)
    page = await littoral.client.get(f"/console/cases/{case.id}/referrals")
    assert page.status_code == 200 and "<html" in page.text
    assert f'href="/console/cases/{case.id}"' in page.text, "the way back to the case"
    assert 'name="back" value="page"' in page.text
    recorded = await littoral.post(
        f"/console/cases/{case.id}/referrals/consent", {"given": "yes", "back": "page"}
    )
    assert recorded.headers["location"] == f"/console/cases/{case.id}/referrals?msg=consent_recorded"
    again = await littoral.client.get(recorded.headers["location"])
    assert "Réponse de l'appelant enregistrée." in markup.unescape(again.text)
    # The case page passes the message of the last action on to the section.
    on_case = await littoral.client.get(f"/console/cases/{case.id}?ref=sent")
    assert f'hx-get="/console/cases/{case.id}/referrals?msg=sent"' in on_case.text


async def test_the_section_speaks_english_to_an_english_speaking_agent(
    runtime: Runtime, littoral: Browser, directory: Directory, session: AsyncSession
) -> None:
    await littoral.post("/console/account/language", {"language": "en"})
    case = await a_case(runtime, share=True)
    html = await section(littoral, case)
    assert "Referrals to a partner" in html and "The caller agreed" in html
    assert "Do not write the caller's name or number" in html
    assert "Child protection" in html


async def _sent_long_ago(runtime: Runtime, case: Case, directory: Directory, minutes: int) -> Referral:
    async with unit_of_work(runtime.sessions) as session:
        sent = datetime.now(UTC) - timedelta(minutes=minutes)
        referral = Referral(
            id=uuid.uuid4(),
            case_id=case.id,
            partner_id=directory.partners["police-littoral"].id,
            partner_kind="police",
            contact_id=directory.contacts["Cdt. Jean Modèle"].id,
            status="sent",
            basis="consent",
            created_at=sent,
            updated_at=sent,
            sent_at=sent,
        )
        session.add(referral)
        return referral


async def test_the_overdue_list_shows_unanswered_referrals_oldest_first_to_whom_may_see_them(
    runtime: Runtime, browser: BrowserFactory, directory: Directory, session: AsyncSession
) -> None:
    """Past HOTLINE_REFERRAL_REMIND_AFTER_MINUTES (240), still ``sent``; agents see their regions' only."""
    littoral_case = await a_case(runtime)
    centre_case = await a_case(runtime, region="Centre")
    fresh_case = await a_case(runtime)
    await _sent_long_ago(runtime, littoral_case, directory, 300)
    await _sent_long_ago(runtime, centre_case, directory, 3000)
    await _sent_long_ago(runtime, fresh_case, directory, 30)
    async with await signed_in_as(runtime, browser, "sup", Role.supervisor) as sup:
        page = await sup.client.get("/console/referrals/overdue")
        assert page.status_code == 200
        links = re.findall(r'href="/console/cases/([0-9a-f-]+)#referrals"', page.text)
        assert links == [str(centre_case.id), str(littoral_case.id)], "oldest first, the fresh one absent"
        assert "2 d 2 h" in page.text and "5 h 0 min" in page.text
        assert 'href="/console/referrals/overdue"' in page.text, "in the navigation"
    async with await signed_in_as(runtime, browser, "lit", Role.agent, ("Littoral",)) as lit:
        page = await lit.client.get("/console/referrals/overdue")
        links = re.findall(r'href="/console/cases/([0-9a-f-]+)#referrals"', page.text)
        assert links == [str(littoral_case.id)]
    async with await signed_in_as(runtime, browser, "ana", Role.analyst) as analyst:
        assert (await analyst.client.get("/console/referrals/overdue")).status_code == 403
        home = await analyst.client.get("/console/stats")
        assert "/console/referrals/overdue" not in home.text
    async with browser() as nobody:
        assert (await nobody.client.get("/console/referrals/overdue")).headers["location"] == "/console/login"
    listed = (
        await session.execute(
            select(AuditEntry.details).where(AuditEntry.action == "referrals.overdue_listed")
        )
    ).scalars()
    assert sorted(d["count"] for d in listed) == [1, 2]


def test_waiting_times_read_in_days_hours_or_minutes() -> None:
    assert waited(timedelta(minutes=42)) == "42 min"
    assert waited(timedelta(hours=5, minutes=3)) == "5 h 3 min"
    assert waited(timedelta(days=3, hours=4, minutes=59)) == "3 d 4 h"


async def test_an_admin_keeps_the_partner_directory_and_every_change_is_audited(
    runtime: Runtime, browser: BrowserFactory, directory: Directory, session: AsyncSession
) -> None:
    async with await signed_in_as(runtime, browser, "adm", Role.admin) as admin:
        listing = await admin.client.get("/console/admin/partners")
        assert listing.status_code == 200
        assert "IOM Cameroon — Yaoundé office (demo)" in listing.text
        assert "+237699990101" in listing.text, "admins see the contacts' numbers"
        assert 'href="/console/admin/partners"' in listing.text, "in the navigation"

        created = await admin.post(
            "/console/admin/partners",
            {"slug": "ong-espoir", "name": "ONG Espoir (demo)", "kind": "ngo", "regions": "Littoral"},
        )
        assert created.status_code == 303
        partner = (await session.execute(select(Partner).where(Partner.slug == "ong-espoir"))).scalar_one()
        assert created.headers["location"] == f"/console/admin/partners/{partner.id}?msg=partner_saved"
        assert partner.regions == ["Littoral"] and partner.languages == [] and partner.active
        again = await admin.post(
            "/console/admin/partners",
            {"slug": "ong-espoir", "name": "Other", "kind": "ngo", "regions": "Littoral"},
        )
        assert again.status_code == 409 and "cet identifiant existe déjà" in again.text
        bad = await admin.post(
            "/console/admin/partners", {"slug": "x-y", "name": "X", "kind": "ngo", "regions": "Paris"}
        )
        assert bad.status_code == 422 and "unknown regions" in bad.text and 'value="x-y"' in bad.text

        base = f"/console/admin/partners/{partner.id}"
        edit = await admin.client.get(base)
        assert edit.status_code == 200 and 'value="ONG Espoir (demo)"' in edit.text
        saved = await admin.client.post(
            base,
            data={
                "csrf_token": admin.csrf,
                "name": "ONG Espoir Douala (demo)",
                "kind": "shelter",
                "regions": ["Littoral", "Sud-Ouest"],
                "services": ["shelter", "trafficking"],
                "languages": ["fr", "en"],
            },
        )
        assert saved.status_code == 303
        bad_phone = await admin.post(f"{base}/contacts", {"name": "Awa Demo", "phone": "12", "active": "yes"})
        assert bad_phone.status_code == 422 and "phone" in bad_phone.text
        added = await admin.post(
            f"{base}/contacts",
            {"name": "Awa Demo", "title": "Coordinatrice", "phone": "699 99 05 01", "active": "yes"},
        )
        assert added.status_code == 303
        contact = (
            await session.execute(select(PartnerContact).where(PartnerContact.name == "Awa Demo"))
        ).scalar_one()
        assert contact.phone == "+237699990501" and contact.vetted_at is None
        vetted = await admin.post(f"{base}/contacts/{contact.id}/vet")
        assert vetted.headers["location"].endswith("msg=partner_contact_vetted_done")
        contact = await session.get(PartnerContact, contact.id, populate_existing=True)
        assert contact is not None and contact.vetted_at is not None
        page = await admin.client.get(base)
        assert 'data-vetted="yes"' in page.text and "ONG Espoir Douala (demo)" in page.text

        assert (await admin.post(f"{base}/deactivate")).headers["location"].endswith("partner_deactivated")
        case = await a_case(runtime, share=True)
        html = await section(admin, case)
        assert 'data-partner="ong-espoir"' not in html, "a deactivated partner is not suggested"
        assert (await admin.post(f"{base}/reactivate")).headers["location"].endswith("partner_reactivated")
        assert 'data-partner="ong-espoir"' in await section(admin, case)
        missing = await admin.client.get(f"/console/admin/partners/{uuid.uuid4()}")
        assert missing.status_code == 404
    partner = (await session.execute(select(Partner).where(Partner.slug == "ong-espoir"))).scalar_one()
    await session.refresh(partner)
    assert partner.kind == "shelter" and partner.regions == ["Littoral", "Sud-Ouest"]
    saved_events = list(
        (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "partner.saved").order_by(AuditEntry.seq)
            )
        ).scalars()
    )
    assert [e.details["change"] for e in saved_events] == [
        "created",
        "edited",
        "contact_saved",
        "contact_vetted",
        "deactivated",
        "reactivated",
    ]
    # The contact's number, in any of its forms (the details also hold UUIDs, whose hex may show "699").
    chain = str([e.details for e in saved_events])
    assert re.search(r"\D?".join("699990501"), chain) is None, "no number in the audit chain"


async def test_only_admins_reach_the_partner_directory(
    runtime: Runtime, browser: BrowserFactory, directory: Directory, session: AsyncSession
) -> None:
    partner = directory.partners["police-littoral"]
    contact = directory.contacts["Cdt. Jean Modèle"]
    base = f"/console/admin/partners/{partner.id}"
    posts = {
        "/console/admin/partners": {"slug": "abc", "name": "A", "kind": "ngo", "regions": "Littoral"},
        base: {"name": "A", "kind": "ngo", "regions": "Littoral"},
        f"{base}/deactivate": {},
        f"{base}/reactivate": {},
        f"{base}/contacts": {"name": "B"},
        f"{base}/contacts/{contact.id}/vet": {},
    }
    for username, role in (("ag", Role.agent), ("su", Role.supervisor), ("an", Role.analyst)):
        async with await signed_in_as(runtime, browser, username, role, ("Littoral",)) as b:
            for path in ("/console/admin/partners", base):
                page = await b.client.get(path)
                assert page.status_code == 403 and "+237699990201" not in page.text, (role, path)
            for path, data in posts.items():
                assert (await b.post(path, data)).status_code == 403, (role, path)
            home = await b.client.get("/console/account")
            assert "/console/admin/partners" not in home.text
    async with browser() as nobody:
        assert (await nobody.client.get("/console/admin/partners")).headers["location"] == "/console/login"
    assert (await session.get(Partner, partner.id, populate_existing=True)).active  # type: ignore[union-attr]
    assert not list(
        (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "partner.saved").order_by(AuditEntry.seq)
            )
        ).scalars()
    )


def test_every_referral_word_has_both_languages_and_shadows_no_other_word() -> None:
    others = {**_WORDS, **STATUS_WORDS, **SEVERITY_WORDS, **ADMIN_WORDS}
    assert not set(REFERRAL_WORDS) & set(others)
    assert all(fr and en for fr, en in REFERRAL_WORDS.values())
