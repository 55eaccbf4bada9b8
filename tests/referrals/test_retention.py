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
