"""``/console/stats``: the analysts' page, with suppressed cells shown as such and a CSV download."""

from __future__ import annotations

import httpx
import pytest

from hotline.core.runtime import Runtime
from hotline.models import Role
from tests.conftest import app_for
from tests.console.conftest import Browser
from tests.fixtures.accounts import make_agent
from tests.fixtures.stats import add_cases, add_referrals, refresh_rollups
from tests.stats.noise import NUM, shows_near

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
        assert shows_near(html, NUM, 30)
        assert shows_near(html, NUM, 57)  # the total
        csv = await browser.client.get(f"/console/stats.csv?{QUERY}")
        assert csv.status_code == 200
        assert shows_near(csv.text, r"Littoral,(\d+),false", 30)
        assert "Sud,,true" in csv.text
        script = await browser.client.get("/console/stats/static/chart-4.5.1.umd.min.js")
        assert script.status_code == 200
        assert "Chart.js v4.5.1" in script.text


async def test_the_form_groups_by_both_chosen_dimensions(runtime: Runtime) -> None:
    """Each "group by" select sends its own group_by: both count (the second alone used to win)."""
    await add_cases(runtime, 30, region="Littoral", category="trafficking")
    await add_cases(runtime, 20, region="Centre", category="migrant_distress")
    await refresh_rollups(runtime)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        browser = await browser_as(runtime, client, Role.analyst)
        both = await browser.client.get(
            "/console/stats?measure=cases&group_by=region&group_by=category&from=2026-03-01&to=2026-03-31"
        )
        assert '<th scope="col">region</th><th scope="col">category</th>' in both.text
        first_only = await browser.client.get(
            "/console/stats?measure=cases&group_by=region&group_by=&from=2026-03-01&to=2026-03-31"
        )
        assert '<th scope="col">region</th><th scope="col">count</th>' in first_only.text


async def test_the_page_shows_referrals_by_partner_type_and_outcome(runtime: Runtime) -> None:
    await add_referrals(runtime, 9, partner_kind="iom", status="completed", accept_hours=2)
    await add_referrals(runtime, 6, partner_kind="iom", status="declined")
    await refresh_rollups(runtime)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        browser = await browser_as(runtime, client, Role.analyst)
        page = await browser.client.get("/console/stats?from=2026-03-01&to=2026-03-31")
        assert "measure=referrals&amp;group_by=partner_kind,outcome&amp;from=2026-03-01" in page.text
        page = await browser.client.get(
            "/console/stats?measure=referrals&group_by=partner_kind&group_by=outcome&from=2026-03-01&to=2026-03-31"
        )
        assert page.status_code == 200, page.text
        html = page.text
        assert '<th scope="col">partner_kind</th><th scope="col">outcome</th>' in html
        assert "<td>iom</td><td>completed</td>" in html
        assert shows_near(html, NUM, 9)
        assert shows_near(html, NUM, 15)  # the total
        assert "declined, completed and closed_without_action are final" in html
        times = await browser.client.get(
            "/console/stats?measure=referral_accept_time&group_by=partner_kind&from=2026-03-01&to=2026-03-31"
        )
        assert '<th scope="col">median_hours</th><th scope="col">p90_hours</th>' in times.text
        # all in (1, 2] h: the median and the 90th percentile read as the bucket's bound
        assert shows_near(times.text, NUM + r'<td class="num">2\.0</td><td class="num">2\.0</td>', 9)


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
