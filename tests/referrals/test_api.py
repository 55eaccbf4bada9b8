"""``/api/v1``: partners, suggestions, consent and referrals, each behind the right role."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Referral, Role
from tests.fixtures.accounts import bearer, make_agent, token_for
from tests.referrals.conftest import Directory, agent_with_phone, make_case


async def test_an_agent_drafts_and_sends_a_referral_and_records_a_phone_answer(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    headers = bearer(await token_for(client, "awa"))
    case = await make_case(runtime, share=None, minor=True)

    consent = await client.get(f"/api/v1/cases/{case.id}/consent", headers=headers)
    assert consent.json() == {"given": None, "source": None, "at": None}
    suggestions = (await client.get(f"/api/v1/cases/{case.id}/partner-suggestions", headers=headers)).json()
    top = suggestions[0]
    assert (
        top["partner"]["slug"] == "child-protection-littoral"
        and "a child → child protection" in top["reasons"]
    )
    assert all(c["phone"] is None for s in suggestions for c in s["partner"]["contacts"]), (
        "numbers are for admins"
    )
    contact = top["partner"]["contacts"][0]

    body = {"partner_id": top["partner"]["id"], "contact_id": contact["id"], "needs": "Mise à l'abri"}
    drafted = await client.post(f"/api/v1/cases/{case.id}/referrals", json=body, headers=headers)
    assert drafted.status_code == 201 and drafted.json()["status"] == "draft"
    referral_id = drafted.json()["id"]
    refused = await client.post(f"/api/v1/referrals/{referral_id}/send", json={}, headers=headers)
    assert refused.status_code == 409 and refused.json()["detail"] == "consent_required"
    assert (
        (await session.execute(select(AuditEntry).where(AuditEntry.action == "referral.refused")))
        .scalars()
        .all()
    )

    recorded = await client.post(f"/api/v1/cases/{case.id}/consent", json={"given": True}, headers=headers)
    assert recorded.json()["source"] == "agent"
    sent = await client.post(f"/api/v1/referrals/{referral_id}/send", json={}, headers=headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent" and sent.json()["shared"]["to"]["channels"] == ["sms"]

    moved = await client.post(
        f"/api/v1/referrals/{referral_id}/status",
        json={"status": "accepted", "note": "Au téléphone"},
        headers=headers,
    )
    assert moved.json()["status"] == "accepted" and moved.json()["partner_note"] == "Au téléphone"
    wrong = await client.post(
        f"/api/v1/referrals/{referral_id}/status", json={"status": "declined"}, headers=headers
    )
    assert wrong.status_code == 409
    listed = (await client.get(f"/api/v1/cases/{case.id}/referrals", headers=headers)).json()
    assert listed["total"] == 1 and listed["items"][0]["accepted_at"] is not None


async def test_roles_an_analyst_sees_no_referral_an_agent_no_other_region_only_admins_edit_partners(
    client: httpx.AsyncClient, runtime: Runtime, directory: Directory
) -> None:
    await make_agent(runtime, "ana", Role.analyst)
    await make_agent(runtime, "nord", Role.agent, ("Nord",))
    await make_agent(runtime, "sup", Role.supervisor)
    await make_agent(runtime, "adm", Role.admin)
    case = await make_case(runtime, share=True)
    analyst, other, sup, admin = [
        bearer(await token_for(client, name)) for name in ("ana", "nord", "sup", "adm")
    ]
    for path in (
        f"/api/v1/cases/{case.id}/referrals",
        f"/api/v1/cases/{case.id}/partner-suggestions",
        "/api/v1/partners",
    ):
        assert (await client.get(path, headers=analyst)).status_code == 403, path
    assert (await client.get(f"/api/v1/cases/{case.id}/referrals", headers=other)).status_code == 404
    assert (await client.get("/api/v1/referrals/overdue", headers=other)).status_code == 403
    assert (await client.get("/api/v1/referrals/overdue", headers=sup)).status_code == 200

    partner = {
        "slug": "ngo-new",
        "name": "New NGO",
        "kind": "ngo",
        "services": ["trafficking"],
        "regions": ["Nord"],
        "contacts": [{"name": "Bello", "phone": "+237699990999", "vetted": True}],
    }
    assert (await client.put("/api/v1/partners/ngo-new", json=partner, headers=sup)).status_code == 403
    saved = await client.put("/api/v1/partners/ngo-new", json=partner, headers=admin)
    assert saved.status_code == 200 and saved.json()["contacts"][0]["phone"] == "+237699990999"
    bad = await client.put("/api/v1/partners/ngo-new", json={**partner, "kind": "church"}, headers=admin)
    assert bad.status_code == 422
    mismatch = await client.put("/api/v1/partners/other", json=partner, headers=admin)
    assert mismatch.status_code == 422


async def test_bad_input_gets_a_clear_error_not_a_500(
    client: httpx.AsyncClient, runtime: Runtime, directory: Directory
) -> None:
    await make_agent(runtime, "sup", Role.supervisor)
    headers = bearer(await token_for(client, "sup"))
    case = await make_case(runtime, share=True)
    partner = directory.partner("police-littoral")
    grace = directory.contact("Grace Example")
    attempts = [
        {
            "partner_id": str(partner.id),
            "contact_id": str(grace.id),
            "needs": "x",
        },  # another partner's contact
        {"partner_id": str(partner.id), "contact_id": str(grace.id), "needs": ""},
        {"partner_id": "' OR 1=1 --", "contact_id": str(grace.id), "needs": "x"},
        {"partner_id": str(partner.id), "contact_id": str(grace.id), "needs": "x" * 1001},
    ]
    for body in attempts:
        response = await client.post(f"/api/v1/cases/{case.id}/referrals", json=body, headers=headers)
        assert response.status_code == 422, body
    assert (
        await client.post("/api/v1/referrals/not-a-uuid/send", json={}, headers=headers)
    ).status_code == 422


async def test_the_exception_through_the_api(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    await make_agent(runtime, "sup", Role.supervisor)
    headers = bearer(await token_for(client, "sup"))
    case = await make_case(runtime, share=False, imminent_danger=True)
    body = {
        "partner_id": str(directory.partner("police-littoral").id),
        "contact_id": str(directory.contact("Cdt. Jean Modèle").id),
        "needs": "Intervention immédiate",
    }
    referral_id = (
        await client.post(f"/api/v1/cases/{case.id}/referrals", json=body, headers=headers)
    ).json()["id"]
    sent = await client.post(
        f"/api/v1/referrals/{referral_id}/send",
        json={"exception_reason": "Séquestration en cours, la victime ne peut pas parler"},
        headers=headers,
    )
    assert sent.status_code == 200 and sent.json()["basis"] == "exception"
    referral = (await session.execute(select(Referral))).scalar_one()
    assert referral.exception_note_id is not None
