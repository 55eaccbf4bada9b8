"""``/console/stats``: the analysts' page, with suppressed cells shown as such and a CSV download."""

from __future__ import annotations

import httpx
import pytest

from hotline.core.runtime import Runtime
from hotline.models import Role
from tests.conftest import app_for
from tests.console.conftest import Browser
from tests.fixtures.accounts import make_agent
from tests.fixtures.stats import add_cases, refresh_rollups

QUERY = "measure=cases&group_by=region&from=2026-03-01&to=2026-03-31"


async def browser_as(runtime: Runtime, client: httpx.AsyncClient, role: Role) -> Browser:
    await make_agent(runtime, f"page-{role.value}", role)
    browser = Browser(client)
    response = await browser.sign_in(f"page-{role.value}")
    assert response.status_code == 303, response.text
    return browser


@pytest.mark.parametrize("role", [Role.analyst, Role.supervisor, Role.admin])
async def test_the_page_shows_the_protected_table_a_chart_and_a_csv_link(
    runtime: Runtime, role: Role
) -> None:
    await add_cases(runtime, 30, region="Littoral")
    await add_cases(runtime, 25, region="Centre")
    await add_cases(runtime, 2, region="Sud")
    await refresh_rollups(runtime)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        browser = await browser_as(runtime, client, role)
        page = await browser.client.get(f"/console/stats?{QUERY}")
        assert page.status_code == 200, page.text
        html = page.text
        assert "chart-4.5.1.umd.min.js" in html
        assert 'id="stats-data"' in html
        assert html.count('<td class="suppressed"') == 2  # Sud, and Centre with it
        assert '<td class="num">30</td>' in html
        assert '<td class="num">57</td>' in html  # the total
        csv = await browser.client.get(f"/console/stats.csv?{QUERY}")
        assert csv.status_code == 200
        assert "Littoral,30,false" in csv.text
        assert "Sud,,true" in csv.text
        script = await browser.client.get("/console/stats/static/chart-4.5.1.umd.min.js")
        assert script.status_code == 200
        assert "Chart.js v4.5.1" in script.text


async def test_agents_do_not_get_the_statistics_page(runtime: Runtime) -> None:
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        browser = await browser_as(runtime, client, Role.agent)
        assert (await browser.client.get(f"/console/stats?{QUERY}")).status_code == 403
        assert (await browser.client.get(f"/console/stats.csv?{QUERY}")).status_code == 403


async def test_signed_out_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/stats")
    assert response.status_code in (302, 303)
    assert "/console/login" in response.headers["location"]
