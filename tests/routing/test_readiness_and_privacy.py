"""Coverage gaps are loud on /readyz; agents' phones never reach logs, metrics or the audit chain."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.agents.service import REGIONS
from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.models import Agent, AuditEntry
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.fake_twilio import FakeTwilio
from tests.fixtures.routing import (
    PHONES,
    T0,
    FakeClock,
    install_roster,
    littoral_team,
    on_call_agent,
    open_case,
)
from tests.fixtures.twilio import ACCOUNT_SID, post_signed, sms_form


def everywhere(start: str) -> dict[str, object]:
    rotation = {"role": "primary", "shift_hours": 24, "handoff": "07:00", "start": start, "order": ["ana"]}
    teams: list[dict[str, object]] = [{"name": r, "region": r, "rotations": [rotation]} for r in REGIONS]
    teams.append({"name": "National", "national": True, "rotations": [rotation]})
    return {"version": 1, "teams": teams}


async def test_readyz_is_degraded_while_a_region_has_nobody_on_call(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Nobody on call anywhere: degraded, naming the regions, yet 200 (the replica still takes reports)."""
    empty = await client.get("/readyz")
    assert empty.status_code == 200
    assert empty.json()["status"] == "degraded"
    assert set(empty.json()["checks"]["on_call"]["nobody_on_call"]) == {*REGIONS, "national"}

    await on_call_agent(runtime, "ana")
    await install_roster(runtime, everywhere(str((datetime.now(UTC) - timedelta(days=2)).date())))
    covered = await client.get("/readyz")
    assert covered.json() == {"status": "ready", "checks": covered.json()["checks"]}
    assert covered.json()["checks"]["on_call"] == "ok"

    async with runtime.sessions() as session, session.begin():
        ana = (await session.execute(select(Agent).where(Agent.username == "ana"))).scalar_one()
        ana.active = False
    gone = await client.get("/readyz")
    assert gone.json()["status"] == "degraded", "a deactivated agent covers nothing"


async def test_no_agent_phone_in_logs_metrics_or_audit_through_alerts_failures_and_acks(
    client: httpx.AsyncClient,
    wired: Runtime,
    session: AsyncSession,
    fake_twilio: FakeTwilio,
    clock: FakeClock,
    real_logging: io.StringIO,
) -> None:
    """Alerts by SMS and call, a failed SMS, a refused and an accepted SMS acknowledgement, a coverage
    gap: the logs, /metrics and the audit chain hold no agent's phone number in any form."""
    await littoral_team(wired)
    fake_twilio.fail_next(1, 500)
    case = await open_case(wired, now=T0)
    gap = await open_case(wired, now=T0, region="Ouest", severity="high")
    timer = Worker(wired, clock=clock).escalations
    await timer.run_due()
    for sender, body in (
        (PHONES["carol"], f"OK {case.reference}"),
        (PHONES["alice"], f"OK {case.reference}"),
    ):
        await post_signed(
            client,
            "/twilio/sms/incoming",
            sms_form(sender=sender, body=body, account_sid=ACCOUNT_SID),
            auth_token=AUTH_TOKEN,
            public_base_url=PUBLIC_BASE_URL,
        )
    clock.set(T0 + timedelta(minutes=30))
    await timer.run_due()
    assert fake_twilio.messages and fake_twilio.calls, "the flow really sent alerts"
    assert gap.reference

    logs = real_logging.getvalue()
    metrics = (await client.get("/metrics")).text
    audit = " ".join(f"{e.actor} {e.details}" for e in (await session.execute(select(AuditEntry))).scalars())
    assert "routing.coverage_gap" in logs and "sms.agent_ack" in logs, "the log lines under test were written"
    assert "hotline_notifications_total" in metrics
    for number in PHONES.values():
        for form in (number, number[4:], f"{number[4:7]} {number[7:9]} {number[9:11]} {number[11:]}"):
            assert form not in logs
            assert form not in metrics
            assert form not in audit


async def test_the_ivr_dials_the_regions_primary_on_call_from_the_roster(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The IVR's emergency <Dial> asks the roster: the region's primary, else the national team's,
    else the configured emergency number."""
    from hotline.routing.oncall import RosterOnCall

    directory = runtime.on_call
    assert isinstance(directory, RosterOnCall), "the app plugs the roster into the IVR"
    runtime.settings = runtime.settings.model_copy(update={"emergency_number": "+237222000999"})
    directory = RosterOnCall(runtime)
    assert await directory.number_for("Littoral") == "+237222000999"  # no roster yet
    await littoral_team(runtime)
    now_roster = {
        "version": 1,
        "teams": [
            {"name": "Littoral", "region": "Littoral", "rotations": [_rotation("alice")]},
            {"name": "National", "national": True, "rotations": [_rotation("nina")]},
        ],
    }
    await install_roster(runtime, now_roster)
    assert await directory.number_for("Littoral") == PHONES["alice"]
    assert await directory.number_for("Ouest") == PHONES["nina"]
    assert await directory.number_for("abroad") == PHONES["nina"]
    assert await directory.number_for(None) == PHONES["nina"]


def _rotation(username: str) -> dict[str, object]:
    start = str((datetime.now(UTC) - timedelta(days=2)).date())
    return {"role": "primary", "shift_hours": 24, "handoff": "07:00", "start": start, "order": [username]}


async def test_the_demo_roster_covers_every_region_so_demo_cases_are_routed(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    from hotline.demo import seed
    from hotline.models import Case, Roster

    await seed(runtime)
    await seed(runtime)
    assert len((await session.execute(select(Roster))).scalars().all()) == 1
    ready = (await client.get("/readyz")).json()
    assert ready["checks"]["on_call"] == "ok"
    worker = Worker(runtime, block_seconds=0.2)
    while await worker.run_once():
        pass
    cases = (await session.execute(select(Case))).scalars().all()
    assert cases and all(c.assignee_id is not None and c.escalation is not None for c in cases)
