"""``/api/v1/stats`` and ``.csv``: protected tables, for analysts, supervisors and admins only."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import select

from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Role
from tests.fixtures.accounts import bearer, make_agent, token_for
from tests.fixtures.stats import add_call, add_cases, refresh_rollups
from tests.stats.noise import near

RANGE = {"from": "2026-03-01", "to": "2026-03-31"}


async def analyst(client: httpx.AsyncClient, runtime: Runtime, role: Role = Role.analyst) -> dict[str, str]:
    await make_agent(runtime, f"stats-{role.value}", role)
    return bearer(await token_for(client, f"stats-{role.value}"))


def cell(body: dict[str, object], **labels: str) -> dict[str, object]:
    items = body["items"]
    assert isinstance(items, list)
    found = [i for i in items if all(i.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (labels, items)
    return found[0]  # type: ignore[no-any-return]


async def test_cases_by_region_and_category_with_small_cells_suppressed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A cell under 5 is never shown, and enough others are hidden that the totals cannot give it away."""
    await add_cases(runtime, 20, region="Littoral", category="trafficking")
    await add_cases(runtime, 12, region="Littoral", category="migrant_distress")
    await add_cases(runtime, 15, region="Centre", category="trafficking")
    await add_cases(runtime, 2, region="Centre", category="migrant_distress")
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    response = await client.get(
        "/api/v1/stats", params={"measure": "cases", "group_by": "region,category", **RANGE}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["k"] == 5
    assert body["total"] == len(body["items"]) == 4
    small = cell(body, region="Centre", category="migrant_distress")
    assert small == {"region": "Centre", "category": "migrant_distress", "count": None, "suppressed": True}
    hidden = [i for i in body["items"] if i["suppressed"]]
    assert len(hidden) == 4  # a 2x2 table: the small cell takes the other three with it
    assert near(body["margins"]["all"]["count"], 49)
    assert all(i["count"] is None or i["count"] >= 5 for i in body["items"])


async def test_training_and_demo_cases_never_count(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Training cases and cases opened from demo data are excluded from every figure."""
    await add_cases(runtime, 8, region="Nord")
    await add_cases(runtime, 30, region="Nord", training=True)
    await add_cases(runtime, 30, region="Nord", provider="demo")
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    body = (
        await client.get(
            "/api/v1/stats", params={"measure": "cases", "group_by": "region", **RANGE}, headers=headers
        )
    ).json()
    assert near(cell(body, region="Nord")["count"], 8)


async def test_a_table_about_minors_needs_ten(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Any table grouped by minor uses k = 10: a count of 7 children is hidden."""
    await add_cases(runtime, 7, minor=True)
    await add_cases(runtime, 40, minor=False)
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    body = (
        await client.get(
            "/api/v1/stats", params={"measure": "cases", "group_by": "minor", **RANGE}, headers=headers
        )
    ).json()
    assert body["k"] == 10
    assert cell(body, minor="yes")["suppressed"] is True
    assert cell(body, minor="no")["suppressed"] is True  # else the total minus 40 gives the 7


async def test_rare_categories_fold_into_other(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await add_cases(runtime, 30, category="trafficking")
    await add_cases(runtime, 2, category="information")
    await add_cases(runtime, 3, category="returnee_support")
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    body = (
        await client.get(
            "/api/v1/stats", params={"measure": "cases", "group_by": "category", **RANGE}, headers=headers
        )
    ).json()
    assert {i["category"] for i in body["items"]} == {"trafficking", "other"}
    assert near(cell(body, category="other")["count"], 5)


async def test_acknowledgement_times_and_sla_by_severity(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Median and 90th percentile of the time to first acknowledgement, and SLA compliance."""
    await add_cases(runtime, 10, severity="critical", ack_minutes=4, sla="met")
    await add_cases(runtime, 10, severity="critical", ack_minutes=25, sla="breached")
    await add_cases(runtime, 20, severity="high", ack_minutes=8, sla="met")
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime, Role.supervisor)
    body = (
        await client.get(
            "/api/v1/stats", params={"measure": "ack_time", "group_by": "severity", **RANGE}, headers=headers
        )
    ).json()
    critical = cell(body, severity="critical")
    assert near(critical["count"], 20)
    # Bucket bounds, not interpolated: half within (3, 5] min, 90% within (20, 30] min.
    assert critical["median_seconds"] == 5 * 60
    assert critical["p90_seconds"] == 30 * 60
    sla = (
        await client.get(
            "/api/v1/stats", params={"measure": "sla", "group_by": "severity", **RANGE}, headers=headers
        )
    ).json()
    # 10 met of 20 settled, each count perturbed by at most 2: between 8/22 and 12/18.
    assert 36 <= cell(sla, severity="critical")["compliance_percent"] <= 67
    assert cell(sla, severity="high")["compliance_percent"] == 100  # the same records: the same noise


async def test_calls_answered_abandoned_completed(client: httpx.AsyncClient, runtime: Runtime) -> None:
    for _ in range(6):
        await add_call(runtime, status="completed", with_case=True)
    for _ in range(7):
        await add_call(runtime, status="completed")  # hung up with nothing said
    for _ in range(5):
        await add_call(runtime, status="no-answer")
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime, Role.admin)
    body = (
        await client.get(
            "/api/v1/stats", params={"measure": "calls", "group_by": "outcome", **RANGE}, headers=headers
        )
    ).json()
    assert near(cell(body, outcome="completed")["count"], 6)
    assert near(cell(body, outcome="abandoned")["count"], 7)
    assert near(cell(body, outcome="unanswered")["count"], 5)


async def test_monthly_series_by_region_csv(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await add_cases(runtime, 9, region="Ouest")
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    response = await client.get(
        "/api/v1/stats.csv",
        params={
            "measure": "cases",
            "group_by": "region",
            "period": "month",
            "from": "2026-02-01",
            "to": "2026-03-31",
        },
        headers=headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.text)))
    assert lines[0] == ["period", "region", "count", "suppressed"]
    march = [line for line in lines if line[:2] == ["2026-03", "Ouest"]]
    assert len(march) == 1 and march[0][3] == "false" and near(int(march[0][2]), 9)
    assert ["2026-02", "Ouest", "", "true"] in lines


async def test_only_analysts_supervisors_and_admins(client: httpx.AsyncClient, runtime: Runtime) -> None:
    headers = await analyst(client, runtime, Role.agent)
    assert (await client.get("/api/v1/stats", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/stats.csv", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/stats")).status_code == 401


async def test_each_query_is_an_audit_event(client: httpx.AsyncClient, runtime: Runtime) -> None:
    headers = await analyst(client, runtime)
    await client.get(
        "/api/v1/stats", params={"measure": "sla", "group_by": "region", **RANGE}, headers=headers
    )
    async with runtime.sessions() as session:
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "stats.queried"))
        ).scalar_one()
    assert entry.details["measure"] == "sla"
    assert entry.details["group_by"] == "region"
    assert entry.details["format"] == "json"


async def test_bad_queries_are_refused_clearly(client: httpx.AsyncClient, runtime: Runtime) -> None:
    headers = await analyst(client, runtime)
    for params in (
        {"group_by": "caller_ref"},
        {"group_by": "region,category,severity"},
        {"measure": "calls", "group_by": "region"},
        {"period": "day", "from": "2020-01-01", "to": "2026-01-01"},
        {"from": "2026-03-02", "to": "2026-03-01"},
        # Found by fuzzing: dates this far out once overflowed PostgreSQL's date arithmetic (a 500).
        {"measure": "sla", "to": "0001-01-04"},
        {"from": "9999-12-30"},
    ):
        response = await client.get("/api/v1/stats", params=params, headers=headers)
        assert response.status_code == 422, params
