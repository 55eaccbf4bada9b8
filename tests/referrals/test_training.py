"""A training room's referrals go with `hotline training reset`; real referrals stay."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Case, Referral, ReferralLink, Role
from hotline.training.reset import reset_training
from tests.referrals.conftest import Directory, agent_with_phone, make_case, refer


async def test_reset_removes_training_referrals_and_their_links_only(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    real = await make_case(runtime, share=True)
    trained = await make_case(runtime, share=True)
    now = datetime.now(UTC)
    async with unit_of_work(runtime.sessions) as s:
        row = await s.get(Case, trained.id)
        assert row is not None
        row.training = True
    for case in (real, trained):
        await refer(runtime, case, agent, directory, "police-littoral", "Cdt. Jean Modèle", now=now)
    async with unit_of_work(runtime.sessions) as s:
        counts = await reset_training(s, actor="test")
    assert (counts["referrals"], counts["referral_links"], counts["cases"]) == (1, 1, 1)
    left = (await session.execute(select(Referral))).scalars().all()
    assert [r.case_id for r in left] == [real.id] and not left[0].training
    assert len((await session.execute(select(ReferralLink))).scalars().all()) == 1
