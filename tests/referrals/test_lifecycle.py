"""Sending a referral: consent or a supervisor's exception, exactly what is shared, every move audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.cases.actions import ActionRefused, note_text
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Agent, AuditEntry, Case, CaseNote, OutboundMessage, Referral, ReferralLink, Role
from hotline.referrals import lifecycle
from hotline.referrals.consent import consent_of, record_consent
from hotline.referrals.links import token_for
from hotline.sms.outbound import OUTBOUND_BODY, OUTBOUND_TO
from tests.referrals.conftest import WORDS, Directory, agent_with_phone, make_case

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def draft(
    runtime: Runtime, case: Case, agent: Agent, directory: Directory, slug: str, contact: str
) -> Referral:
    async with unit_of_work(runtime.sessions) as session:
        c = await session.get(Case, case.id)
        assert c is not None
        return await lifecycle.create(
            session,
            runtime.keyring,
            c,
            agent,
            directory.partner(slug),
            directory.contact(contact),
            "Accueil en urgence et accompagnement de la victime",
            now=NOW,
        )


async def send(runtime: Runtime, referral: Referral, agent: Agent, reason: str | None = None) -> Referral:
    async with unit_of_work(runtime.sessions) as session:
        row = await session.get(Referral, referral.id)
        assert row is not None
        return await lifecycle.send(session, runtime, row, agent, exception_reason=reason, now=NOW)


async def send_refused(
    runtime: Runtime, referral: Referral, agent: Agent, reason: str | None = None
) -> ActionRefused:
    """Like the API: the refusal's audit event is committed, the referral is untouched."""
    async with runtime.sessions() as session:
        row = await session.get(Referral, referral.id)
        assert row is not None
        with pytest.raises(ActionRefused) as refused:
            await lifecycle.send(session, runtime, row, agent, exception_reason=reason, now=NOW)
        await session.commit()
    return refused.value


async def audit_actions(session: AsyncSession) -> list[AuditEntry]:
    return list((await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars())


async def outbound(runtime: Runtime, session: AsyncSession) -> list[tuple[str, str, str]]:
    rows = (await session.execute(select(OutboundMessage).order_by(OutboundMessage.created_at))).scalars()
    return [
        (
            m.purpose,
            runtime.keyring.open(m.to_enc or "", OUTBOUND_TO.at(m.id)),
            runtime.keyring.open(m.body_enc or "", OUTBOUND_BODY.at(m.id)),
        )
        for m in rows
    ]


async def test_with_the_callers_consent_the_partner_gets_only_the_reference_and_a_link(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    case = await make_case(runtime, share=True, minor=True)
    referral = await send(
        runtime,
        await draft(runtime, case, agent, directory, "child-protection-littoral", "Grace Example"),
        agent,
    )

    assert referral.status == "sent" and referral.basis == "consent" and referral.sent_at == NOW
    assert referral.shared is not None
    assert set(referral.shared["fields"]) == set(lifecycle.SHARED_FIELDS)
    assert referral.shared["fields"]["reference"] == case.reference
    assert referral.shared["fields"]["agent"] == "Awa Demo"
    assert referral.shared["to"] == {
        "partner": "child-protection-littoral",
        "contact": str(directory.contact("Grace Example").id),
        "channels": ["sms"],
    }
    [(purpose, to, body)] = await outbound(runtime, session)
    link = (await session.execute(select(ReferralLink))).scalar_one()
    token = token_for(runtime.settings.secret_key.get_secret_value(), link.id)
    assert purpose == "referral" and to == "+237699990402"
    assert body.endswith(f"/r/{token}") and f"{case.reference[:4]} {case.reference[4:]}" in body
    assert len(body) <= 160, "one SMS segment"
    for word in ("15 ans", "enfermée", "Douala", "677 12 34 56"):
        assert word not in body
    refreshed = await session.get(Case, case.id)
    assert refreshed is not None and refreshed.status == "referred"

    sent = [e for e in await audit_actions(session) if e.action == "referral.sent"]
    assert len(sent) == 1
    assert sent[0].details["basis"] == "consent" and sent[0].details["partner"] == "child-protection-littoral"
    chain = json.dumps([e.details for e in await audit_actions(session)], ensure_ascii=False)
    assert case.reference not in chain and WORDS[:20] not in chain and "Accueil en urgence" not in chain


async def test_without_consent_nothing_leaves_and_the_refusal_is_audited(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    for share in (None, False):
        case = await make_case(runtime, share=share)
        referral = await draft(runtime, case, agent, directory, "police-littoral", "Cdt. Jean Modèle")
        refused = await send_refused(runtime, referral, agent)
        assert (refused.status, refused.reason) == (409, "consent_required")
        row = await session.get(Referral, referral.id)
        assert row is not None
        await session.refresh(row)
        assert row.status == "draft" and row.shared is None
    assert await outbound(runtime, session) == []
    refusals = [e.details for e in await audit_actions(session) if e.action == "referral.refused"]
    assert [r["consent"] for r in refusals] == ["unknown", "refused"]


async def test_the_newest_answer_wins_an_agent_can_record_consent_during_a_callback(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    case = await make_case(runtime, share=False, received=datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    async with unit_of_work(runtime.sessions) as s:
        row = await s.get(Case, case.id)
        assert row is not None
        assert (await consent_of(s, runtime.keyring, row)).given is False
        await record_consent(s, row, agent, True, now=NOW)
        consent = await consent_of(s, runtime.keyring, row)
    assert (consent.given, consent.source) == (True, "agent")
    referral = await send(
        runtime, await draft(runtime, case, agent, directory, "police-littoral", "Cdt. Jean Modèle"), agent
    )
    assert referral.basis == "consent"
    recorded = [e for e in await audit_actions(session) if e.action == "case.share_consent_recorded"]
    assert [e.details for e in recorded] == [{"given": True}]


@pytest.mark.parametrize("flag", ["minor", "imminent_danger"])
async def test_the_exception_needs_a_supervisor_a_reason_and_a_child_or_imminent_danger(
    runtime: Runtime, session: AsyncSession, directory: Directory, flag: str
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    supervisor = await agent_with_phone(runtime, "sup", Role.supervisor)
    case = await make_case(runtime, share=None, **{flag: True})
    referral = await draft(runtime, case, agent, directory, "police-littoral", "Cdt. Jean Modèle")

    refused = await send_refused(runtime, referral, agent, reason="Enfant en danger")
    assert (refused.status, refused.reason) == (403, "exception_needs_supervisor")
    refused = await send_refused(runtime, referral, supervisor, reason="   ")
    assert (refused.status, refused.reason) == (409, "consent_required")

    sent = await send(runtime, referral, supervisor, reason="La victime est mineure et enfermée ce soir")
    assert sent.basis == "exception" and sent.approved_by_id == supervisor.id
    note = await session.get(CaseNote, sent.exception_note_id)
    assert note is not None and note.kind == "ref_exception"
    assert note_text(runtime.keyring, note) == "La victime est mineure et enfermée ce soir"
    [exception] = [e for e in await audit_actions(session) if e.action == "referral.consent_exception"]
    assert exception.details[flag] is True and exception.actor == f"agent:{supervisor.id}"


async def test_no_exception_for_an_adult_out_of_immediate_danger(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    supervisor = await agent_with_phone(runtime, "sup", Role.supervisor)
    case = await make_case(runtime, share=None)
    referral = await draft(runtime, case, supervisor, directory, "police-littoral", "Cdt. Jean Modèle")
    refused = await send_refused(runtime, referral, supervisor, reason="Urgent")
    assert (refused.status, refused.reason) == (409, "no_exception_applies")
    assert await outbound(runtime, session) == []


async def test_a_draft_is_refused_for_a_closed_case_an_inactive_partner_or_an_unvetted_contact(
    runtime: Runtime, directory: Directory
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    closed = await make_case(runtime, share=True, status="closed")
    case = await make_case(runtime, share=True)
    attempts = [
        (closed, "police-littoral", "Cdt. Jean Modèle", "case_closed"),
        (case, "old-partner-closed", "Former Contact", "partner_inactive"),
        (case, "child-protection-littoral", "Not Yet Vetted", "contact_not_reachable"),
        (case, "police-littoral", "Grace Example", "contact_not_reachable"),  # another partner's contact
    ]
    for target, slug, contact, reason in attempts:
        with pytest.raises(ActionRefused) as refused:
            await draft(runtime, target, agent, directory, slug, contact)
        assert refused.value.reason == reason


AGENT_ALLOWED = {
    ("draft", "closed_without_action"),
    ("sent", "accepted"),
    ("sent", "declined"),
    ("sent", "closed_without_action"),
    ("accepted", "in_progress"),
    ("accepted", "completed"),
    ("accepted", "closed_without_action"),
    ("in_progress", "completed"),
    ("in_progress", "closed_without_action"),
}


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("start", lifecycle.STATUSES)
async def test_every_agent_move_is_allowed_or_refused_as_the_lifecycle_says(
    runtime: Runtime, session: AsyncSession, directory: Directory, start: str
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    case = await make_case(runtime, share=True)
    for target in lifecycle.STATUSES:
        referral = await draft(runtime, case, agent, directory, "police-littoral", "Cdt. Jean Modèle")
        async with unit_of_work(runtime.sessions) as s:
            row = await s.get(Referral, referral.id)
            assert row is not None
            row.status = start
        async with runtime.sessions() as s:
            row = await s.get(Referral, referral.id)
            assert row is not None
            if (start, target) in AGENT_ALLOWED:
                await lifecycle.move_by_agent(
                    s, runtime.keyring, row, agent, target, note="par téléphone", now=NOW
                )
                assert row.status == target
                assert getattr(row, lifecycle.STAMP[target]) == NOW
            else:
                with pytest.raises(ActionRefused) as refused:
                    await lifecycle.move_by_agent(s, runtime.keyring, row, agent, target, note=None, now=NOW)
                assert refused.value.reason == "transition_not_allowed"
            await s.commit()


async def test_sending_twice_is_refused(runtime: Runtime, directory: Directory) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    case = await make_case(runtime, share=True)
    referral = await send(
        runtime, await draft(runtime, case, agent, directory, "police-littoral", "Cdt. Jean Modèle"), agent
    )
    refused = await send_refused(runtime, referral, agent)
    assert refused.reason == "not_a_draft"


PARTNER_ALLOWED = {
    ("sent", "accept"),
    ("sent", "decline"),
    ("accepted", "start"),
    ("accepted", "complete"),
    ("in_progress", "complete"),
}


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("start", lifecycle.STATUSES)
async def test_every_partner_answer_is_allowed_or_refused_as_the_lifecycle_says(
    runtime: Runtime, directory: Directory, start: str
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    case = await make_case(runtime, share=True)
    for action in (*lifecycle.PARTNER_ACTIONS, "close"):
        referral = await send(
            runtime,
            await draft(runtime, case, agent, directory, "police-littoral", "Cdt. Jean Modèle"),
            agent,
        )
        async with runtime.sessions() as s:
            row = await s.get(Referral, referral.id)
            link = (
                await s.execute(select(ReferralLink).where(ReferralLink.referral_id == referral.id))
            ).scalar_one()
            assert row is not None
            row.status = start
            if (start, action) in PARTNER_ALLOWED:
                await lifecycle.move_by_partner(s, runtime.keyring, link, row, action, note="vu", now=NOW)
                target = lifecycle.PARTNER_ACTIONS[action]
                assert row.status == target and getattr(row, lifecycle.STAMP[target]) == NOW
                assert (link.spent_at is not None) == (target in lifecycle.FINAL), (
                    "a final answer spends the link"
                )
            else:
                with pytest.raises(ActionRefused) as refused:
                    await lifecycle.move_by_partner(s, runtime.keyring, link, row, action, note=None, now=NOW)
                assert refused.value.reason == "transition_not_allowed" and link.spent_at is None
            await s.rollback()
