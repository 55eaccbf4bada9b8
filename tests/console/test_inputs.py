"""Issue 20, point 6: inputs that were 500s, and ?msg= saying only what the app put there."""

from __future__ import annotations

from hotline.core.runtime import Runtime
from hotline.models import Role
from tests.console.conftest import BrowserFactory, reported_case, signed_in_as
from tests.fixtures.accounts import bearer, token_for


async def test_a_merge_reference_with_a_nul_byte_names_no_case(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    """Issue 20: reference=12%003 was a 500 on PostgreSQL. It is a reference of no case."""
    async with await signed_in_as(runtime, browser, "alice", Role.agent, ("Littoral",)) as b:
        case = await reported_case(runtime)
        response = await b.post(f"/console/cases/{case.id}/merge", {"reference": "12\x003"})
        assert response.status_code == 303
        assert response.headers["location"].endswith("?msg=merge_target_unknown")


async def test_statistics_dates_out_of_range_are_refused_clearly(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    """Issue 20: /console/stats?to=0001-01-01 was a 500 (OverflowError) on both backends. The page
    says which dates it takes; the API answers 422."""
    async with await signed_in_as(runtime, browser, "ana", Role.analyst) as b:
        for query in ("to=0001-01-01", "from=0001-01-01&to=0001-01-02", "to=9999-12-31", "from=9999-12-31"):
            page = await b.client.get(f"/console/stats?{query}")
            assert page.status_code == 200 and "2000-01-01" in page.text, (query, page.status_code)
            api = await b.client.get(
                f"/api/v1/stats?{query}", headers=bearer(await token_for(b.client, "ana"))
            )
            assert api.status_code == 422, (query, api.status_code)


async def test_the_case_page_shows_no_text_from_the_link(runtime: Runtime, browser: BrowserFactory) -> None:
    """Issue 20: ?msg= on the case page showed attacker-chosen text as an alert."""
    async with await signed_in_as(runtime, browser, "alice", Role.agent, ("Littoral",)) as b:
        case = await reported_case(runtime)
        forged = await b.client.get(f"/console/cases/{case.id}?msg=Call+0612345678+now")
        assert forged.status_code == 200 and "0612345678" not in forged.text
        known = await b.client.get(f"/console/cases/{case.id}?msg=merge_target_unknown")
        assert "no case with that reference" in known.text or "aucun cas de ce num" in known.text
