"""``/api/v1/cases``: the most urgent first, each person sees only what their role allows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Case, Role
from tests.fixtures.accounts import bearer, make_agent, token_for
from tests.fixtures.references import unique_reference

CASE_FIELDS = {
    "id",
    "reference",
    "status",
    "channel",
    "created_at",
    "category",
    "form",
    "severity",
    "minor",
    "imminent_danger",
    "region",
    "abroad",
    "language",
    "reasons",
    "assignee",
    "ack_deadline",
    "escalation",
}


async def make_case(
    runtime: Runtime, *, region: str | None, severity: str | None, minutes_ago: int = 0
) -> Case:
    async with unit_of_work(runtime.sessions) as session:
        case = Case(
            reference=unique_reference(),
            channel="sms",
            caller_ref="c" * 64,
            region=region,
            severity=severity,
            category=None if severity is None else "trafficking",
            reasons=[] if severity is None else [f"{severity}: test"],
            created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        )
        session.add(case)
        await session.flush()
        return case


async def test_a_supervisor_sees_every_case_most_urgent_first_with_the_contract_fields(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_case(runtime, region="Centre", severity="low")
    await make_case(runtime, region="Littoral", severity="critical")
    await make_case(runtime, region=None, severity=None)
    await make_case(runtime, region="Nord", severity="high")
    await make_agent(runtime, "sup", Role.supervisor)
    response = await client.get("/api/v1/cases", headers=bearer(await token_for(client, "sup")))
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4
    assert [c["severity"] for c in body["items"]] == ["critical", "high", "low", None]
    assert set(body["items"][0]) >= CASE_FIELDS
    untriaged = body["items"][3]
    assert untriaged["category"] is None and untriaged["region"] is None


async def test_an_agent_sees_only_the_cases_of_their_regions(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    mine = await make_case(runtime, region="Littoral", severity="high")
    other = await make_case(runtime, region="Nord", severity="critical")
    await make_agent(runtime, "ngo", Role.agent, ("Littoral",))
    headers = bearer(await token_for(client, "ngo"))
    listed = (await client.get("/api/v1/cases", headers=headers)).json()
    assert [c["id"] for c in listed["items"]] == [str(mine.id)]
    assert (await client.get(f"/api/v1/cases/{mine.id}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/v1/cases/{other.id}", headers=headers)).status_code == 404


async def test_an_analyst_never_reads_a_case(client: httpx.AsyncClient, runtime: Runtime) -> None:
    case = await make_case(runtime, region="Centre", severity="high")
    await make_agent(runtime, "ana", Role.analyst)
    headers = bearer(await token_for(client, "ana"))
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 403
    assert (await client.get(f"/api/v1/cases/{case.id}", headers=headers)).status_code == 403


async def test_filters_limit_and_offset(client: httpx.AsyncClient, runtime: Runtime) -> None:
    for minutes in range(5):
        await make_case(runtime, region="Centre", severity="high", minutes_ago=minutes)
    await make_case(runtime, region="Centre", severity="low")
    await make_agent(runtime, "sup", Role.supervisor)
    headers = bearer(await token_for(client, "sup"))
    page = (await client.get("/api/v1/cases?severity=high&limit=2&offset=1", headers=headers)).json()
    assert page["total"] == 5
    assert len(page["items"]) == 2
    assert {c["severity"] for c in page["items"]} == {"high"}
    assert (await client.get("/api/v1/cases?limit=1001", headers=headers)).status_code == 422
    assert (await client.get("/api/v1/cases?severity=urgent", headers=headers)).status_code == 422
    assert (
        await client.get("/api/v1/cases?region=';DROP TABLE cases;--", headers=headers)
    ).status_code == 422


async def test_reading_a_case_is_an_audit_event(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    case = await make_case(runtime, region="Centre", severity="high")
    agent = await make_agent(runtime, "sup", Role.supervisor)
    response = await client.get(f"/api/v1/cases/{case.id}", headers=bearer(await token_for(client, "sup")))
    assert response.status_code == 200
    assert response.json()["reference"] == case.reference
    viewed = (
        await session.execute(select(AuditEntry).where(AuditEntry.action == "case.viewed"))
    ).scalar_one()
    assert viewed.subject == str(case.id)
    assert viewed.actor == f"agent:{agent.id}"


async def test_an_unknown_or_malformed_case_id_is_a_clean_4xx(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_agent(runtime, "sup", Role.supervisor)
    headers = bearer(await token_for(client, "sup"))
    assert (await client.get(f"/api/v1/cases/{uuid.uuid4()}", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/cases/not-a-uuid", headers=headers)).status_code == 422


async def test_an_absurd_offset_is_a_clean_422_not_a_500(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """Found by fuzzing: an offset beyond SQLite's integers once answered 500."""
    await make_agent(runtime, "sup", Role.supervisor)
    headers = bearer(await token_for(client, "sup"))
    response = await client.get("/api/v1/cases?offset=505926974564939943543260053504", headers=headers)
    assert response.status_code == 422
