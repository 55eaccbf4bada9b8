"""Assignment prefers the caller's language, then the lightest load; policies are data, copied at start."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.models import Case, Role
from hotline.routing.policy import PolicyError, load_policies, parse_policies
from tests.fixtures.fake_twilio import FakeTwilio
from tests.fixtures.routing import (
    PHONES,
    T0,
    FakeClock,
    install_roster,
    littoral_roster,
    on_call_agent,
    open_case,
)

WHO = {number: name for name, number in PHONES.items()}


def packaged_policies() -> str:
    return resources.files("hotline.routing").joinpath("data/escalation.yaml").read_text(encoding="utf-8")


def two_primaries() -> dict[str, object]:
    roster = littoral_roster()
    rotations = roster["teams"][0]["rotations"]  # type: ignore[index]
    rotations.append(
        {"role": "primary", "shift_hours": 24, "handoff": "07:00", "start": "2026-11-01", "order": ["dave"]}
    )
    return roster


async def assignee(session: AsyncSession, case: Case) -> str:
    session.expire_all()
    found = (await session.execute(select(Case).where(Case.id == case.id))).scalar_one()
    for name in ("alice", "dave", "nina"):
        if found.assignee_id is not None and str(found.assignee_id) == str(await _id(session, name)):
            return name
    return "nobody"


async def _id(session: AsyncSession, username: str) -> object:
    from hotline.models import Agent

    return await session.scalar(select(Agent.id).where(Agent.username == username))


async def test_the_primary_who_speaks_the_callers_language_is_preferred(
    wired: Runtime, session: AsyncSession
) -> None:
    """Two primaries on call: a Pidgin case goes to the one who speaks Pidgin, even if busier."""
    for name, languages in (("alice", ("fr", "en")), ("dave", ("en", "pcm"))):
        await on_call_agent(wired, name, regions=("Littoral",), languages=languages)
    await on_call_agent(wired, "bob")
    await on_call_agent(wired, "nina")
    await on_call_agent(wired, "sue", role=Role.supervisor)
    await install_roster(wired, two_primaries())
    first = await open_case(wired, now=T0, language="pcm")
    second = await open_case(wired, now=T0, language="pcm")
    assert await assignee(session, first) == "dave"
    assert await assignee(session, second) == "dave", "language comes before load"


async def test_among_equals_the_one_with_fewest_open_cases_gets_the_case(
    wired: Runtime, session: AsyncSession
) -> None:
    for name in ("alice", "dave", "bob", "nina"):
        await on_call_agent(wired, name, regions=("Littoral",))
    await on_call_agent(wired, "sue", role=Role.supervisor)
    await install_roster(wired, two_primaries())
    names = [await assignee(session, await open_case(wired, now=T0, language="fr")) for _ in range(4)]
    assert sorted(names) == ["alice", "alice", "dave", "dave"]
    assert names[0] == "alice", "rotation order breaks ties"


def test_the_default_policies_are_the_issues() -> None:
    """Acknowledge within 5 min for critical, 15 for high, 60 for medium, the next shift for low;
    critical alone adds a voice call; later steps reach the backup, then supervisors."""
    policies = load_policies()
    assert policies.for_severity("critical").ack_within_minutes == 5
    assert policies.for_severity("high").ack_within_minutes == 15
    assert policies.for_severity("medium").ack_within_minutes == 60
    assert policies.for_severity("low").ack_within == "next_shift"
    critical = policies.for_severity("critical")
    assert [c.value for c in critical.steps[0].channels] == ["console", "sms", "voice"]
    assert [c.value for c in policies.for_severity("high").steps[0].channels] == ["console", "sms"]
    assert [t.value for t in critical.steps[1].notify] == ["backup"]
    assert {t.value for t in critical.steps[2].notify} == {"supervisors", "national"}
    assert critical.repeat == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\npolicies: {}\n", "no policy for severity"),
        (
            "version: 1\npolicies:\n  critical: {steps: [{notify: [primary], channels: [sms]}], ack_within_minutes: 5}\n",
            "console",
        ),
        (
            "version: 1\npolicies:\n  critical: {steps: [{notify: [boss], channels: [console]}], ack_within_minutes: 5}\n",
            "notify",
        ),
        ("version: 2\npolicies: {}\n", "version"),
        ("{{{", "escalation.yaml"),
    ],
)
def test_a_malformed_policy_file_is_refused_at_start_up(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policies(text)


async def test_a_running_escalation_follows_the_policy_copied_when_it_started(
    wired: Runtime, session: AsyncSession, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    """A case started under a 1-minute policy keeps it, whatever the file says afterwards."""
    from tests.fixtures.routing import littoral_team

    await littoral_team(wired)
    quick = packaged_policies().replace("after_minutes: 5", "after_minutes: 1")
    case = await open_case(wired, now=T0, policies=parse_policies(quick))
    timer = Worker(wired, clock=clock).escalations
    await timer.run_due()
    clock.set(T0 + timedelta(minutes=1))
    await timer.run_due()
    assert [WHO[m["To"]] for m in fake_twilio.messages] == ["alice", "bob"]
    session.expire_all()
    stored = (await session.execute(select(Case).where(Case.id == case.id))).scalar_one()
    assert stored.escalation is not None
    assert stored.escalation["policy"]["steps"][1]["after_minutes"] == 1


async def test_the_case_json_carries_assignee_deadline_and_escalation(
    client: httpx.AsyncClient, wired: Runtime
) -> None:
    from tests.fixtures.accounts import bearer, token_for
    from tests.fixtures.routing import littoral_team

    await littoral_team(wired)
    case = await open_case(wired, now=T0, severity="high")
    shown = (
        await client.get(f"/api/v1/cases/{case.id}", headers=bearer(await token_for(client, "sue")))
    ).json()
    assert shown["assignee"]["username"] == "alice"
    assert shown["ack_deadline"].startswith("2026-12-01T09:15")
    assert shown["escalation"]["state"] == "running"
    assert shown["escalation"]["sla"]["deadline"] == "2026-12-01T09:15:00.000000Z"
    assert shown["escalation"]["team"] == "Littoral"


async def test_a_low_case_is_due_by_the_start_of_the_next_shift(
    wired: Runtime, session: AsyncSession
) -> None:
    """Low: the deadline is the team's next handoff (07:00 Douala the next morning)."""
    from datetime import UTC, datetime

    from tests.fixtures.routing import littoral_team

    await littoral_team(wired)
    case = await open_case(wired, now=T0, severity="low")
    assert case.ack_deadline == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


async def test_a_raised_severity_restarts_the_escalation_under_the_stricter_policy(
    wired: Runtime, session: AsyncSession, fake_twilio: FakeTwilio, clock: FakeClock
) -> None:
    """A medium case nobody took becomes critical: a new generation with a 5-minute deadline, the
    medium steps cancelled, the same assignee, and the call placed at once."""
    from hotline.core.db import unit_of_work
    from hotline.models import EscalationStep, StepState
    from hotline.routing.escalation import route_case
    from tests.fixtures.routing import littoral_team

    await littoral_team(wired)
    case = await open_case(wired, now=T0, severity="medium")
    timer = Worker(wired, clock=clock).escalations
    await timer.run_due()
    assert fake_twilio.calls == []
    later = clock.set(T0 + timedelta(minutes=2))
    async with unit_of_work(wired.sessions) as s:
        found = (await s.execute(select(Case).where(Case.id == case.id))).scalar_one()
        found.severity = "critical"
        await route_case(s, found, now=later)
        await route_case(s, found, now=later)  # idempotent
    await timer.run_due()
    assert [WHO[c["To"]] for c in fake_twilio.calls] == ["alice"]
    session.expire_all()
    found = (await session.execute(select(Case).where(Case.id == case.id))).scalar_one()
    assert found.escalation is not None and found.escalation["generation"] == 2
    assert found.ack_deadline == later + timedelta(minutes=5)
    old = (
        await session.execute(
            select(EscalationStep.state).where(
                EscalationStep.generation == 1, EscalationStep.state == StepState.pending
            )
        )
    ).all()
    assert old == []
