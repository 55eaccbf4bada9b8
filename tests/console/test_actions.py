"""What agents and supervisors do to a case, through the console and the API."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Agent, AuditEntry, Case, CaseNote, Contact, Role
from hotline.privacy.sealed import set_agent_phone
from tests.conftest import app_for
from tests.console.conftest import BrowserFactory, reported_case, signed_in_as
from tests.fixtures.accounts import bearer, make_agent, token_for
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.fake_twilio import FakeTwilio
from tests.fixtures.routing import twilio_for
from tests.fixtures.twilio import post_signed

CALLER = "+237677123456"
AGENT_PHONE = "+237699000111"


async def actions_of(session: AsyncSession, case_id: object) -> list[str]:
    rows = await session.execute(select(AuditEntry.action).where(AuditEntry.subject == str(case_id)))
    return list(rows.scalars())


async def test_an_agent_acknowledges_notes_and_closes_a_case_with_an_outcome(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    async with await signed_in_as(runtime, browser, "alice", Role.agent, ("Littoral",)) as b:
        agent = (await session.execute(select(Agent).where(Agent.username == "alice"))).scalar_one()
        case = await reported_case(runtime, assignee=agent)
        ack = await b.post(f"/console/cases/{case.id}/acknowledge")
        assert ack.headers["location"].endswith("msg=done")
        await b.post(f"/console/cases/{case.id}/notes", {"text": "Parlé à la gendarmerie"})
        no_outcome = await b.post(f"/console/cases/{case.id}/status", {"status": "closed"})
        assert no_outcome.headers["location"].endswith("msg=outcome_required")
        closed = await b.post(f"/console/cases/{case.id}/status", {"status": "closed", "outcome": "assisted"})
        assert closed.headers["location"].endswith("msg=done")
        page = await b.client.get(f"/console/cases/{case.id}")
    assert "Parlé à la gendarmerie" in page.text and "clos" in page.text
    stored = (await session.execute(select(CaseNote))).scalar_one()
    assert stored.body_enc is not None and "gendarmerie" not in stored.body_enc, "notes are sealed at rest"
    done = await actions_of(session, case.id)
    assert {"case.acknowledged", "case.note_added", "case.status_changed", "case.viewed"} <= set(done)
    chain = str([e.details for e in (await session.execute(select(AuditEntry))).scalars()])
    assert "gendarmerie" not in chain


async def test_lowering_the_severity_needs_a_supervisor_and_a_reason_and_keeps_the_machine_verdict(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """An agent may raise a severity but not lower it; the machine's verdict stays beside the override."""
    await make_agent(runtime, "alice", Role.agent, ("Littoral",))
    await make_agent(runtime, "sue", Role.supervisor)
    case = await reported_case(runtime, severity="high")
    alice = bearer(await token_for(client, "alice"))
    sue = bearer(await token_for(client, "sue"))
    url = f"/api/v1/cases/{case.id}/override"
    no_reason = await client.post(url, json={"severity": "low", "reason": ""}, headers=sue)
    assert no_reason.status_code == 422
    lowered = await client.post(url, json={"severity": "low", "reason": "a test"}, headers=alice)
    assert lowered.status_code == 403 and lowered.json()["detail"] == "downgrade_needs_supervisor"
    raised = await client.post(url, json={"severity": "critical", "reason": "child alone"}, headers=alice)
    assert raised.status_code == 200 and raised.json()["severity"] == "critical"
    ok = await client.post(url, json={"severity": "low", "reason": "adult, safe now"}, headers=sue)
    assert ok.status_code == 200 and ok.json()["severity"] == "low"
    stored = await session.get(Case, case.id)
    assert stored is not None and stored.override is not None
    assert stored.override["machine"] == {"category": "trafficking", "severity": "high"}


async def test_reassign_is_for_supervisors_and_the_new_owner_may_acknowledge(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice = await make_agent(runtime, "alice", Role.agent, ("Centre",))
    await make_agent(runtime, "bob", Role.agent, ("Littoral",))
    await make_agent(runtime, "sue", Role.supervisor)
    case = await reported_case(runtime)
    bob = bearer(await token_for(client, "bob"))
    refused = await client.post(
        f"/api/v1/cases/{case.id}/reassign", json={"agent_id": str(alice.id)}, headers=bob
    )
    assert refused.status_code == 403
    sue = bearer(await token_for(client, "sue"))
    moved = await client.post(
        f"/api/v1/cases/{case.id}/reassign", json={"agent_id": str(alice.id)}, headers=sue
    )
    assert moved.status_code == 200 and moved.json()["assignee"]["username"] == "alice"
    mine = bearer(await token_for(client, "alice"))  # Centre only: sees it because it is hers now
    ack = await client.post(f"/api/v1/cases/{case.id}/acknowledge", headers=mine)
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"


async def test_merging_moves_every_contact_and_closes_the_duplicate(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await make_agent(runtime, "alice", Role.agent, ("Littoral",))
    first = await reported_case(runtime, severity="medium")
    second = await reported_case(runtime, severity="critical")
    alice = bearer(await token_for(client, "alice"))
    merged = await client.post(
        f"/api/v1/cases/{second.id}/merge", json={"into": str(first.id)}, headers=alice
    )
    assert merged.status_code == 200
    assert merged.json()["id"] == str(first.id) and merged.json()["severity"] == "critical"
    contacts = (await session.execute(select(Contact.case_id))).scalars().all()
    assert set(contacts) == {first.id}
    duplicate = await session.get(Case, second.id)
    assert duplicate is not None and duplicate.status == "closed" and duplicate.merged_into_id == first.id


async def test_an_agent_outside_the_region_cannot_act_on_or_see_a_case(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_agent(runtime, "carl", Role.agent, ("Centre",))
    case = await reported_case(runtime)
    carl = bearer(await token_for(client, "carl"))
    for path in ("take", "notes", "callback"):
        response = await client.post(f"/api/v1/cases/{case.id}/{path}", json={"text": "x"}, headers=carl)
        assert response.status_code == 404, path


async def test_the_masked_callback_rings_the_agent_then_bridges_without_showing_the_number(
    runtime: Runtime, browser: BrowserFactory, fake_twilio: FakeTwilio, session: AsyncSession
) -> None:
    """The agent's phone is called; only Twilio's signed fetch of the bridge gets the caller's number."""
    rt = dataclasses.replace(runtime, telephony=twilio_for(fake_twilio))
    agent = await make_agent(rt, "alice", Role.agent, ("Littoral",))
    async with unit_of_work(rt.sessions) as s:
        fresh = await s.get(Agent, agent.id)
        assert fresh is not None
        set_agent_phone(rt.keyring, fresh, AGENT_PHONE)
    no_consent = await reported_case(rt)
    case = await reported_case(rt, callback=CALLER)
    transport = httpx.ASGITransport(app=app_for(rt))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = bearer(await token_for(client, "alice"))
        refused = await client.post(f"/api/v1/cases/{no_consent.id}/callback", headers=token)
        assert refused.status_code == 409 and refused.json()["detail"] == "no_callback_consent"
        started = await client.post(f"/api/v1/cases/{case.id}/callback", headers=token)
        assert started.status_code == 200, started.text
        page = await client.get(f"/api/v1/cases/{case.id}", headers=token)
        assert CALLER not in started.text + page.text
        assert [c["To"] for c in fake_twilio.calls] == [AGENT_PHONE]
        twiml_url = fake_twilio.calls[0]["Url"]
        assert CALLER not in twiml_url
        path = twiml_url.removeprefix(PUBLIC_BASE_URL)
        unsigned = await client.post(path, data={"CallSid": "CA" + "1" * 32})
        assert unsigned.status_code == 403
        bridged = await post_signed(
            client, path, {"CallSid": "CA" + "1" * 32}, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
        )
        assert bridged.status_code == 200 and f"<Number>{CALLER}</Number>" in bridged.text
    await rt.telephony.close()
    assert "case.callback_started" in await actions_of(session, case.id)


async def test_a_committed_case_change_reaches_the_live_feed(runtime: Runtime) -> None:
    """Whoever commits a change to a case (here, a plain unit of work) publishes its id."""
    received: list[str] = []
    stream = runtime.case_feed.subscribe()

    async def listen() -> None:
        received.append(await anext(stream))

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)
    case = await reported_case(runtime)
    await asyncio.wait_for(listener, timeout=5)
    assert received == [str(case.id)]
    async with unit_of_work(runtime.sessions) as s:
        row = await s.get(Case, case.id)
        assert row is not None
        row.status = "in_progress"
        row.updated_at = datetime.now(UTC)
    assert await asyncio.wait_for(anext(stream), timeout=5) == str(case.id)
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_refusal_is_explained_in_words_an_agent_understands(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    """An agent of the region who was not alerted is told why, and what to do instead."""
    bob = await make_agent(runtime, "bob", Role.agent, ("Littoral",))
    async with await signed_in_as(runtime, browser, "carol", Role.agent, ("Littoral",)) as b:
        case = await reported_case(runtime, assignee=bob)
        ack = await b.post(f"/console/cases/{case.id}/acknowledge")
        assert ack.headers["location"].endswith("msg=not_target")
        page = await b.client.get(ack.headers["location"])
    assert "ce cas n&#39;attend pas votre prise en compte" in page.text and "Prendre ce cas" in page.text
    assert "not target" not in page.text
