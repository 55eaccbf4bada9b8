"""Referral figures: sent by partner type and outcome, hours to acceptance and to completion."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Case, Referral, Role
from tests.fixtures.stats import DAY, add_referrals, refresh_rollups
from tests.stats.noise import near
from tests.stats.test_api import RANGE, analyst, cell


async def stats(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = await client.get("/api/v1/stats", params={**RANGE, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_referrals_by_partner_type_and_outcome_with_small_cells_suppressed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Sent referrals are counted by partner type and current status; a cell under 5 is hidden
    with enough others that no total gives it away; drafts were never sent and never count."""
    await add_referrals(runtime, 12, partner_kind="iom", status="completed")
    await add_referrals(runtime, 6, partner_kind="iom", status="declined")
    await add_referrals(runtime, 7, partner_kind="iom", status="accepted")
    await add_referrals(runtime, 4, partner_kind="iom", status="draft", sent_at=None)
    await add_referrals(runtime, 8, partner_kind="shelter", status="completed")
    await add_referrals(runtime, 2, partner_kind="shelter", status="declined")
    await add_referrals(runtime, 5, partner_kind="shelter", status="in_progress")
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)

    body = await stats(client, headers, measure="referrals", group_by="partner_kind,outcome")
    assert body["k"] == 5
    assert body["columns"] == ["partner_kind", "outcome", "count", "suppressed"]
    small = cell(body, partner_kind="shelter", outcome="declined")
    assert small == {"partner_kind": "shelter", "outcome": "declined", "count": None, "suppressed": True}
    published = [*body["items"], *body["margins"]["rows"], *body["margins"]["columns"]]
    assert all(c["count"] is None or c["count"] >= 5 for c in published)
    # Its row and its column each hide another positive count: the margins cannot give it away.
    hidden = [(c["partner_kind"], c["outcome"]) for c in body["items"] if c["suppressed"]]
    assert ("iom", "declined") in hidden
    assert len([h for h in hidden if h[0] == "shelter" and h[1] in ("completed", "in_progress")]) >= 1
    assert near(cell(body, partner_kind="iom", outcome="accepted")["count"], 7)
    rows = {c["partner_kind"]: c["count"] for c in body["margins"]["rows"]}
    assert rows.keys() == {"iom", "shelter"}
    assert near(rows["iom"], 25) and near(rows["shelter"], 15)
    assert near(body["margins"]["all"]["count"], 40)

    by_outcome = await stats(client, headers, measure="referrals", group_by="outcome")
    counts = {c["outcome"]: c["count"] for c in by_outcome["items"]}
    expected = {"accepted": 7, "completed": 20, "declined": 8, "in_progress": 5}
    assert counts.keys() == expected.keys()
    assert all(near(counts[outcome], n) for outcome, n in expected.items())
    # The same records are the same cell whichever table shows it: the same published count.
    assert counts["accepted"] == cell(body, partner_kind="iom", outcome="accepted")["count"]


async def test_hours_to_acceptance_and_to_completion_by_partner_type(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Median and 90th percentile of the hours from sending to acceptance and to completion,
    each counted on the referrals that got there (estimated from the documented histogram)."""
    await add_referrals(runtime, 6, partner_kind="iom", status="accepted", accept_hours=3)
    await add_referrals(
        runtime, 5, partner_kind="iom", status="completed", accept_hours=30, complete_hours=50
    )
    await add_referrals(runtime, 3, partner_kind="iom", status="declined")
    await add_referrals(
        runtime, 5, partner_kind="shelter", status="completed", accept_hours=1.5, complete_hours=50
    )
    await add_referrals(
        runtime, 5, partner_kind="shelter", status="completed", accept_hours=1.5, complete_hours=200
    )
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)

    accept = await stats(client, headers, measure="referral_accept_time", group_by="partner_kind")
    assert accept["columns"] == ["partner_kind", "count", "median_hours", "p90_hours", "suppressed"]
    # iom: 6 in (2, 4] h and 5 in (24, 48] h: the median (5.5th of 11) lies in (2, 4] and reads
    # as its bound, 4 h; the 90th (9.9th) in (24, 48]: 48 h. The 3 declined were never accepted.
    iom = cell(accept, partner_kind="iom")
    assert near(iom["count"], 11) and (iom["median_hours"], iom["p90_hours"]) == (4.0, 48.0)
    shelter = cell(accept, partner_kind="shelter")  # all 10 in (1, 2] h
    assert near(shelter["count"], 10) and (shelter["median_hours"], shelter["p90_hours"]) == (2.0, 2.0)
    both = accept["margins"]["all"]
    assert near(both["count"], 21) and (both["median_hours"], both["p90_hours"]) == (4.0, 48.0)

    complete = await stats(client, headers, measure="referral_complete_time", group_by="partner_kind")
    iom = cell(complete, partner_kind="iom")  # 5 in (48, 72] h
    assert near(iom["count"], 5) and (iom["median_hours"], iom["p90_hours"]) == (72.0, 72.0)
    # shelter: 5 in (48, 72] h and 5 in (168, 240] h.
    shelter = cell(complete, partner_kind="shelter")
    assert near(shelter["count"], 10) and (shelter["median_hours"], shelter["p90_hours"]) == (72.0, 240.0)


async def test_a_time_measured_on_few_referrals_is_suppressed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A time is protected on the referrals it is measured on: 20 sent to the police but 3
    accepted is a count of 20 and a hidden time (its median would describe 3 cases)."""
    await add_referrals(runtime, 17, partner_kind="police", status="declined")
    await add_referrals(runtime, 3, partner_kind="police", status="accepted", accept_hours=2)
    await add_referrals(runtime, 11, partner_kind="iom", status="accepted", accept_hours=5)
    await add_referrals(runtime, 12, partner_kind="ngo", status="accepted", accept_hours=5)
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    sent = await stats(client, headers, measure="referrals", group_by="partner_kind")
    assert near(cell(sent, partner_kind="police")["count"], 20)
    accept = await stats(client, headers, measure="referral_accept_time", group_by="partner_kind")
    police = cell(accept, partner_kind="police")
    assert police == {
        "partner_kind": "police",
        "count": None,
        "median_hours": None,
        "p90_hours": None,
        "suppressed": True,
    }
    assert near(accept["margins"]["all"]["count"], 26)
    assert sum(1 for c in accept["items"] if c["suppressed"]) == 2  # police, and a complement


async def test_training_demo_and_draft_referrals_never_count(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Training referrals, referrals on training cases or on cases from demo data, and drafts
    are left out of every referral figure."""
    await add_referrals(runtime, 8, partner_kind="iom", status="completed")
    await add_referrals(runtime, 30, partner_kind="iom", status="completed", training=True)
    await add_referrals(runtime, 30, partner_kind="iom", status="completed", case_training=True)
    await add_referrals(runtime, 30, partner_kind="iom", status="completed", provider="demo")
    await add_referrals(runtime, 6, partner_kind="iom", status="draft", sent_at=None)
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    for measure in ("referrals", "referral_accept_time", "referral_complete_time"):
        body = await stats(client, headers, measure=measure, group_by="partner_kind")
        assert near(cell(body, partner_kind="iom")["count"], 8), measure


async def test_by_region_and_category_of_the_case_and_per_month(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Referrals take their case's region and category, and fall on the day they were sent."""
    await add_referrals(runtime, 9, partner_kind="iom", region="Extreme-Nord", category="migrant_distress")
    await add_referrals(runtime, 7, partner_kind="shelter", region="Littoral", category="trafficking")
    await add_referrals(runtime, 6, partner_kind="shelter", sent_at=DAY - timedelta(days=20))  # in February
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    body = await stats(client, headers, measure="referrals", group_by="region,partner_kind")
    assert near(cell(body, region="Extreme-Nord", partner_kind="iom")["count"], 9)
    assert near(cell(body, region="Littoral", partner_kind="shelter")["count"], 7)
    by_category = await stats(client, headers, measure="referrals", group_by="category")
    # the same nine referrals: the same published count
    assert (
        cell(by_category, category="migrant_distress")["count"]
        == cell(body, region="Extreme-Nord", partner_kind="iom")["count"]
    )

    response = await client.get(
        "/api/v1/stats.csv",
        params={
            "measure": "referrals",
            "group_by": "partner_kind",
            "period": "month",
            "from": "2026-02-01",
            "to": "2026-03-31",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    lines = list(csv.reader(io.StringIO(response.text)))
    assert lines[0] == ["period", "partner_kind", "count", "suppressed"]
    published = {(line[0], line[1]): line for line in lines[1:]}
    for period, kind, true in (("2026-02", "shelter", 6), ("2026-03", "shelter", 7), ("2026-03", "iom", 9)):
        line = published[(period, kind)]
        assert line[3] == "false" and near(int(line[2]), true), line


async def test_a_referral_that_moves_or_whose_case_changes_is_recounted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The next refresh counts a referral at its new status and its case's new region."""
    referrals = await add_referrals(runtime, 6, partner_kind="iom", status="sent", region="Centre")
    await refresh_rollups(runtime)
    headers = await analyst(client, runtime)
    body = await stats(client, headers, measure="referrals", group_by="outcome,region")
    assert near(cell(body, outcome="sent", region="Centre")["count"], 6)

    now = datetime.now(UTC)
    async with unit_of_work(runtime.sessions) as session:
        for referral in (await session.scalars(select(Referral))).all():
            referral.status = "accepted"
            referral.accepted_at = DAY + timedelta(hours=6)
            referral.updated_at = now
        for case in (
            await session.scalars(select(Case).where(Case.id.in_([r.case_id for r in referrals])))
        ).all():
            case.region = "Nord"
            case.updated_at = now
    await refresh_rollups(runtime, now + timedelta(minutes=1))
    body = await stats(client, headers, measure="referrals", group_by="outcome,region")
    assert [(c["outcome"], c["region"]) for c in body["items"]] == [("accepted", "Nord")]
    assert near(body["items"][0]["count"], 6)
    accept = await stats(client, headers, measure="referral_accept_time")
    assert accept["items"][0]["count"] == body["items"][0]["count"]  # the same six referrals


async def test_analysts_get_referral_figures_agents_do_not(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await add_referrals(runtime, 5, partner_kind="iom", status="completed")
    await refresh_rollups(runtime)
    params = {"measure": "referrals", "group_by": "partner_kind,outcome", **RANGE}
    agent = await analyst(client, runtime, Role.agent)
    assert (await client.get("/api/v1/stats", params=params, headers=agent)).status_code == 403
    assert (await client.get("/api/v1/stats.csv", params=params, headers=agent)).status_code == 403
    reader = await analyst(client, runtime)
    response = await client.get("/api/v1/stats.csv", params=params, headers=reader)
    assert response.status_code == 200
    assert response.text.splitlines()[1] in {f"iom,completed,{n},false" for n in (5, 6, 7)}
    async with runtime.sessions() as session:
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "stats.queried"))
        ).scalar_one()
    assert (entry.details["measure"], entry.details["group_by"]) == ("referrals", "partner_kind,outcome")


async def test_referral_tables_take_referral_dimensions_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    headers = await analyst(client, runtime)
    for params in (
        {"measure": "referrals", "group_by": "severity"},
        {"measure": "referral_accept_time", "group_by": "partner_kind,outcome,region"},
        {"measure": "cases", "group_by": "partner_kind"},
    ):
        response = await client.get("/api/v1/stats", params=params, headers=headers)
        assert response.status_code == 422, params
