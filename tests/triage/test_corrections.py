"""Agents' corrections become training reports: read from the database, texts opened in memory only."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from structlog.testing import capture_logs

from hotline.core.runtime import Runtime
from hotline.models import Case, Role
from hotline.triage.corrections import corrected_examples
from tests.fixtures.accounts import bearer, make_agent, token_for
from tests.fixtures.messaging import drain, text

REPORT = "un ami m'a dit qu'à Deido un patron ne paie pas ses employés depuis un moment"


async def test_a_case_an_agent_corrected_becomes_a_labelled_report(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """The caller's words and the agent's category and severity make one training report; nothing is logged."""
    await text(client, REPORT, sender="+237690000301")
    await text(client, "rien à signaler, merci", sender="+237690000302")
    await drain(runtime)
    cases = (await session.execute(select(Case).order_by(Case.created_at))).scalars().all()
    assert len(cases) == 2
    corrected = next(c for c in cases if c.region == "Littoral")
    await make_agent(runtime, "alice", Role.agent, ("Littoral",))
    alice = bearer(await token_for(client, "alice"))
    # the agent's label differs from the machine's, whatever the machine said
    category = "migrant_distress" if corrected.category != "migrant_distress" else "trafficking"
    answer = await client.post(
        f"/api/v1/cases/{corrected.id}/override",
        json={"category": category, "severity": "critical", "reason": "rappelé: il est enfermé"},
        headers=alice,
    )
    assert answer.status_code == 200, answer.text

    with capture_logs() as logs:
        async with runtime.sessions() as reader:
            examples = await corrected_examples(reader, runtime.keyring)
    assert [e.text for e in examples] == [REPORT], "only the corrected case, with the caller's own words"
    label = examples[0].expected
    assert (label["category"], label["severity"]) == (category, "critical")
    assert (label["form"] is not None) == (category == "trafficking")
    assert label["region"] == "Littoral"
    assert REPORT[:20] not in repr(logs)
