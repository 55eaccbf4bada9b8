"""What an agent and a partner wrote on a referral goes with the case's words; the referral's facts stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Case, Referral, Role
from hotline.privacy.retention import run_retention
from hotline.referrals import lifecycle
from tests.referrals.conftest import Directory, agent_with_phone, make_case

SENT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_retention_purges_the_need_and_the_partners_note_with_the_case_words(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    case = await make_case(runtime, share=True, received=SENT)
    async with unit_of_work(runtime.sessions) as s:
        row = await s.get(Case, case.id)
        assert row is not None
        referral = await lifecycle.create(
            s,
            runtime.keyring,
            row,
            agent,
            directory.partner("police-littoral"),
            directory.contact("Cdt. Jean Modèle"),
            "Intervention chez le patron",
            now=SENT,
        )
        await lifecycle.send(s, runtime, referral, agent, now=SENT)
        await lifecycle.move_by_agent(
            s, runtime.keyring, referral, agent, "accepted", note="Equipe sur place", now=SENT
        )
        await lifecycle.move_by_agent(s, runtime.keyring, referral, agent, "completed", note=None, now=SENT)
        row.status, row.outcome, row.closed_at = "closed", "referred_partner", SENT
    days = runtime.settings.retention_body_days

    await run_retention(runtime, now=SENT + timedelta(days=days - 1))
    kept = await session.get(Referral, referral.id)
    assert kept is not None and lifecycle.needs_text(runtime.keyring, kept) == "Intervention chez le patron"

    await run_retention(runtime, now=SENT + timedelta(days=days))
    await session.refresh(kept)
    assert kept.needs_enc is None and kept.partner_note_enc is None
    assert (kept.status, kept.partner_kind, kept.completed_at) == ("completed", "police", SENT)
    assert kept.shared is not None and kept.shared["to"]["partner"] == "police-littoral"


async def test_a_persons_export_names_every_partner_their_report_was_sent_to(
    runtime: Runtime, directory: Directory
) -> None:
    from hotline.privacy.requests import export
    from tests.privacy.reports import text_report

    number = "+237677123456"
    agent = await agent_with_phone(runtime, "awa", Role.supervisor)
    report = await text_report(runtime, number)
    async with unit_of_work(runtime.sessions) as s:
        case = await s.get(Case, report.case_id)
        assert case is not None
        case.share_consent = {"given": True, "by": str(agent.id), "at": SENT.isoformat()}
        for slug, contact in (("police-littoral", "Cdt. Jean Modèle"), ("iom-yaounde", "Aïcha Demo")):
            referral = await lifecycle.create(
                s,
                runtime.keyring,
                case,
                agent,
                directory.partner(slug),
                directory.contact(contact),
                "Aide",
                now=SENT,
            )
            if slug == "police-littoral":
                await lifecycle.send(s, runtime, referral, agent, now=SENT)
    document = await export(runtime, number, now=SENT + timedelta(days=1))
    [sent] = document["referrals"]
    assert sent["partner_kind"] == "police" and sent["status"] == "sent" and sent["basis"] == "consent"
    assert sent["shared_fields"] == sorted(lifecycle.SHARED_FIELDS) and sent["needs"] == "Aide"
    assert "IOM" not in str(document["referrals"]), "a draft never left: not a recipient"
