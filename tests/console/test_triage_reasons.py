"""The case page says why a case is urgent, in the agent's language, from the verdict the pipeline stored."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import Case, Role
from tests.console.conftest import BrowserFactory, signed_in_as
from tests.fixtures.messaging import drain, text


async def test_the_case_page_shows_the_triage_reasons_in_french(
    client: httpx.AsyncClient, runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    """A report triaged by the model and the safety layer shows its verdict's reasons in French, words quoted."""
    await text(client, "svp on m'a enfermée dans une chambre à Akwa, le patron a pris mon passeport")
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"
    assert case.reasons[0].startswith("severity critical:")
    async with await signed_in_as(runtime, browser, "awa", Role.agent, ("Littoral",)) as b:
        page = await b.client.get(f"/console/cases/{case.id}")
    assert page.status_code == 200
    assert "gravité critique :" in page.text
    assert "catégorie traite : modèle" in page.text
    assert "severity critical:" not in page.text
